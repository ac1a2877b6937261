// A failing job must not break the runs still in flight: TBB cancels the pipeline, and runs whose
// inner parallel loops were cancelled half-way used to crash (found with a full disk in a sweep).
#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <stdexcept>

#include "cesim/analysis/runner.hpp"
#include "test_support.hpp"

using namespace cesim;

TEST_CASE("a job that throws ends the batch with its error and the runs in flight finish whole",
          "[runner]") {
  const tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 2);
  test::temp_dir dir;
  const auto s = test::load_text(dir, test::small_scenario(30'000, 12));
  std::mutex lock;
  std::vector<std::size_t> finished;
  for (std::size_t failing : {1u, 3u}) {
    finished.clear();
    const auto run = [&](std::size_t job) -> run_result {
      if (job == failing) throw std::runtime_error("job failed on purpose");
      run_options ro;
      ro.replication = static_cast<std::uint32_t>(job);
      // Every step's invariants: a run whose loops stopped half-way would violate them.
      ro.check_invariants = true;
      return run_replication(s, ro);
    };
    const auto done = [&](std::size_t job, run_result&& r) {
      CHECK(r.steps == 12);
      const std::lock_guard guard(lock);
      finished.push_back(job);
    };
    CHECK_THROWS_WITH(analysis::run_stream(8, 4, run, done), "job failed on purpose");
    // Results before the failing job were delivered in order; none after it.
    for (std::size_t k = 0; k < finished.size(); ++k) CHECK(finished[k] == k);
    CHECK(finished.size() <= failing);
  }
}

TEST_CASE("a done callback that throws ends the batch without breaking runs in flight",
          "[runner]") {
  const tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 2);
  test::temp_dir dir;
  const auto s = test::load_text(dir, test::small_scenario(30'000, 12));
  const auto run = [&](std::size_t job) {
    run_options ro;
    ro.replication = static_cast<std::uint32_t>(job);
    ro.check_invariants = true;
    return run_replication(s, ro);
  };
  const auto done = [&](std::size_t job, run_result&&) {
    if (job == 0) throw std::runtime_error("cannot write results.csv: No space left on device");
  };
  CHECK_THROWS_WITH(analysis::run_stream(6, 4, run, done),
                    "cannot write results.csv: No space left on device");
}
