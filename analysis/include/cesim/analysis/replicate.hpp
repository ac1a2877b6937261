#pragma once
/// Independent replications of a scenario and their summary with 95% intervals.
#include <cstdint>
#include <functional>
#include <vector>

#include "cesim/analysis/runner.hpp"
#include "cesim/analysis/statistics.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/sim/results.hpp"
#include "cesim/sim/simulation.hpp"

namespace cesim::analysis {

/// Replications of one scenario are one arm of the shared runner.
using replication_options = runner_options;

/// Summary of one segment (or "total") across replications: one estimate per summary metric,
/// in the order of summary_metrics().
struct segment_estimates {
  std::string segment;
  std::vector<estimate> metrics;
};

struct replicated_result {
  std::vector<run_result> runs;  ///< in replication order
  std::vector<segment_estimates> summary;
};

/// Replication r uses the key (seed, r): its own population sample and its own random numbers.
replicated_result run_replications(const scenario& s, const replication_options& options);

std::vector<segment_estimates> summarize_runs(const std::vector<run_result>& runs);

/// A time series across replications: mean and 95% interval of `value(run, step)` at each step
/// 0..horizon.
std::vector<estimate> band(const std::vector<run_result>& runs,
                           const std::function<double(const run_result&, std::uint32_t)>& value);

}  // namespace cesim::analysis
