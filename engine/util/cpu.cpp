#include "cesim/util/cpu.hpp"

namespace cesim {
namespace {

struct avx512_features {
  bool foundation = false;
  bool doubleword_quadword = false;
};

avx512_features detect_avx512() noexcept {
#ifdef CESIM_HAVE_AVX512_KERNEL
  __builtin_cpu_init();
  return {__builtin_cpu_supports("avx512f") != 0, __builtin_cpu_supports("avx512dq") != 0};
#else
  return {};
#endif
}

const avx512_features& avx512() noexcept {
  static const avx512_features features = detect_avx512();
  return features;
}

}  // namespace

bool cpu_has_avx512f() noexcept {
  return avx512().foundation;
}

bool cpu_has_avx512dq() noexcept {
  return avx512().doubleword_quadword;
}

}  // namespace cesim
