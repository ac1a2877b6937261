#pragma once
/// Global sensitivity analysis on the unit hypercube [0,1]^d: Morris elementary effects for
/// screening and Sobol' variance-based indices. These functions only make designs and compute
/// indices from outputs; the caller maps each unit point to model parameters (e.g. lower +
/// u * (upper - lower), or an inverse CDF) and evaluates the model once per design row. Results
/// are deterministic for given sizes and seeds.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cesim::analysis {

// ---- Morris elementary effects ------------------------------------------------------------

/// r trajectories of d + 1 points each; consecutive points of a trajectory differ in exactly one
/// coordinate, by +-Delta, and every coordinate moves exactly once per trajectory.
struct morris_design {
  std::size_t dimensions = 0;    ///< d
  std::size_t trajectories = 0;  ///< r
  std::size_t levels = 0;        ///< p: coordinates lie on the grid {0, 1/(p-1), ..., 1}
  /// Row-major, trajectories * (d + 1) rows x d columns, in [0,1]; trajectory t is rows
  /// t(d+1) .. t(d+1) + d.
  std::vector<double> points;
};

/// Morris (1991) trajectories on a p-level grid with step Delta = p / (2 (p - 1)): per
/// trajectory a random base point on the levels {0, ..., 1 - Delta}, a random direction (up or
/// down) and a random order of the coordinates, so every level is equally likely in every row.
/// Seeded with std::mt19937_64 and deterministic on every platform.
/// Throws std::invalid_argument if dimensions or trajectories is 0 or levels is odd or below 2.
morris_design make_morris_design(std::size_t dimensions, std::size_t trajectories,
                                 std::size_t levels, std::uint64_t seed);

/// Summary of one parameter's r elementary effects EE = (f(x + Delta e_i) - f(x)) / Delta.
struct morris_index {
  double mu = 0;       ///< mean EE (effects of opposite sign cancel)
  double mu_star = 0;  ///< mean |EE| (Campolongo et al. 2007): the importance measure
  /// Standard deviation of EE (divisor r - 1; NaN when r = 1): non-linearity or interactions.
  double sigma = 0;
  double mu_star_ci_low = 0;   ///< 2.5% bootstrap percentile of mu* (NaN without bootstrap)
  double mu_star_ci_high = 0;  ///< 97.5% bootstrap percentile of mu* (NaN without bootstrap)
};

/// Elementary effects per parameter from one output per design row (outputs[k] = f(row k)), in
/// parameter order. The interval of mu* resamples whole trajectories with replacement
/// (`bootstrap` resamples, 0 for none; seeded). Throws std::invalid_argument when the outputs
/// do not match the design, an output is NaN or infinite (naming the row), or consecutive rows
/// of a trajectory do not differ in exactly one coordinate.
std::vector<morris_index> morris_indices(const morris_design& design,
                                         std::span<const double> outputs,
                                         std::size_t bootstrap = 1000, std::uint64_t seed = 1);

// ---- Sobol' indices -----------------------------------------------------------------------

/// The radial sampling design of Saltelli (2010) for N base samples: matrices A and B, and for
/// each parameter i the matrix AB_i, which is A with column i taken from B.
struct saltelli_design {
  std::size_t dimensions = 0;    ///< d (at most sobol_max_dimensions() / 2)
  std::size_t base_samples = 0;  ///< N
  /// Row-major, N * (d + 2) rows x d columns, in [0,1): rows 0..N-1 are A, N..2N-1 are B, then
  /// AB_i (N rows each) for i = 0..d-1, in that order; row j of AB_i pairs with row j of A and B.
  std::vector<double> points;
};

/// Saltelli (2010) design from a 2d-dimensional Sobol' sequence (A = its first d columns, B =
/// the last d), starting at point `skip` (the default leaves out the origin). N a power of two
/// balances the Sobol' points best. Throws std::invalid_argument if dimensions is 0 or above
/// sobol_max_dimensions() / 2, or base_samples is below 2.
saltelli_design make_saltelli_design(std::size_t dimensions, std::size_t base_samples,
                                     std::uint64_t skip = 1);

/// First-order and total Sobol' indices of one parameter with bootstrap 95% percentile
/// intervals (NaN without bootstrap). All are NaN when the output has no variance.
struct sobol_index {
  double first = 0;          ///< S_i = V[E(Y|X_i)] / V(Y)
  double first_ci_low = 0;   ///< 2.5% bootstrap percentile of S_i
  double first_ci_high = 0;  ///< 97.5% bootstrap percentile of S_i
  double total = 0;          ///< ST_i = E[V(Y|X_~i)] / V(Y): S_i plus all interactions with i
  double total_ci_low = 0;   ///< 2.5% bootstrap percentile of ST_i
  double total_ci_high = 0;  ///< 97.5% bootstrap percentile of ST_i
};

/// Indices per parameter from one output per design row (outputs[k] = f(row k)). With f_A, f_B,
/// f_ABi the outputs of row j of A, B and AB_i, and V the variance of the 2N values of f_A and
/// f_B together:
///   first order (Saltelli et al. 2010, Table 2 (b)):  S_i  = mean_j f_B (f_ABi - f_A) / V
///   total (Jansen 1999; Saltelli et al. 2010, Table 2 (f)):  ST_i = mean_j (f_A - f_ABi)^2 / 2V
/// The intervals resample the N base rows (A, B and every AB_i together) with replacement
/// (`bootstrap` resamples, 0 for none; seeded). Throws std::invalid_argument when the outputs
/// do not match the design or an output is NaN or infinite (naming the row).
std::vector<sobol_index> sobol_indices(const saltelli_design& design,
                                       std::span<const double> outputs,
                                       std::size_t bootstrap = 1000, std::uint64_t seed = 1);

}  // namespace cesim::analysis
