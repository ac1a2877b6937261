#include "cesim/analysis/runner.hpp"

#include <fmt/format.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "cesim/error.hpp"
#include "cesim/io/scenario_loader.hpp"
#include "cesim/sim/build_cache.hpp"
#include "cesim/sim/memory.hpp"

namespace cesim::analysis {

namespace {
job_executor* process_executor = nullptr;
}  // namespace

job_executor* current_executor() {
  return process_executor;
}

void set_current_executor(job_executor* executor) {
  process_executor = executor;
}

void execute(const job_batch& batch) {
  if (process_executor != nullptr && batch.describe) {
    process_executor->execute(batch);
    return;
  }
  run_stream(batch.jobs, batch.concurrent, batch.run, batch.done, batch.may_start);
}

namespace {

/// Runs one job in a task group of its own. When a job or `done` throws, TBB cancels the
/// pipeline's tasks; without isolation the parallel loops of the runs still in flight would
/// stop half-way, leaving those runs inconsistent (a crash, found with a full disk during a
/// sweep). Isolated, they finish, and then the exception surfaces.
run_result run_isolated(const std::function<run_result(std::size_t)>& run, std::size_t job) {
  tbb::task_group_context own(tbb::task_group_context::isolated);
  tbb::task_group group(own);
  run_result result;
  group.run_and_wait([&] { result = run(job); });
  return result;
}

}  // namespace

void run_stream(std::size_t jobs, std::uint32_t concurrent,
                const std::function<run_result(std::size_t)>& run,
                const std::function<void(std::size_t, run_result&&)>& done,
                const std::function<bool(std::size_t)>& may_start) {
  if (jobs == 0) return;
  std::size_t next = 0;
  // Finished results wait here for their turn, not inside the pipeline: TBB does not destroy
  // the items between stages of a cancelled pipeline, so a failure would leak them.
  std::mutex waiting_lock;
  std::map<std::size_t, run_result> waiting;
  // A pipeline keeps `concurrent` runs in flight without the idle tail of fixed waves; its
  // last stage is serial in order, so results leave in job order.
  tbb::parallel_pipeline(
      std::max<std::size_t>(1, concurrent),
      tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                          [&](tbb::flow_control& fc) -> std::size_t {
                                            if (next == jobs || (may_start && !may_start(next))) {
                                              fc.stop();
                                              return 0;
                                            }
                                            return next++;
                                          }) &
          tbb::make_filter<std::size_t, std::size_t>(tbb::filter_mode::parallel,
                                                     [&](std::size_t job) {
                                                       auto result = run_isolated(run, job);
                                                       const std::lock_guard guard(waiting_lock);
                                                       waiting.emplace(job, std::move(result));
                                                       return job;
                                                     }) &
          tbb::make_filter<std::size_t, void>(tbb::filter_mode::serial_in_order,
                                              [&](std::size_t job) {
                                                run_result result;
                                                {
                                                  const std::lock_guard guard(waiting_lock);
                                                  auto it = waiting.find(job);
                                                  result = std::move(it->second);
                                                  waiting.erase(it);
                                                }
                                                done(job, std::move(result));
                                              }));
}

run_result run_one(const scenario& s, std::uint32_t replication, bool check_invariants,
                   const std::function<void()>& on_step, std::mutex& progress_lock,
                   build_cache* shared) {
  run_options ro;
  ro.replication = replication;
  ro.check_invariants = check_invariants;
  ro.shared = shared;
  if (on_step)
    ro.on_step = [&](std::uint32_t) {
      const std::lock_guard guard(progress_lock);
      on_step();
    };
  return run_replication(s, ro);
}

void count_steps_run_elsewhere(const std::function<void()>& on_step, std::mutex& progress_lock,
                               std::uint32_t steps) {
  if (!on_step) return;
  const std::lock_guard guard(progress_lock);
  for (std::uint32_t t = 0; t < steps; ++t) on_step();
}

