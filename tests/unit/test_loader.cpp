#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/config/parameters.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

std::string problems_of(const test::temp_dir& dir, const std::string& yaml,
                        const io::load_options& options = {}) {
  try {
    test::load_text(dir, yaml, options);
  } catch (const input_error& e) {
    std::string all;
    for (const auto& p : e.problems()) all += p.path + ": " + p.message + "\n";
    return all;
  }
  return "";
}

}  // namespace

TEST_CASE("missing optional keys take the documented defaults", "[loader]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, R"(
segments:
  - {name: all, share: 1.0, personas: loyal_regular}
touchpoints:
  - {name: site, phase: pre_purchase, channel: web}
)");
  CHECK(s.population == static_cast<std::uint64_t>(param("population").default_value));
  CHECK(s.time.horizon == 52);
  CHECK(s.time.unit == step_unit::week);
  CHECK(s.seed == 1);
  CHECK(s.name == "scenario");
  CHECK(s.channels == std::vector<std::string>{"web"});
  const auto& tp = s.touchpoints[0];
  CHECK(tp.kind == touchpoint_kind::direct);
  CHECK(tp.reach == param("touchpoints[].reach").default_value);
  CHECK(tp.quality_mean == param("touchpoints[].quality.mean").default_value);
  CHECK(tp.quality_sd == param("touchpoints[].quality.sd").default_value);
  CHECK(s.market.churn_base == param("market.churn.base").default_value);
  CHECK(s.loyalty.rate == param("loyalty.rate").default_value);
  CHECK(s.segments[0].initial_aware == param("segments[].initial.aware").default_value);
  CHECK(s.segments[0].count == s.population);
  CHECK(s.personas[0].name == "loyal_regular");
  CHECK(s.inputs.size() == 2);
  CHECK(s.inputs[1].role == "persona");
  CHECK(s.inputs[0].sha256.size() == 64);
}

TEST_CASE("weekly rates become per-step rates for other step lengths", "[loader]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, R"(
time: {step: month, discount_rate: 0.1}
segments:
  - {name: all, share: 1.0, personas: loyal_regular}
touchpoints:
  - {name: site, phase: pre_purchase, channel: web, reach: 0.2}
)");
  const double weeks = 52.0 / 12.0;
  CHECK(s.time.weeks_per_step == Approx(weeks));
  CHECK(s.touchpoints[0].reach == Approx(1 - std::pow(0.8, weeks)));
  CHECK(s.loyalty.rate == Approx(1 - std::pow(0.9, weeks)));
  CHECK(s.time.discount_per_step == Approx(std::pow(1.1, 1.0 / 12) - 1));
  // Margins are per week in the persona file; per month they are weeks-per-month times larger.
  CHECK(s.personas[0].traits[index_of(trait::margin)].mean() == Approx(4.0 * weeks).epsilon(0.01));
  // Logits stay weekly and are converted after the logistic, in the engine.
  CHECK(s.market.churn_base == param("market.churn.base").default_value);
}

TEST_CASE("segment sizes come from shares or counts and add up exactly", "[loader]") {
  test::temp_dir dir;
  const scenario shares = test::load_text(dir, R"(
population: 1001
segments:
  - {name: a, share: 0.3333333333, personas: sceptic}
  - {name: b, share: 0.3333333333, personas: sceptic}
  - {name: c, share: 0.3333333334, personas: sceptic}
)");
  std::uint64_t total = 0;
  for (const auto& seg : shares.segments) total += seg.count;
  CHECK(total == 1001);
  CHECK(shares.segments[0].count == 334);

  const scenario counts = test::load_text(dir, R"(
segments:
  - {name: a, count: 300, personas: sceptic}
  - {name: b, count: 700, personas: prosumer}
)");
  CHECK(counts.population == 1000);
  CHECK(counts.segments[1].count == 700);
  // With a population given, counts are relative weights.
  io::load_options scaled;
  scaled.overrides.push_back({"population", "2000", "--population 2000"});
  const scenario doubled = test::load_text(dir, R"(
segments:
  - {name: a, count: 300, personas: sceptic}
  - {name: b, count: 700, personas: prosumer}
)",
                                           scaled);
  CHECK(doubled.segments[1].count == 1400);
}

TEST_CASE("personas come from the library, inline definitions or paths", "[loader]") {
  test::temp_dir dir;
  test::write_file(dir / "mine" / "night_owl.yaml", R"(
persona: night_owl
description: Shops after midnight.
traits: {talkativeness: 0.9}
channel_affinity: {web: 1.0, store: 0.0}
)");
  const scenario s = test::load_text(dir, R"(
channels: [web, store]
personas:
  early_bird:
    traits: {expectation: {dist: uniform, min: 0.4, max: 0.8}}
    channel_affinity: {store: 0.9}
segments:
  - {name: a, share: 0.5, personas: {early_bird: 2, mine/night_owl.yaml: 1}}
  - {name: b, share: 0.5, personas: [prosumer, sceptic]}
)");
  REQUIRE(s.personas.size() == 4);
  CHECK(s.personas[0].name == "early_bird");
  CHECK(s.personas[0].channel_affinity == std::vector<double>{0.5, 0.9});
  CHECK(s.personas[1].name == "night_owl");
  CHECK(s.personas[1].channel_affinity == std::vector<double>{1.0, 0.0});
  CHECK(s.personas[1].traits[index_of(trait::talkativeness)].a == 0.9);
  CHECK(s.segments[0].persona_weight == std::vector<double>{2.0 / 3, 1.0 / 3});
  CHECK(s.segments[1].persona_weight == std::vector<double>{0.5, 0.5});
  // Traits a persona does not give take the table default.
  CHECK(s.personas[0].traits[index_of(trait::loss_aversion)].a == 2.25);
}

