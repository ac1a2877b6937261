#pragma once
/// Independent replications of a scenario and their summary with 95% intervals.
#include <cstdint>
#include <functional>
#include <vector>

#include "cesim/analysis/statistics.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/sim/results.hpp"
#include "cesim/sim/simulation.hpp"

namespace cesim::analysis {

struct replication_options {
  std::uint32_t replications = 1;
  /// Replications run concurrently in waves of this many (each one is parallel inside too);
  /// bounds memory to `concurrent` populations at a time.
  std::uint32_t concurrent = 1;
  bool check_invariants = run_options{}.check_invariants;
  /// Progress: called with (replication, step) after each step.
  std::function<void(std::uint32_t, std::uint32_t)> on_step;
};

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

}  // namespace cesim::analysis
