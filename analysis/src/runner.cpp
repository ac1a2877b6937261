#include "cesim/analysis/runner.hpp"

#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <mutex>

namespace cesim::analysis {

std::vector<std::vector<run_result>> run_arms(std::span<const scenario> arms,
                                              const runner_options& options) {
  const std::uint32_t replications = std::max<std::uint32_t>(1, options.replications);
  std::vector<std::vector<run_result>> runs(arms.size(), std::vector<run_result>(replications));
  const std::size_t jobs = arms.size() * replications;
  if (jobs == 0) return runs;
  std::mutex progress_lock;
  std::size_t next = 0;
  // A pipeline keeps `concurrent` runs in flight without the idle tail of fixed waves.
  tbb::parallel_pipeline(
      std::max<std::size_t>(1, options.concurrent),
      tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                          [&](tbb::flow_control& fc) -> std::size_t {
                                            if (next == jobs) {
                                              fc.stop();
                                              return 0;
                                            }
                                            return next++;
                                          }) &
          tbb::make_filter<std::size_t, void>(tbb::filter_mode::parallel, [&](std::size_t job) {
            const std::size_t arm = job / replications;
            const auto replication = static_cast<std::uint32_t>(job % replications);
            run_options ro;
            ro.replication = replication;
            ro.check_invariants = options.check_invariants;
            if (options.on_step)
              ro.on_step = [&](std::uint32_t) {
                const std::lock_guard guard(progress_lock);
                options.on_step();
              };
            runs[arm][replication] = run_replication(arms[arm], ro);
          }));
  return runs;
}

std::uint32_t default_concurrency(const scenario& s, unsigned threads) {
  // Below this size one run cannot keep two cores busy through its 4096-agent blocks alone.
  constexpr std::uint64_t fills_the_cores = 200'000;
  return s.population <= fills_the_cores ? std::max(1u, threads) : 1u;
}

}  // namespace cesim::analysis
