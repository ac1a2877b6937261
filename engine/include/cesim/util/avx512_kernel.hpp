#pragma once
/// For a source file that holds AVX-512 kernels: defines CESIM_HAVE_AVX512_KERNEL where GCC or
/// clang can compile them (x86-64, each kernel with `__attribute__((target("avx512f")))`) and
/// includes the intrinsics. Whether the processor may run them is cpu_has_avx512f().
#include "cesim/util/cpu.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CESIM_HAVE_AVX512_KERNEL 1
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from a deliberately undefined vector (`__Y = __Y`), which
// -Wuninitialized and, at -O2 with sanitizers, -Wmaybe-uninitialized report at every use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
