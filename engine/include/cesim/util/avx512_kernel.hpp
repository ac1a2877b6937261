#pragma once
/// For the source files that hold AVX-512 kernels (and nothing else that needs warnings): the
/// intrinsics where CESIM_HAVE_AVX512_KERNEL (cpu.hpp) says they compile. Whether the processor
/// may run them is cpu_has_avx512f() (and cpu_has_avx512dq() for the Philox kernel).
#include "cesim/util/cpu.hpp"

#ifdef CESIM_HAVE_AVX512_KERNEL
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from a deliberately undefined vector (`__Y = __Y`), which
// -Wuninitialized and, at -O2 with sanitizers, -Wmaybe-uninitialized report at every use, at a
// place inside GCC's headers; so these warnings are off for the rest of the including file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
