#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <catch2/catch.hpp>

#include "cesim/analysis/replicate.hpp"
#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

run_result run_with_threads(const scenario& s, int threads, std::uint64_t replication = 0) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  run_result r;
  arena.execute([&] {
    run_options o;
    o.replication = replication;
    o.check_invariants = true;
    r = run_replication(s, o);
  });
  return r;
}

/// A run with invariant checks, its word of mouth delivered as `delivery` says.
run_result run_delivering(const scenario& s, run_options::delivery delivery) {
  run_options o;
  o.check_invariants = true;
  o.wom_delivery = delivery;
  return run_replication(s, o);
}

}  // namespace

TEST_CASE("results are bit-identical for 1, 2 and 4 threads", "[determinism]") {
  test::temp_dir dir;
  // 50,000 customers are 13 blocks: enough for every thread to take several.
  const scenario s = test::load_text(dir, test::small_scenario(50000, 15));
  const auto one = run_with_threads(s, 1);
  const auto two = run_with_threads(s, 2);
  const auto four = run_with_threads(s, 4);
  CHECK(test::identical(one, two));
  CHECK(test::identical(one, four));
  CHECK(one.summary.back().customers_end > 0);
}

TEST_CASE("the same seed gives the same result; another seed or replication another one",
          "[determinism]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, test::small_scenario(20000, 10));
  const auto a = run_with_threads(s, 2);
  const auto b = run_with_threads(s, 2);
  CHECK(test::identical(a, b));
  const auto other_replication = run_with_threads(s, 2, 1);
  CHECK_FALSE(test::identical(a, other_replication));
  io::load_options seeded;
  seeded.overrides.push_back({"seed", "8", "--seed 8"});
  const scenario s8 = test::load_text(dir, test::small_scenario(20000, 10), seeded);
  CHECK_FALSE(test::identical(a, run_with_threads(s8, 2)));
}

TEST_CASE("replications run concurrently give what they give alone", "[determinism]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, test::small_scenario(8000, 8));
  analysis::replication_options o;
  o.replications = 4;
  o.concurrent = 4;
  const auto together = analysis::run_replications(s, o);
  REQUIRE(together.runs.size() == 4);
  for (std::uint64_t r = 0; r < 4; ++r)
    CHECK(test::identical(together.runs[r], run_with_threads(s, 1, r)));
}

TEST_CASE("word of mouth pushed from tellers equals word of mouth pulled by hearers",
          "[determinism][word_of_mouth]") {
  io::load_options small;
  small.overrides.push_back({"population", "20000", "test"});
  // The burger contest: weak and strong ties, referral and contest stories, several origins.
  const scenario contest =
      io::load_scenario(std::string(CESIM_SOURCE_DIR) + "/scenarios/burger_contest.yaml", small);
  const auto pulled = run_delivering(contest, run_options::delivery::pull);
  const auto pushed = run_delivering(contest, run_options::delivery::push);
  const auto automatic = run_delivering(contest, run_options::delivery::automatic);
  CHECK(test::identical(pulled, pushed));
  CHECK(test::identical(pulled, automatic));
  // Word of mouth did happen: the comparison is not between two silent runs.
  CHECK(pulled.summary.back().wom_reach > 0.05);
}

TEST_CASE("pushed word of mouth equals pulled when a step's hearings take the bucket sort",
          "[determinism][word_of_mouth]") {
  // Talkative customers on a dense network: tens of thousands of hearings a step, past the size
  // (2^14) from which collect_hearings sorts by buckets instead of std::sort.
  test::temp_dir dir;
  const scenario s = test::load_text(dir, test::small_scenario(60000, 4, R"(
network: {type: watts_strogatz, mean_degree: 20, rewiring: 0.1}
word_of_mouth: {talk_scale: 0.9, organic_rate: 0.6, forward_probability: 0.5}
)"));
  const auto pulled = run_delivering(s, run_options::delivery::pull);
  CHECK(test::identical(pulled, run_delivering(s, run_options::delivery::push)));
  // Each customer who heard something is at least one hearing.
  std::uint64_t most_hearers = 0;
  for (std::uint32_t step = 1; step <= s.time.horizon; ++step) {
    std::uint64_t hearers = 0;
    for (std::size_t seg = 0; seg < pulled.segment_names.size(); ++seg) {
      const auto& t = pulled.at(step, seg);
      hearers += std::max(t.heard_positive, t.heard_negative);
    }
    most_hearers = std::max(most_hearers, hearers);
  }
  CHECK(most_hearers >= (std::uint64_t{1} << 14));
}
