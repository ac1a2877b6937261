#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "cesim/analysis/compare.hpp"
#include "test_support.hpp"

using namespace cesim;

TEST_CASE("Welch interval of a difference of means matches a hand computation", "[compare]") {
  // Means 12 and 10; variances 2.5 and 10 over n = 5: se = sqrt(0.5 + 2) = 1.5811,
  // df = 2.5^2 / (0.5^2/4 + 2^2/4) = 5.882; t(0.975, 5.882) = 2.4588 (numerical integration of
  // the Student-t density).
  const std::vector<double> variant{10, 11, 12, 13, 14};
  const std::vector<double> baseline{6, 8, 10, 12, 14};
  const auto d = analysis::welch_difference(variant, baseline);
  CHECK(d.mean == Approx(2.0));
  CHECK(d.sd == Approx(std::sqrt(2.5 + 10.0)));
  CHECK(d.ci_high - d.mean == Approx(2.4588 * std::sqrt(2.5)).epsilon(1e-3));
  CHECK(d.mean - d.ci_low == Approx(d.ci_high - d.mean));
}

TEST_CASE("ratio of means has a delta-method interval and refuses a zero denominator",
          "[compare]") {
  // Exactly proportional pairs: the ratio is 2 with no uncertainty.
  const std::vector<double> cost{10, 20, 30, 40};
  const std::vector<double> value{20, 40, 60, 80};
  const auto exact = analysis::ratio_of_means(value, cost);
  CHECK(exact.mean == Approx(2.0));
  CHECK(exact.ci_high - exact.ci_low == Approx(0.0).margin(1e-12));
  // Noise around the line widens the interval but keeps the point estimate sum(v)/sum(c).
  const std::vector<double> noisy{22, 38, 61, 79};
  const auto e = analysis::ratio_of_means(noisy, cost);
  CHECK(e.mean == Approx(200.0 / 100.0));
  CHECK(e.ci_low < 2.0);
  CHECK(e.ci_high > 2.0);
  const std::vector<double> no_cost{0, 0, 0, 0};
  CHECK(std::isnan(analysis::ratio_of_means(value, no_cost).mean));
}

namespace {

std::string problems_of(const test::temp_dir& dir, const std::string& yaml) {
  try {
    const auto s = test::load_text(dir, yaml);
    std::string all;
    for (const auto& v : s.variants) {
      try {
        (void)io::load_variant((dir / "scenario.yaml").string(), {}, v);
      } catch (const input_error& e) {
        for (const auto& p : e.problems()) all += p.to_string() + "\n";
      }
    }
    return all;
  } catch (const input_error& e) {
    std::string all;
    for (const auto& p : e.problems()) all += p.path + ": " + p.message + "\n";
    return all;
  }
}

}  // namespace

TEST_CASE("variants are named sets of key-path overrides", "[compare][loader]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, test::small_scenario(1000, 4, R"(
variants:
  - name: better_hotline
    description: fix the hotline
    set: {touchpoints.hotline.quality.mean: 0.8}
  - name: no_store
    set: {touchpoints.store.enabled: false, touchpoints.website.reach: 0.3}
)"));
  REQUIRE(s.variants.size() == 2);
  CHECK(s.variants[0].name == "better_hotline");
  CHECK(s.variants[0].description == "fix the hotline");
  REQUIRE(s.variants[1].overrides.size() == 2);
  CHECK(s.variants[1].overrides[0].path == "touchpoints.store.enabled");
  CHECK(s.variants[1].overrides[0].value == "false");

  const auto path = (dir / "scenario.yaml").string();
  const scenario better = io::load_variant(path, {}, s.variants[0]);
  CHECK(better.touchpoints[3].name == "hotline");
  CHECK(better.touchpoints[3].quality_mean == 0.8);
  const scenario without = io::load_variant(path, {}, s.variants[1]);
  REQUIRE(without.touchpoints.size() == s.touchpoints.size() - 1);
  for (const auto& tp : without.touchpoints) CHECK(tp.name != "store");
  CHECK(without.touchpoints[0].reach == Approx(0.3));
}

TEST_CASE("a disabled contest takes its winner touchpoints with it", "[compare][loader]") {
  test::temp_dir dir;
  const std::string contest = R"(
campaigns:
  - name: contest
    type: co_creation_contest
    channel: web
    start: 1
    end: 3
    enabled: ENABLED
    feature: {steps: 2}
)";
  auto with = [&](const std::string& flag) {
    std::string text = contest;
    text.replace(text.find("ENABLED"), 7, flag);
    return test::load_text(dir, test::small_scenario(1000, 8, text));
  };
  const scenario on = with("true");
  const scenario off = with("false");
  CHECK(on.campaigns.size() == 1);
  CHECK(on.touchpoints.size() == 6);  // four written, the winner on sale and its launch
  CHECK(off.campaigns.empty());
  CHECK(off.touchpoints.size() == 4);
}

TEST_CASE("bad variants are reported with the variant's name and place", "[compare][loader]") {
  test::temp_dir dir;
  const auto structural = problems_of(dir, test::small_scenario(1000, 4, R"(
variants:
  - name: baseline
    set: {touchpoints.hotline.reach: 0.1}
  - name: twice
    set: {touchpoints.hotline.reach: 0.1}
  - name: twice
    set: {touchpoints.hotline.reach: 0.2}
  - name: empty
  - name: typo
    sett: {a: 1}
)"));
  CHECK_THAT(structural, Catch::Contains("variants[0].name: 'baseline' is the scenario itself"));
  CHECK_THAT(structural, Catch::Contains("variants[2].name: variant 'twice' is defined twice"));
  CHECK_THAT(structural, Catch::Contains("variants[3]: needs 'set'"));
  CHECK_THAT(structural,
             Catch::Contains("variants[4].sett: unknown key 'sett' (did you mean 'set'?)"));

  const auto applied = problems_of(dir, test::small_scenario(1000, 4, R"(
variants:
  - name: too_good
    set: {touchpoints.hotline.quality.mean: 1.5}
  - name: missing
    set: {touchpoints.call_centre.reach: 0.1}
)"));
  CHECK_THAT(applied, Catch::Contains("(variant 'too_good')"));
  CHECK_THAT(applied, Catch::Contains("touchpoints[3].quality.mean"));
  CHECK_THAT(applied, Catch::Contains("(variant 'missing')"));
  CHECK_THAT(applied, Catch::Contains("no element named 'call_centre'"));
}
