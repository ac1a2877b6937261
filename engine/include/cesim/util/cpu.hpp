#pragma once
/// What the processor running cesim can do, asked once per process. Vector kernels are compiled
/// for their instruction set inside one function each (`target` attribute), so the build needs no
/// -march and runs on any x86-64; these tell whether they may be called.

/// Where GCC or clang can compile AVX-512 kernels (x86-64; each kernel function carries
/// `__attribute__((target("avx512f")))`, the Philox kernel also "avx512dq").
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CESIM_HAVE_AVX512_KERNEL 1
#endif

namespace cesim {

/// AVX-512 Foundation (Zen 4 and later, Intel server parts); false on other architectures.
bool cpu_has_avx512f() noexcept;
/// AVX-512 Doubleword and Quadword (a 64-bit low multiply): every processor with AVX-512
/// Foundation but Xeon Phi.
bool cpu_has_avx512dq() noexcept;

}  // namespace cesim
