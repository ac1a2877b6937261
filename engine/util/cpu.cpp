#include "cesim/util/cpu.hpp"

namespace cesim {
namespace {

bool detect_avx512f() noexcept {
#ifdef CESIM_HAVE_AVX512_KERNEL
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") != 0;
#else
  return false;
#endif
}

bool detect_avx512dq() noexcept {
#ifdef CESIM_HAVE_AVX512_KERNEL
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512dq") != 0;
#else
  return false;
#endif
}

}  // namespace

bool cpu_has_avx512f() noexcept {
  static const bool has = detect_avx512f();
  return has;
}

bool cpu_has_avx512dq() noexcept {
  static const bool has = detect_avx512dq();
  return has;
}

}  // namespace cesim
