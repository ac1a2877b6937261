#pragma once
/// Calibration: observed time series, the distance between simulated runs and them, and
/// approximate Bayesian computation (ABC) by sequential Monte Carlo on the unit hypercube.
///
/// The pieces are independent of the command line: the caller loads observations, maps unit
/// coordinates to scenario parameters (as for sensitivity designs), runs the simulator and turns
/// the runs into one distance per point with `distance`.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cesim/sim/results.hpp"

namespace cesim::analysis {

// ---- Observed data -------------------------------------------------------------------------

struct observation_options {
  /// Date of step 0 (YYYY-MM-DD); needed only by files with a `date` column.
  std::optional<std::string> start_date;
  double days_per_step = 7;
};

/// One observed value: a series metric (a name in series_metrics()) of one segment, or of all
/// segments for "total", at one step.
struct observation {
  std::uint32_t step = 0;
  std::string metric;
  std::string segment;
  double value = 0;
  int line = 0;  ///< line in the file, 1-based
};

struct observed_data {
  std::string file;
  std::vector<observation> rows;  ///< in file order
  /// For messages about rows found later: the CSV column numbers (1-based) of the step (or
  /// date) and segment columns (0 if the file has no segment column), and the step column's
  /// name, "step" or "date".
  int step_column = 0;
  int segment_column = 0;
  std::string step_key = "step";

  /// The latest observed step (0 without rows): runs must reach it.
  [[nodiscard]] std::uint32_t last_step() const;
};

/// Reads observations from a CSV file: comma-separated, a header row, lines starting with `#`
/// and blank lines ignored, cells optionally in double quotes ("" for a quote inside).
/// Columns, in any order:
///   step | date   exactly one of them. A step is a whole number >= 0; step 0 is the initial
///                 state (before the first step runs), allowed because initial conditions can
///                 be calibrated too. A date is YYYY-MM-DD and becomes the step
///                 round((date - start_date) / days_per_step); dates before start_date are
///                 rejected, dates between step boundaries round to the nearest step.
///   metric        a name in series_metrics(), e.g. customers, new_customers, loyalty, nps
///   value         a finite number
///   segment       optional: a segment name, or "total" (also the default and what an empty
///                 cell means) for the sum over segments
/// Any other column, a repeated (step, metric, segment), or a file without observations is an
/// error. Every problem is collected and thrown together as input_error; a problem in a cell
/// names file:line:column, the column being the CSV column number, and the column's header as
/// key path. Throws std::invalid_argument if days_per_step is not positive or start_date is not
/// a valid date.
observed_data load_observations(const std::string& csv_path,
                                const observation_options& options = {});

/// Throws input_error (naming each line) if an observation names a segment that is neither in
/// `segment_names` nor "total". "total" always means all segments.
void check_segments(const observed_data& data, const std::vector<std::string>& segment_names);

/// Throws input_error (naming each line) if an observation lies beyond step `horizon`.
void check_steps(const observed_data& data, std::uint32_t horizon);

/// Days from 1970-01-01 of a proleptic Gregorian date "YYYY-MM-DD"; nullopt if the text is not
/// exactly such a date (month 1-12, a day that exists in that month).
std::optional<std::int64_t> parse_date(std::string_view text);

// ---- Simulated values and distance ---------------------------------------------------------

/// The observation's metric in a run: of the observation's segment, or summed over segments
/// for "total" (means and rates computed from the summed tallies), at the observation's step.
/// May be NaN (e.g. loyalty without customers). Throws std::out_of_range if the step is beyond
/// the run, std::invalid_argument for an unknown metric or segment.
double simulated_value(const run_result& run, const observation& obs);

/// How far replications of one parameter point are from the data, >= 0, 0 for a perfect fit.
/// For every observation the simulated value is averaged over the replications (NaN values
/// skipped, as in `summarize`). Observations are grouped by (metric, segment); per group g
///   e_g = RMSE_g / scale_g,   RMSE_g = sqrt(mean over the group (simulated - observed)^2),
///   scale_g = the standard deviation of the group's observed values (divisor n - 1), or if
///             that is 0 or the group has one observation, the mean |observed value|, or if
///             that is 0 too, 1,
/// and the distance is sqrt(mean over groups of e_g^2). Dividing by the scale makes each
/// observed series count equally whatever its units (customers in thousands, NPS in points,
/// loyalty in 0..1) and however many observations it has.
/// Returns +infinity if every replication gives NaN for some observation. Throws
/// std::invalid_argument without replications or observations (or with a null run), and
/// std::out_of_range if a run is shorter than the data.
double distance(const std::vector<const run_result*>& replications, const observed_data& data);

// ---- Approximate Bayesian computation ------------------------------------------------------

struct abc_options {
  std::size_t particles = 200;       ///< posterior sample size (at least 2)
  std::size_t rounds = 4;            ///< SMC rounds after the initial one
  std::size_t initial_draws = 1000;  ///< round 0: prior draws (Sobol' points), best kept
  double quantile = 0.5;             ///< next tolerance: this quantile of the current distances
  std::uint64_t seed = 1;
  /// Model evaluations allowed per SMC round before it is abandoned; 0 means 20 x particles.
  std::size_t round_budget = 0;
  /// Smallest batch after the first one of a round (the first has `particles` points; later
  /// ones are sized from the acceptance rate so far). At least the number of parallel workers
  /// keeps them busy.
  std::size_t min_batch = 32;
};

struct abc_round {
  double tolerance = 0;         ///< accepted distances are <= this
  std::size_t simulations = 0;  ///< model evaluations in this round
  /// Evaluated proposals within the tolerance / simulations (round 0: particles / draws).
  double acceptance_rate = 0;
  std::size_t accepted = 0;          ///< particles accepted (== particles unless abandoned)
  std::size_t outside = 0;           ///< proposals outside the unit cube, rejected unevaluated
  double effective_sample_size = 0;  ///< 1 / sum w^2 of the round's population
  /// False if the budget ran out first: the round's particles were discarded and the result is
  /// the previous round's population. It is then the last round.
  bool completed = true;
};

struct abc_result {
  std::size_t dimensions = 0;
  std::vector<double> particles;  ///< row-major particles x d, unit coordinates in (0,1)
  std::vector<double> weights;    ///< normalised importance weights, sum 1
  std::vector<double> distances;  ///< of each particle
  double tolerance = 0;           ///< of the returned population
  std::vector<abc_round> rounds;  ///< round 0 (prior draws) first
  std::size_t simulations = 0;    ///< total model evaluations
  std::vector<double> best;       ///< unit coordinates of the smallest distance ever seen
  double best_distance = 0;

