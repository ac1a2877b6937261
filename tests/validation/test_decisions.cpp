// Decision tools against what statistics says they must do: intervals that cover the truth at
// their nominal rate, common random numbers that shrink the variance of differences, and a
// priority ranking that finds the touchpoint that was made bad on purpose.
#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/analysis/compare.hpp"
#include "cesim/analysis/replicate.hpp"
#include "cesim/analysis/runner.hpp"
#include "test_support.hpp"

using namespace cesim;

TEST_CASE("95% intervals over replications cover a known mean in about 95% of experiments",
          "[decisions][heavy]") {
  // 2000 customers at step 1 meet a post-purchase hotline with probability reach (0.5) times
  // the persona's phone affinity (0.5): exposures have mean 4000 * 0.5 * 0.25 = 500 exactly.
  // Each experiment is 5 replications with their own seed; 300 experiments estimate the
  // coverage with a standard error of 1.3 points, so the tolerance of 4 points is 3 SE.
  test::temp_dir dir;
  const std::string yaml = R"(
population: 4000
time: {horizon: 1}
network: {type: well_mixed, contacts_per_step: 1}  # no ties to build: the test is about statistics
channels: [phone]
segments:
  - {name: all, share: 1.0, personas: loyal_regular, initial: {aware: 1.0, customers: 0.5}}
touchpoints:
  - {name: hotline, phase: post_purchase, channel: phone, reach: 0.5}
)";
  const scenario base = test::load_text(dir, yaml);
  REQUIRE(base.personas.front().channel_affinity[0] == 0.5);
  constexpr int experiments = 300;
  int covered = 0;
  double mean_of_means = 0;
  for (int e = 0; e < experiments; ++e) {
    scenario s = base;
    s.seed = 1000 + static_cast<std::uint64_t>(e);
    analysis::replication_options ro;
    ro.replications = 5;
    ro.concurrent = 5;
    const auto r = analysis::run_replications(s, ro);
    std::vector<double> exposures;
    for (const auto& run : r.runs)
      exposures.push_back(static_cast<double>(run.touchpoint_series.front().exposures));
    const auto est = analysis::summarize(exposures);
    covered += est.ci_low <= 500.0 && 500.0 <= est.ci_high;
    mean_of_means += est.mean / experiments;
  }
  const double coverage = static_cast<double>(covered) / experiments;
  INFO("coverage " << coverage << ", mean " << mean_of_means);
  CHECK(mean_of_means == Approx(500).margin(1.5));  // SE of the grand mean: ~0.7
  CHECK(coverage == Approx(0.95).margin(0.04));
}

TEST_CASE("common random numbers make the interval of a small effect far narrower", "[decisions]") {
  // A small improvement (store quality +0.02). Paired: variant and baseline share the key of
  // each replication. Independent: the variant draws from other seeds, as two separate studies
  // would. Both estimate the same difference.
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(20000, 12));
  scenario better = base;
  for (auto& tp : better.touchpoints)
    if (tp.name == "store") tp.quality_mean += 0.02;
  scenario better_elsewhere = better;
  better_elsewhere.seed = base.seed + 1000;
  analysis::runner_options ro;
  ro.replications = 8;
  ro.concurrent = 2;
  const std::vector<scenario> arms{base, better, better_elsewhere};
  const auto runs = analysis::run_arms(arms, ro);
  const auto paired = analysis::compare_runs({runs[0], runs[1]}, {"baseline", "better"}, {});
  const auto independent =
      analysis::compare_runs({runs[0], runs[2]}, {"baseline", "better_elsewhere"}, {});
  const auto loyalty = analysis::outcome_index("loyalty");
  const auto total = analysis::total_row(paired);
  const auto& p = paired.arms[0].metrics[total][loyalty];
  const auto& q = independent.arms[0].metrics[total][loyalty];
  const double paired_width = p.paired.ci_high - p.paired.ci_low;
  const double welch_width = p.unpaired.ci_high - p.unpaired.ci_low;
  const double independent_width = q.paired.ci_high - q.paired.ci_low;
  INFO("paired " << paired_width << ", Welch " << welch_width << ", independent seeds "
                 << independent_width << "; effect " << p.paired.mean);
  CHECK(p.paired.mean > 0);
  CHECK(p.paired.ci_low > 0);  // resolved with pairing
  CHECK(paired_width < 0.25 * welch_width);
  CHECK(paired_width < 0.25 * independent_width);
  CHECK(p.paired.sd < 0.25 * q.paired.sd);
}

TEST_CASE("prioritisation ranks a deliberately bad touchpoint first", "[decisions]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, R"(
population: 20000
time: {horizon: 16}
seed: 11
channels: [store]
segments:
  - {name: all, share: 1.0, personas: {loyal_regular: 0.5, digital_native: 0.5}, initial: {aware: 0.8, customers: 0.5}}
touchpoints:
  # Equal in all but quality, so the ranking can only come from what quality does.
  - {name: invoice, phase: post_purchase, channel: store, reach: 0.3, quality: {mean: 0.65, sd: 0.1}}
  - {name: app, phase: post_purchase, channel: store, reach: 0.3, quality: {mean: 0.65, sd: 0.1}}
  - {name: hotline, phase: post_purchase, channel: store, reach: 0.3, quality: {mean: 0.25, sd: 0.1}, improvement_cost: 30000}
  - {name: newsletter, phase: post_purchase, channel: store, reach: 0.3, quality: {mean: 0.65, sd: 0.1}}
)");
  analysis::priority_options po;
  const auto plan = analysis::plan_priorities(s, po);
  REQUIRE(plan.arms.size() == 9);  // baseline, then improve and remove per touchpoint
  analysis::runner_options ro;
  ro.replications = 3;
  ro.concurrent = 2;
  const auto runs = analysis::run_arms(plan.arms, ro);
  const auto ranking = analysis::rank_priorities(s, po, plan, runs);
  REQUIRE(ranking.touchpoints.size() == 4);
  const auto& first = ranking.touchpoints.front();
  CHECK(first.touchpoint == "hotline");
  CHECK(first.rank == 1);
  const auto total = analysis::total_row(ranking.effects);
  const std::size_t loyalty = analysis::outcome_index("loyalty");
  // Improving it helps, and so would removing it: it does harm as it is.
  CHECK(ranking.effects.arms[*first.improve_arm].metrics[total][loyalty].paired.ci_low > 0);
  CHECK(ranking.effects.arms[first.remove_arm].metrics[total][loyalty].paired.ci_low > 0);
  // A known improvement cost gives a cost per loyalty point; unknown costs give none.
  CHECK(first.improvement_cost == Approx(30000));
  const double gain_points =
      100 * ranking.effects.arms[*first.improve_arm].metrics[total][loyalty].paired.mean;
  CHECK(first.cost_per_loyalty_point.mean == Approx(30000 / gain_points));
  CHECK(std::isnan(ranking.touchpoints.back().cost_per_loyalty_point.mean));
}
