#include "cesim/analysis/runner.hpp"

#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <mutex>

namespace cesim::analysis {

void run_stream(std::size_t jobs, std::uint32_t concurrent,
                const std::function<run_result(std::size_t)>& run,
                const std::function<void(std::size_t, run_result&&)>& done) {
  if (jobs == 0) return;
  std::size_t next = 0;
  using job_result = std::pair<std::size_t, run_result>;
  // A pipeline keeps `concurrent` runs in flight without the idle tail of fixed waves; its
  // last stage is serial in order, so results leave in job order.
  tbb::parallel_pipeline(
      std::max<std::size_t>(1, concurrent),
      tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                          [&](tbb::flow_control& fc) -> std::size_t {
                                            if (next == jobs) {
                                              fc.stop();
                                              return 0;
                                            }
                                            return next++;
                                          }) &
          tbb::make_filter<std::size_t, job_result>(tbb::filter_mode::parallel,
                                                    [&](std::size_t job) {
                                                      return job_result{job, run(job)};
                                                    }) &
          tbb::make_filter<job_result, void>(tbb::filter_mode::serial_in_order, [&](job_result r) {
            done(r.first, std::move(r.second));
          }));
}

run_result run_one(const scenario& s, std::uint32_t replication, bool check_invariants,
                   const std::function<void()>& on_step, std::mutex& progress_lock) {
  run_options ro;
  ro.replication = replication;
  ro.check_invariants = check_invariants;
  if (on_step)
    ro.on_step = [&](std::uint32_t) {
      const std::lock_guard guard(progress_lock);
      on_step();
    };
  return run_replication(s, ro);
}

std::vector<std::vector<run_result>> run_arms(std::span<const scenario> arms,
                                              const runner_options& options) {
  const std::uint32_t replications = std::max<std::uint32_t>(1, options.replications);
  std::vector<std::vector<run_result>> runs(arms.size(), std::vector<run_result>(replications));
  std::mutex progress_lock;
  run_stream(
      arms.size() * replications, options.concurrent,
      [&](std::size_t job) {
        return run_one(arms[job / replications], static_cast<std::uint32_t>(job % replications),
                       options.check_invariants, options.on_step, progress_lock);
      },
      [&](std::size_t job, run_result&& result) {
        runs[job / replications][job % replications] = std::move(result);
      });
  return runs;
}

std::uint32_t default_concurrency(const scenario& s, unsigned threads) {
  // Below this size one run cannot keep two cores busy through its 4096-agent blocks alone.
  constexpr std::uint64_t fills_the_cores = 200'000;
  return s.population <= fills_the_cores ? std::max(1u, threads) : 1u;
}

}  // namespace cesim::analysis
