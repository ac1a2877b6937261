#pragma once
/// The one runner behind run, compare and prioritize: a list of arms (scenarios) times a number
/// of replications, executed with a bounded number in flight. Each run is itself parallel over
/// agent blocks; TBB nests the two levels, so small populations keep every core busy through
/// concurrent replications and large ones through their blocks. Results are stored by
/// (arm, replication), never by completion order, so they do not depend on scheduling.
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/sim/results.hpp"
#include "cesim/sim/simulation.hpp"

namespace cesim::analysis {

struct runner_options {
  std::uint32_t replications = 1;
  /// Runs in flight at once; each holds its own population, so this bounds memory.
  std::uint32_t concurrent = 1;
  bool check_invariants = run_options{}.check_invariants;
  /// Progress: called after every simulated step of any run (from worker threads, serialised).
  std::function<void()> on_step;
};

/// Streams `jobs` jobs: `run(job)` in parallel with at most `concurrent` in flight, then
/// `done(job, result)` serially and in job order (a reorder buffer), so whatever `done` writes is
/// in the same order for any thread count and any scheduling. Sweeps write their table there.
void run_stream(std::size_t jobs, std::uint32_t concurrent,
                const std::function<run_result(std::size_t)>& run,
                const std::function<void(std::size_t, run_result&&)>& done);

/// One replication of a scenario as the runner runs it; `on_step` (may be empty) is called
/// after each step under `progress_lock`, since runs in flight report from several threads.
run_result run_one(const scenario& s, std::uint32_t replication, bool check_invariants,
                   const std::function<void()>& on_step, std::mutex& progress_lock);

/// runs[arm][replication]. Replication r of every arm uses the key (seed of that arm, r), so arms
/// sharing a seed share their random numbers draw for draw (common random numbers).
std::vector<std::vector<run_result>> run_arms(std::span<const scenario> arms,
                                              const runner_options& options);

/// How many runs to keep in flight: enough to fill the cores when one run cannot (small
/// populations), one at a time when a run fills them alone and memory matters more.
std::uint32_t default_concurrency(const scenario& s, unsigned threads);

}  // namespace cesim::analysis