void check_inputs_unchanged(std::span<const input_file> expected,
                            std::span<const input_file> loaded) {
  for (const auto& file : loaded) {
    const auto known = std::find_if(expected.begin(), expected.end(), [&](const input_file& e) {
      return e.path == file.path && e.role == file.role;
    });
    if (known == expected.end() || known->sha256 == file.sha256) continue;
    throw input_error(source_mark::named(file.path), "",
                      fmt::format("changed since the command started (sha256 {} now, {} then): "
                                  "results of two versions would be mixed; do not edit the "
                                  "inputs while a command runs",
                                  file.sha256.substr(0, 12), known->sha256.substr(0, 12)));
  }
}

run_result run_described(const job_description& job, worker_cache& cache) {
  const std::string key = encode(job.recipe);
  auto& kept = cache.scenarios;
  auto found =
      std::find_if(kept.begin(), kept.end(),
                   [&](const std::pair<std::string, scenario>& e) { return e.first == key; });
  if (found == kept.end()) {
    scenario loaded = io::load_scenario(job.recipe.file, job.recipe.options);
    check_inputs_unchanged(job.recipe.inputs, loaded.inputs);
    if (kept.size() == worker_cache::scenarios_kept) kept.pop_front();
    kept.emplace_back(key, std::move(loaded));
    found = std::prev(kept.end());
  }
  if (!cache.builds) {
    const auto room = room_for_shared_builds(found->second, kept_without_limit, 1);
    cache.builds.emplace(room.count, room.network_bytes, room.population_bytes);
  }
  run_options ro;
  ro.replication = job.replication;
  ro.check_invariants = job.check_invariants;
  ro.shared = &*cache.builds;
  return run_replication(found->second, ro);
}

std::vector<std::vector<run_result>> run_arms(std::span<const scenario> arms,
                                              const runner_options& options,
                                              std::span<const scenario_recipe> recipes) {
  const std::uint32_t replications = std::max<std::uint32_t>(1, options.replications);
  std::vector<std::vector<run_result>> runs(arms.size(), std::vector<run_result>(replications));
  // Jobs go replication by replication, the arms of each side by side, so the arms of one
  // replication follow each other and share its network while the cache still holds it.
  const auto arm_of = [&](std::size_t job) { return job % arms.size(); };
  const auto replication_of = [&](std::size_t job) {
    return static_cast<std::uint32_t>(job / arms.size());
  };
  std::optional<build_cache> shared;
  if (arms.size() > 1) shared.emplace(std::max<std::uint32_t>(1, options.concurrent));
  std::mutex progress_lock;
  job_batch batch;
  batch.jobs = arms.size() * replications;
  batch.concurrent = options.concurrent;
  batch.run = [&](std::size_t job) {
    return run_one(arms[arm_of(job)], replication_of(job), options.check_invariants,
                   options.on_step, progress_lock, shared ? &*shared : nullptr);
  };
  if (recipes.size() == arms.size())
    batch.describe = [&](std::size_t job) {
      job_description d{recipes[arm_of(job)], replication_of(job), options.check_invariants};
      d.recipe.inputs = arms[arm_of(job)].inputs;
      return d;
    };
  batch.done = [&](std::size_t job, run_result&& result) {
    runs[arm_of(job)][replication_of(job)] = std::move(result);
  };
  batch.may_start = options.may_start;
  batch.ran_elsewhere = [&](std::size_t job) {
    count_steps_run_elsewhere(options.on_step, progress_lock, arms[arm_of(job)].time.horizon);
  };
  execute(batch);
  return runs;
}

std::uint32_t default_concurrency(const scenario& s, unsigned threads) {
  // Below this size one run cannot keep two cores busy through its 4096-agent blocks alone.
  constexpr std::uint64_t fills_the_cores = 200'000;
  const std::uint32_t wanted = s.population <= fills_the_cores ? std::max(1u, threads) : 1u;
  // Replications side by side must fit in memory together; one alone is checked when it starts.
  // Batches share populations (build_cache), so count the state a kept population holds.
  return replications_that_fit(s, wanted, true);
}

}  // namespace cesim::analysis