TEST_CASE("overrides are validated like values written in the file", "[loader]") {
  test::temp_dir dir;
  const std::string yaml = test::small_scenario();
  io::load_options good;
  good.overrides.push_back(
      {"touchpoints.hotline.quality.mean", "0.9", "--set touchpoints.hotline.quality.mean=0.9"});
  good.overrides.push_back({"time.horizon", "3", "--horizon 3"});
  const scenario s = test::load_text(dir, yaml, good);
  CHECK(s.touchpoints[3].quality_mean == 0.9);
  CHECK(s.time.horizon == 3);
  CHECK(s.overrides.size() == 2);

  io::load_options bad;
  bad.overrides.push_back(
      {"touchpoints.hotline.quality.mean", "1.9", "--set touchpoints.hotline.quality.mean=1.9"});
  try {
    test::load_text(dir, yaml, bad);
    FAIL("expected an error");
  } catch (const input_error& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].to_string() ==
          "--set touchpoints.hotline.quality.mean=1.9: touchpoints[3].quality.mean: must be in [0, "
          "1], got 1.9");
  }
}

TEST_CASE("cross-field rules are checked", "[loader]") {
  test::temp_dir dir;
  CHECK(problems_of(dir, R"(
segments:
  - {name: all, share: 1.0, personas: loyal_regular}
touchpoints:
  - {name: reviews, kind: indirect, phase: pre_purchase, channel: web, shows_public_rating: true, quality: {mean: 0.5}}
)") == "touchpoints[0].quality.mean: is not used: this touchpoint shows the current public rating "
       "instead; remove "
       "quality.mean or shows_public_rating\n");
  CHECK(problems_of(dir, R"(
segments:
  - {name: all, share: 1.0, personas: {loyal_regular: 1, sceptic: 0}}
  - {name: all2, share: 0, personas: {sceptic: 0}}
)") == "segments[1].personas: needs at least one persona with a positive weight\n");
  CHECK(problems_of(dir, R"(
segments:
  - name: all
    share: 1.0
    personas: sceptic
    correlation: {traits: [participation, participation], matrix: [[1, 0], [0, 1]]}
)") == "segments[0].correlation.traits[1]: trait 'participation' is listed twice\n");
  CHECK(problems_of(dir, R"(
segments:
  - name: all
    share: 1.0
    personas: sceptic
    traits: {margin: {dist: beta, mean: 0.5, sd: 0.1}}
)") == "segments[0].traits.margin.dist: beta is defined on [0, 1], but this value ranges over [0, "
       "inf]; use "
       "lognormal, normal or uniform\n");
}

TEST_CASE("validate_file tells scenarios from personas and reports all problems", "[loader]") {
  const auto ok = io::validate_file((test::source_dir() / "personas" / "prosumer.yaml").string());
  CHECK(ok.kind == "persona");
  CHECK(ok.problems.empty());
  const auto bad = io::validate_file((test::data_dir() / "bad" / "several_problems.yaml").string());
  CHECK(bad.kind == "scenario");
  CHECK(bad.problems.size() == 5);
  const auto missing = io::validate_file("/no/such/file.yaml");
  REQUIRE(missing.problems.size() == 1);
  CHECK(missing.problems[0].message == "cannot open file: No such file or directory");
}

TEST_CASE("every shipped scenario and persona validates", "[loader]") {
  for (const auto& folder : {"scenarios", "personas"})
    for (const auto& e : std::filesystem::directory_iterator(test::source_dir() / folder)) {
      if (e.path().extension() != ".yaml") continue;
      INFO(e.path().string());
      const auto report = io::validate_file(e.path().string());
      for (const auto& p : report.problems) UNSCOPED_INFO(p.to_string());
      CHECK(report.problems.empty());
    }
}

TEST_CASE("edge cases found in review: empty persona bodies, counts beyond 32-bit ids, x- keys",
          "[loader]") {
  test::temp_dir dir;
  // An inline persona with an empty body takes every trait default (not zeros).
  const scenario s = test::load_text(dir, R"(
x-shared: &site {phase: pre_purchase, channel: web}
personas:
  blank:
segments:
  - {name: all, share: 1.0, personas: blank}
touchpoints:
  - {<<: *site, name: website}
)");
  CHECK(s.personas[0].traits[index_of(trait::loss_aversion)].a == 2.25);
  CHECK(s.personas[0].traits[index_of(trait::margin)].a == 1.0);
  CHECK(s.touchpoints[0].channel == 0);
  CHECK(problems_of(dir, R"(
segments:
  - {name: a, count: 4294967295, personas: sceptic}
  - {name: b, count: 4294967295, personas: sceptic}
)") == "segments: segment counts sum to 8589934590, more than the 4294967295 customers 32-bit ids "
       "allow\n");
  CHECK(problems_of(dir, R"(
name: "my scenario"
segments:
  - {name: a, share: 1, personas: sceptic}
)") == "name: scenario name 'my scenario' may contain only letters, digits, '_' and '-' (at most "
       "64; names are "
       "used in key paths and output columns)\n");
  CHECK(problems_of(dir, R"(
personas:
  p: {persona: p}
segments:
  - {name: a, share: 1, personas: p}
)") == "personas.p.persona: unknown key 'persona' (known: description, traits, channel_affinity, "
       "network)\n");
  CHECK(problems_of(dir, R"(
segments:
  - name: a
    share: 1
    personas: sceptic
    correlation: {traits: [participation, talkativeness], matrix: [[1, 1], [1, 1]]}
)") == "segments[0].correlation.matrix[0][1]: off-diagonal correlations must lie strictly between "
       "-1 and 1, got 1\n"
       "segments[0].correlation.matrix[1][0]: off-diagonal correlations must lie strictly between "
       "-1 and 1, got 1\n");
}