  [[nodiscard]] std::size_t size() const { return weights.size(); }
  [[nodiscard]] double at(std::size_t particle, std::size_t dimension) const {
    return particles[particle * dimensions + dimension];
  }
};

/// A batch of k unit points (row-major, k x d) in, one distance per point out, in order. NaN
/// counts as +infinity (never accepted).
using abc_evaluator = std::function<std::vector<double>(const std::vector<double>&)>;

/// ABC population Monte Carlo (Beaumont, Cornuet, Marin & Robert 2009) with adaptive tolerances
/// (the `quantile` of the previous population's distances, as in Del Moral, Doucet & Jasra
/// 2012), on [0,1]^d with a uniform prior; the caller maps unit coordinates to parameters by
/// inverse CDFs, so any independent prior the caller defines is respected.
///   Round 0: `initial_draws` Sobol' points (skip 1, so every coordinate is in (0,1)) are
///   evaluated in one batch; the best `particles` are kept with equal weights; the tolerance is
///   the largest kept distance.
///   Round t >= 1: tolerance = `quantile` (type 7) of the current distances. Proposals pick a
///   particle by weight and add Gaussian noise with covariance 2 sum_i w_i (theta_i - mean)
///   (theta_i - mean)^T (twice the weighted covariance; Cholesky by Eigen, with a tiny diagonal
///   added if it is singular); proposals outside (0,1)^d have prior density 0 and are dropped
///   without evaluation (each draw picks its parent afresh, so no per-parent correction). Proposals
///   are evaluated in batches until `particles` have distance <= tolerance (the first ones in
///   proposal order are kept) or `round_budget` runs out (or 1000 x round_budget proposals in a row
///   fall outside the cube), which abandons the round and ends the algorithm. New weights are w_i ∝
///   1 / sum_j w_j K(theta_i - theta_j) (the prior is constant inside the cube).
/// Deterministic for a seed if `evaluate` is: std::mt19937_64 with uniforms and normals
/// (Box-Muller) written out, so no standard-library distribution is involved; bit-identical
/// across builds only as far as libm and Eigen's floating point agree. `evaluate` is called
/// sequentially, never concurrently, so it can keep a counter to seed each simulation.
/// Throws std::invalid_argument for bad options (dimensions 0 or above sobol_max_dimensions(),
/// particles < 2, initial_draws < particles, quantile outside (0,1)) or a batch answered with
/// the wrong number of distances, and std::runtime_error if fewer than `particles` initial
/// draws have a finite distance.
abc_result abc_smc(std::size_t dimensions, const abc_options& options,
                   const abc_evaluator& evaluate);

/// Weighted summary of one parameter. Quantiles interpolate linearly between the sorted values
/// placed at their mid cumulative weights (Hazen's rule for equal weights); sd uses reliability
/// weights, sum w (x - mean)^2 / (1 - sum w^2), the sample sd for equal weights (0 for one
/// value).
struct posterior_summary {
  double mean = 0;
  double sd = 0;
  double q025 = 0;
  double median = 0;
  double q975 = 0;
};

/// Summary of values with weights (any positive scale; they are normalised). Throws
/// std::invalid_argument if the sizes differ, there are no values, or a weight is negative or
/// all are 0.
posterior_summary summarize_weighted(std::span<const double> values,
                                     std::span<const double> weights);

/// Maps a unit coordinate of dimension `dimension` to a parameter value.
using unit_mapping = std::function<double(std::size_t dimension, double unit)>;

/// Per-dimension summary of the posterior, of unit coordinates or, with `to_parameter`, of the
/// parameter values (mapped before summarising, so means and sds are of the parameters).
std::vector<posterior_summary> summarize_posterior(const abc_result& result,
                                                   const unit_mapping& to_parameter = nullptr);

}  // namespace cesim::analysis
