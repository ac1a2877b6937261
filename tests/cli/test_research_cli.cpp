// cesim sweep and cesim sensitivity end to end: tables written per point and in point order,
// the same for any thread count, bad points refused before anything runs.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.hpp"

using namespace cesim;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_sweep(const test::temp_dir& dir, const std::string& design,
                 const std::string& parameters) {
  test::write_file(dir / "s.yaml", test::small_scenario(2000, 4));
  test::write_file(dir / "sweep.yaml", R"(sweep: 1
name: small
scenario: s.yaml
replications: 2
metrics: [loyalty, nps, customers]
design: )" + design + R"(
parameters:
)" + parameters);
}

}  // namespace

TEST_CASE("sweep writes one row per point and replication, the same for any thread count",
          "[cli][sweep]") {
  test::temp_dir dir;
  write_sweep(dir, "{type: grid, levels: 2}", R"(
  - {path: touchpoints.store.quality.mean, name: store, range: [0.4, 0.8]}
  - {path: touchpoints.hotline.reach, name: hotline_reach, values: [0.05, 0.3]}
)");
  std::vector<std::string> tables;
  for (const char* threads : {"1", "2"}) {
    const auto out = dir / (std::string("out") + threads);
    const auto r = test::run_cesim(
        {"sweep", (dir / "sweep.yaml").string(), "--threads", threads, "--out", out.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("sweep small: 4 points x 2 replications"));
    tables.push_back(test::read_file(out / "results.csv"));
    const auto design = lines_of(test::read_file(out / "design.csv"));
    REQUIRE(design.size() == 5);
    CHECK(design[0] == "point,store,hotline_reach");
    CHECK(design[1] == "0,0.4,0.05");
    CHECK(design[4] == "3,0.8,0.3");
    CHECK(fs::exists(out / "summary.csv"));
    CHECK(fs::exists(out / "manifest.json"));
  }
  CHECK(tables[0] == tables[1]);
  const auto rows = lines_of(tables[0]);
  REQUIRE(rows.size() == 1 + 4 * 2);
  CHECK(rows[0] == "point,replication,store,hotline_reach,loyalty,nps,customers");
  CHECK(rows[1].rfind("0,0,0.4,0.05,", 0) == 0);
  CHECK(rows[8].rfind("3,1,0.8,0.3,", 0) == 0);
}

TEST_CASE("sweep refuses a point the scenario rejects, before running", "[cli][sweep]") {
  test::temp_dir dir;
  write_sweep(dir, "{type: grid, levels: 2}", R"(
  - {path: touchpoints.store.quality.mean, name: store, range: [0.5, 1.5]}
)");
  const auto r =
      test::run_cesim({"sweep", (dir / "sweep.yaml").string(), "--out", (dir / "never").string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("(point 1, parameters[0]): touchpoints[2].quality.mean: must "
                                    "be in [0, 1], got 1.5"));
  CHECK_FALSE(fs::exists(dir / "never"));
}

TEST_CASE("sensitivity gives no effect to a parameter the model ignores", "[cli][sensitivity]") {
  test::temp_dir dir;
  // `x-unused` is a top-level key the scenario reader ignores: its indices must be exactly 0.
  write_sweep(dir, "{type: sobol, points: 8}", R"(
  - {path: touchpoints.store.quality.mean, name: store, range: [0.3, 0.9]}
  - {path: x-unused, name: unused, range: [0, 1]}
)");
  const auto out = dir / "morris";
  const auto r = test::run_cesim({"sensitivity", (dir / "sweep.yaml").string(), "--method",
                                  "morris", "--trajectories", "4", "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Morris sensitivity"));
  const auto doc = nlohmann::json::parse(test::read_file(out / "sensitivity.json"));
  CHECK(doc["points"] == 4 * 3);
  int checked = 0;
  for (const auto& index : doc["indices"]) {
    if (index["index"] != "mu_star") continue;
    if (index["parameter"] == "unused") {
      CHECK(index["value"].get<double>() == 0.0);
      ++checked;
    } else if (index["metric"] == "loyalty") {
      CHECK(index["value"].get<double>() > 0.0);
      ++checked;
    }
  }
  CHECK(checked == 4);  // unused for three metrics, store for loyalty
  const auto csv = lines_of(test::read_file(out / "sensitivity.csv"));
  CHECK(csv.at(0) == "method,metric,parameter,index,value,ci_low,ci_high");
  CHECK(fs::exists(out / "report.html"));
}

TEST_CASE("calibrate refuses observed data it cannot use, naming file and line",
          "[cli][calibrate]") {
  test::temp_dir dir;
  write_sweep(dir, "{type: sobol, points: 8}", R"(
  - {path: touchpoints.store.quality.mean, name: store, range: [0.3, 0.9]}
)");
  struct refusal {
    std::string csv;
    std::string message;
  };
  const std::vector<refusal> cases{
      {"step,metric,value\n1,customers,100\n2,custmers,120\n",
       "observed.csv:3:2: metric: unknown metric 'custmers' (did you mean 'customers'?)"},
      {"step,metric,value\n9,customers,100\n", "observed.csv:2"},
      {"step,metric,value,segment\n1,customers,100,students\n", "observed.csv:2"},
      {"date,metric,value\n2026-01-05,customers,100\n", "start"},
  };
  for (const auto& c : cases) {
    test::write_file(dir / "observed.csv", c.csv);
    const auto r =
        test::run_cesim({"calibrate", (dir / "sweep.yaml").string(), "--observed",
                         (dir / "observed.csv").string(), "--out", (dir / "never").string()});
    INFO(c.csv << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains(c.message));
    CHECK_FALSE(fs::exists(dir / "never"));
  }
}

TEST_CASE("calibrate writes a posterior sample, the fit and the report", "[cli][calibrate]") {
  test::temp_dir dir;
  write_sweep(dir, "{type: sobol, points: 8}", R"(
  - {path: touchpoints.store.quality.mean, name: store, range: [0.3, 0.9]}
)");
  test::write_file(dir / "observed.csv",
                   "# dates of weekly steps from 2026-01-05\n"
                   "date,metric,value,segment\n2026-01-12,customers,1200,total\n"
                   "2026-01-19,customers,1210,\n2026-01-26,customers,1220,total\n");
  const auto out = dir / "cal";
  const auto r =
      test::run_cesim({"calibrate", (dir / "sweep.yaml").string(), "--observed",
                       (dir / "observed.csv").string(), "--start-date", "2026-01-05", "--particles",
                       "10", "--initial", "20", "--rounds", "1", "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("ABC-SMC, 10 particles"));
  const auto doc = nlohmann::json::parse(test::read_file(out / "calibration.json"));
  CHECK(doc["observations"] == 3);
  CHECK(doc["parameters"][0]["name"] == "store");
  const double median = doc["parameters"][0]["median"].get<double>();
  CHECK(median >= 0.3);
  CHECK(median <= 0.9);
  const auto posterior = lines_of(test::read_file(out / "posterior.csv"));
  CHECK(posterior.at(0) == "particle,weight,distance,store");
  CHECK(posterior.size() == 1 + 10);
  const auto fit = lines_of(test::read_file(out / "fit.csv"));
  CHECK(fit.at(0) ==
        "metric,segment,step,observed,best,predictive_low,predictive_median,predictive_high");
  CHECK(fit.size() == 1 + 5);  // steps 0..4 of the one observed series
  CHECK(fs::exists(out / "report.html"));
  CHECK(lines_of(test::read_file(out / "evaluations.csv")).size() > 20);
}
