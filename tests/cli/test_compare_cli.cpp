// cesim compare and cesim prioritize end to end: what they print and write, and how they refuse
// bad requests before running anything.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace cesim;
namespace fs = std::filesystem;

namespace {

std::string scenario_with_variants(const std::string& variants) {
  return test::small_scenario(3000, 6, R"(
campaigns:
  - {name: survey, type: survey, channel: web, start: 2, costs: {fixed: 5000}}
variants:
)" + variants);
}

}  // namespace

TEST_CASE("compare runs baseline and variants and writes paired results", "[cli][compare]") {
  test::temp_dir dir;
  test::write_file(dir / "s.yaml", scenario_with_variants(R"(
  - {name: better_store, description: fix the store, set: {touchpoints.store.quality.mean: 0.8}}
  - {name: no_survey, set: {campaigns.survey.enabled: false}}
)"));
  const auto out = dir / "cmp";
  const auto r = test::run_cesim(
      {"compare", (dir / "s.yaml").string(), "-r", "3", "--threads", "2", "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("variants against baseline (3 replications, common random"));
  CHECK_THAT(r.out, Catch::Contains("better_store"));
  CHECK_THAT(r.out, Catch::Contains("no_survey"));
  CHECK_THAT(r.out, Catch::Contains("pairing made the loyalty intervals"));
  for (const char* f : {"comparison.json", "comparison.csv", "runs.csv", "bands.csv", "report.html",
                        "manifest.json"})
    CHECK(fs::exists(out / f));
  const auto doc = nlohmann::json::parse(test::read_file(out / "comparison.json"));
  CHECK(doc["baseline"] == "baseline");
  CHECK(doc["replications"] == 3);
  REQUIRE(doc["variants"].size() == 2);
  CHECK(doc["variants"][0]["name"] == "better_store");
  CHECK(doc["variants"][0]["overrides"][0]["path"] == "touchpoints.store.quality.mean");
  // Dropping the survey saves its fixed cost exactly, in every replication.
  const auto& total = doc["variants"][1]["segments"].back();
  CHECK(total["segment"] == "total");
  CHECK(total["metrics"]["cost"]["difference"]["mean"].get<double>() < -5000 + 1e-6);
  const auto manifest = nlohmann::json::parse(test::read_file(out / "manifest.json"));
  CHECK(manifest["command"] == "compare");

  // --variant picks a subset; the output says only that one.
  const auto one = test::run_cesim({"compare", (dir / "s.yaml").string(), "-r", "2", "--variant",
                                    "no_survey", "--out", (dir / "one").string(), "-q"});
  REQUIRE(one.exit_code == 0);
  const auto subset = nlohmann::json::parse(test::read_file(dir / "one" / "comparison.json"));
  REQUIRE(subset["variants"].size() == 1);
  CHECK(subset["variants"][0]["name"] == "no_survey");
}

TEST_CASE("compare refuses what it cannot compare, before running and writing", "[cli][compare]") {
  test::temp_dir dir;
  test::write_file(dir / "plain.yaml", test::small_scenario(2000, 4));
  test::write_file(dir / "bad.yaml", scenario_with_variants(R"(
  - {name: impossible, set: {touchpoints.store.quality.mean: 1.5}}
)"));
  test::write_file(dir / "ok.yaml", scenario_with_variants(R"(
  - {name: fine, set: {touchpoints.store.reach: 0.5}}
)"));
  struct refusal {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<refusal> cases{
      {{"compare", (dir / "plain.yaml").string()}, "nothing to compare: declare 'variants'"},
      {{"compare", (dir / "bad.yaml").string()},
       "(variant 'impossible'): touchpoints[2].quality.mean: must be in [0, 1], got 1.5"},
      {{"compare", (dir / "ok.yaml").string(), "--variant", "other"},
       "declares no variant 'other' (declared: fine)"},
      {{"compare", (dir / "ok.yaml").string(), "-r", "1"}, "at least 2 replications"},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.insert(args.end(), {"--out", (dir / "never").string()});
    const auto r = test::run_cesim(args);
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains(c.message));
    CHECK_FALSE(fs::exists(dir / "never"));
  }
}

TEST_CASE("prioritize ranks touchpoints and writes its files", "[cli][prioritize]") {
  test::temp_dir dir;
  test::write_file(dir / "s.yaml", test::small_scenario(3000, 6));
  const auto out = dir / "prio";
  const auto r =
      test::run_cesim({"prioritize", (dir / "s.yaml").string(), "-r", "2", "--out", out.string(),
                       "--touchpoint", "store", "--touchpoint", "reviews"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("touchpoint priorities (2 replications"));
  const auto doc = nlohmann::json::parse(test::read_file(out / "priorities.json"));
  REQUIRE(doc["touchpoints"].size() == 2);
  // The review portal shows the public rating: it can be removed, not improved, and ranks last.
  CHECK(doc["touchpoints"][0]["touchpoint"] == "store");
  CHECK(doc["touchpoints"][1]["touchpoint"] == "reviews");
  CHECK(doc["touchpoints"][1]["improve"].is_null());
  CHECK(doc["touchpoints"][0]["quality_after"].get<double>() == Approx(0.78));
  for (const char* f : {"priorities.json", "priorities.csv", "runs.csv", "bands.csv", "report.html",
                        "manifest.json"})
    CHECK(fs::exists(out / f));

  const auto unknown = test::run_cesim({"prioritize", (dir / "s.yaml").string(), "--touchpoint",
                                        "callcenter", "--out", (dir / "never").string()});
  CHECK(unknown.exit_code == 3);
  CHECK_THAT(unknown.err,
             Catch::Contains("has no touchpoint 'callcenter' (known: website, reviews, store, "
                             "hotline)"));
  const auto metric = test::run_cesim({"prioritize", (dir / "s.yaml").string(), "--rank-by",
                                       "happiness", "--out", (dir / "never").string()});
  CHECK(metric.exit_code == 3);
  CHECK_THAT(metric.err, Catch::Contains("unknown metric 'happiness'"));
  CHECK_FALSE(fs::exists(dir / "never"));
}
