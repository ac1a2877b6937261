#include "cesim/mechanisms/exposure_gates.hpp"

#include <bit>

#include "cesim/util/avx512_kernel.hpp"

namespace cesim::mechanisms {
namespace {

using gate_numbers = std::span<const std::array<std::uint32_t, exposure_lanes>>;

// Every gate writes its exposure and counts it only if met: no branch to mispredict.
std::size_t decide_scalar(gate_numbers numbers, const std::uint64_t* thresholds,
                          const std::uint32_t* rows, const std::uint64_t* bases,
                          std::uint32_t lanes, std::uint64_t* out) noexcept {
  const std::size_t open = numbers.size();
  std::size_t written = 0;
  for (std::uint32_t lane = 0; lane < lanes; ++lane) {
    const std::uint64_t* row = thresholds + std::size_t{rows[lane]} * open;
    for (std::size_t j = 0; j < open; ++j) {
      out[written] = bases[lane] + 2 * j;
      written += static_cast<std::size_t>(numbers[j][lane] < row[j]);
    }
  }
  return written;
}

#ifdef CESIM_HAVE_AVX512_KERNEL
// Eight touchpoints at a time: the group's gate numbers turned lane by lane (an 8 x 8 transpose
// of 32-bit words), then per lane one comparison of eight numbers with the lane's eight
// thresholds, and the met gates' exposures packed together (compress) and stored at once.
__attribute__((target("avx512f"))) std::size_t decide_avx512(
    gate_numbers numbers, const std::uint64_t* thresholds, const std::uint32_t* rows,
    const std::uint64_t* bases, std::uint32_t lanes, std::uint64_t* out) noexcept {
  const std::size_t open = numbers.size();
  const std::size_t chunks = (open + 7) / 8;
  constexpr std::size_t max_chunks = 4;  // more than 32 open touchpoints: the scalar loop
  if (chunks > max_chunks) return decide_scalar(numbers, thresholds, rows, bases, lanes, out);
  // by_lane[lane * chunks + c]: numbers[8 c + k][lane] for k < 8 (0 past the last touchpoint).
  __m256i by_lane[exposure_lanes * max_chunks];
  std::size_t written = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    __m256i r[8];
    for (std::size_t k = 0; k < 8; ++k)
      r[k] = 8 * c + k < open
                 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(numbers[8 * c + k].data()))
                 : _mm256_setzero_si256();
    const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    // s0 holds lanes 0 and 4 of rows 0-3, s4 of rows 4-7; s1/s5 lanes 1 and 5; and so on.
    const __m256i s0 = _mm256_unpacklo_epi64(t0, t2), s1 = _mm256_unpackhi_epi64(t0, t2);
    const __m256i s2 = _mm256_unpacklo_epi64(t1, t3), s3 = _mm256_unpackhi_epi64(t1, t3);
    const __m256i s4 = _mm256_unpacklo_epi64(t4, t6), s5 = _mm256_unpackhi_epi64(t4, t6);
    const __m256i s6 = _mm256_unpacklo_epi64(t5, t7), s7 = _mm256_unpackhi_epi64(t5, t7);
    by_lane[0 * chunks + c] = _mm256_permute2x128_si256(s0, s4, 0x20);
    by_lane[1 * chunks + c] = _mm256_permute2x128_si256(s1, s5, 0x20);
    by_lane[2 * chunks + c] = _mm256_permute2x128_si256(s2, s6, 0x20);
    by_lane[3 * chunks + c] = _mm256_permute2x128_si256(s3, s7, 0x20);
    by_lane[4 * chunks + c] = _mm256_permute2x128_si256(s0, s4, 0x31);
    by_lane[5 * chunks + c] = _mm256_permute2x128_si256(s1, s5, 0x31);
    by_lane[6 * chunks + c] = _mm256_permute2x128_si256(s2, s6, 0x31);
    by_lane[7 * chunks + c] = _mm256_permute2x128_si256(s3, s7, 0x31);
  }
  const __m512i steps = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
  for (std::uint32_t lane = 0; lane < lanes; ++lane) {
    const std::uint64_t* row = thresholds + std::size_t{rows[lane]} * open;
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::size_t first = 8 * c;
      const auto in_chunk = static_cast<unsigned>(open - first < 8 ? open - first : 8);
      const auto valid = static_cast<__mmask8>((1u << in_chunk) - 1u);
      const __m512i gate = _mm512_cvtepu32_epi64(by_lane[lane * chunks + c]);
      const __m512i threshold = _mm512_maskz_loadu_epi64(valid, row + first);
      const __mmask8 met = _mm512_mask_cmplt_epu64_mask(valid, gate, threshold);
      const __m512i exposures = _mm512_add_epi64(
          _mm512_set1_epi64(static_cast<long long>(bases[lane] + 2 * first)), steps);
      // Compressed in a register and stored whole: a compressing store to memory is slow on
      // some processors (Zen 4).
      _mm512_storeu_si512(out + written, _mm512_maskz_compress_epi64(met, exposures));
      written += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(met)));
    }
  }
  return written;
}
#endif

}  // namespace

bool exposure_kernel_available(exposure_kernel kernel) noexcept {
  return kernel != exposure_kernel::avx512 || cpu_has_avx512f();
}

std::size_t decide_exposures(gate_numbers numbers, const std::uint64_t* thresholds,
                             const std::uint32_t* rows, const std::uint64_t* bases,
                             std::uint32_t lanes, std::uint64_t* out,
                             exposure_kernel kernel) noexcept {
  if (kernel == exposure_kernel::best)
    kernel = exposure_kernel_available(exposure_kernel::avx512) ? exposure_kernel::avx512
                                                                : exposure_kernel::scalar;
#ifdef CESIM_HAVE_AVX512_KERNEL
  if (kernel == exposure_kernel::avx512 && exposure_kernel_available(kernel))
    return decide_avx512(numbers, thresholds, rows, bases, lanes, out);
#endif
  return decide_scalar(numbers, thresholds, rows, bases, lanes, out);
}

}  // namespace cesim::mechanisms
