#pragma once
/// The Sobol' low-discrepancy sequence in base 2 (Sobol' 1967), for quasi-Monte Carlo designs
/// such as the Saltelli design of sensitivity.hpp. Unscrambled and in Gray-code order (Antonov &
/// Saleev 1979), with the direction numbers of Joe & Kuo (2008), file new-joe-kuo-6.21201, so
/// the points match other unscrambled implementations that use that file.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cesim::analysis {

/// Maximum dimensions supported (64).
std::size_t sobol_max_dimensions();

/// Points skip .. skip+n-1 of the d-dimensional Sobol' sequence, row-major n x d, in [0,1).
/// Point 0 is the origin; dimension 1 is the van der Corput sequence. For every k, the points
/// 0 .. 2^k - 1 put exactly one coordinate in each interval [j/2^k, (j+1)/2^k) of every
/// dimension, so sample sizes that are powers of two are best balanced.
/// Throws std::invalid_argument if d is 0 or above the maximum, or if skip + n exceeds 2^64 - 1.
std::vector<double> sobol_points(std::size_t n, std::size_t d, std::uint64_t skip = 0);

}  // namespace cesim::analysis
