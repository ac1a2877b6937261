#pragma once
/// Exposure decisions of one gate group (eight agents) for the touchpoint pass; see
/// apply_touchpoints. Kept apart so that the vector kernel can be compiled for AVX-512 alone and
/// tested against the scalar one.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "cesim/rng/philox.hpp"

namespace cesim::mechanisms {

/// Agents per gate group.
constexpr std::uint32_t exposure_lanes = rng::gate_draws::lanes;

enum class exposure_kernel { best, scalar, avx512 };
/// Whether `kernel` runs on this processor (best and scalar always do).
bool exposure_kernel_available(exposure_kernel kernel) noexcept;

/// Words `decide_exposures` may write past its count: the vector kernel stores whole vectors.
constexpr std::size_t exposure_slack = 8;

/// Lane `lane` (< lanes) of the group meets open touchpoint j (< numbers.size()) when
/// numbers[j][lane] < thresholds[rows[lane] * numbers.size() + j]. Writes bases[lane] + 2 j for
/// every met gate, lanes in order and touchpoints in order within a lane, to `out`, and returns
/// how many it wrote. `out` needs room for lanes * numbers.size() + exposure_slack words.
std::size_t decide_exposures(std::span<const std::array<std::uint32_t, exposure_lanes>> numbers,
                             const std::uint64_t* thresholds, const std::uint32_t* rows,
                             const std::uint64_t* bases, std::uint32_t lanes, std::uint64_t* out,
                             exposure_kernel kernel = exposure_kernel::best) noexcept;

}  // namespace cesim::mechanisms
