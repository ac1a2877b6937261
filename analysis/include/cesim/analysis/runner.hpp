#pragma once
/// The one runner behind run, compare and prioritize: a list of arms (scenarios) times a number
/// of replications, executed with a bounded number in flight. Each run is itself parallel over
/// agent blocks; TBB nests the two levels, so small populations keep every core busy through
/// concurrent replications and large ones through their blocks. Results are stored by
/// (arm, replication), never by completion order, so they do not depend on scheduling.
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cesim/analysis/wire.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/sim/build_cache.hpp"
#include "cesim/sim/results.hpp"
#include "cesim/sim/simulation.hpp"

namespace cesim::analysis {

/// What a job is, for a process that only has the job's number: how to load its scenario and
/// which replication to run.
struct job_description {
  scenario_recipe recipe;
  std::uint32_t replication = 0;
  bool check_invariants = false;
};

/// The jobs of one batch, as an executor sees them.
struct job_batch {
  std::size_t jobs = 0;
  /// Runs in flight at once in this process.
  std::uint32_t concurrent = 1;
  /// Runs job `j` here.
  std::function<run_result(std::size_t)> run;
  /// Describes job `j` for another process; empty when the jobs cannot leave this process.
  std::function<job_description(std::size_t)> describe;
  /// Called serially and in job order with every finished job.
  std::function<void(std::size_t, run_result&&)> done;
  /// Asked before job `j` is started; false ends the batch early (a requested stop). Jobs
  /// already started still finish and reach `done`; empty means always.
  std::function<bool(std::size_t)> may_start;
  /// A job that ran in another process finished (progress: it reported no steps here).
  std::function<void(std::size_t)> ran_elsewhere;
};

/// Where jobs run. The default runs them in this process; the MPI executor (cli/) spreads them
/// over ranks. Either way `done` sees the same results in the same order.
class job_executor {
 public:
  virtual ~job_executor() = default;
  virtual void execute(const job_batch& batch) = 0;
};

/// The executor of this process: set once by main (MPI), null for local execution.
job_executor* current_executor();
void set_current_executor(job_executor* executor);

/// Runs a batch with the current executor, or in this process when there is none or the batch
/// cannot be described for another process.
void execute(const job_batch& batch);

struct runner_options {
  std::uint32_t replications = 1;
  /// Runs in flight at once; each holds its own population, so this bounds memory.
  std::uint32_t concurrent = 1;
  bool check_invariants = run_options{}.check_invariants;
  /// Progress: called after every simulated step of any run (from worker threads, serialised).
  std::function<void()> on_step;
  /// Asked before each run starts; false stops (see job_batch::may_start).
  std::function<bool(std::size_t)> may_start;
};

/// Streams `jobs` jobs: `run(job)` in parallel with at most `concurrent` in flight, then
/// `done(job, result)` serially and in job order (a reorder buffer), so whatever `done` writes is
/// in the same order for any thread count and any scheduling. Sweeps write their table there.
void run_stream(std::size_t jobs, std::uint32_t concurrent,
                const std::function<run_result(std::size_t)>& run,
                const std::function<void(std::size_t, run_result&&)>& done,
                const std::function<bool(std::size_t)>& may_start = {});

/// Throws input_error naming the first loaded file whose hash differs from the one the
/// coordinator recorded for the same path (files it did not record are not checked).
void check_inputs_unchanged(std::span<const input_file> expected,
                            std::span<const input_file> loaded);

/// What a worker process keeps between jobs: the scenarios of the last few recipes (the jobs of
/// `compare` alternate between its arms) and, like `run_points`, a population and a network per
/// replication it has run, so that jobs of any replication find theirs whichever order they come
/// in.
struct worker_cache {
  static constexpr std::size_t scenarios_kept = 8;
  std::deque<std::pair<std::string, scenario>> scenarios;  ///< by encoded recipe, newest last
  /// Made at the first job and sized by its scenario: at most kept_without_limit of each, those
  /// no job holds within this process's share of the memory limit after one run.
  std::optional<build_cache> builds;
};

/// A job as another process runs it: loads the scenario (or finds it in `cache`) and runs the
/// replication.
run_result run_described(const job_description& job, worker_cache& cache);

/// One replication of a scenario as the runner runs it; `on_step` (may be empty) is called
/// after each step under `progress_lock`, since runs in flight report from several threads.
/// `shared` (may be null) shares populations and networks with the batch's other runs.
run_result run_one(const scenario& s, std::uint32_t replication, bool check_invariants,
                   const std::function<void()>& on_step, std::mutex& progress_lock,
                   build_cache* shared = nullptr);

/// Progress for a replication another process ran: its `steps` steps, reported as `run_one`
/// reports a local run's, so the progress count reaches the same total.
void count_steps_run_elsewhere(const std::function<void()>& on_step, std::mutex& progress_lock,
                               std::uint32_t steps);

/// runs[arm][replication]. Replication r of every arm uses the key (seed of that arm, r), so arms
/// sharing a seed share their random numbers draw for draw (common random numbers).
/// `recipes` (one per arm, or empty) let the current executor run arms in other processes.
/// If `may_start` stops the batch early, the runs not made stay default (steps == 0).
std::vector<std::vector<run_result>> run_arms(std::span<const scenario> arms,
                                              const runner_options& options,
                                              std::span<const scenario_recipe> recipes = {});

/// How many runs to keep in flight: enough to fill the cores when one run cannot (small
/// populations), one at a time when a run fills them alone and memory matters more.
std::uint32_t default_concurrency(const scenario& s, unsigned threads);

}  // namespace cesim::analysis
