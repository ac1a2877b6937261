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
    const auto r = test::run_cesim({"sweep", (dir / "sweep.yaml").string(), "--threads", threads,
                                    "--out", out.string()});
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
  const auto r = test::run_cesim(
      {"sweep", (dir / "sweep.yaml").string(), "--out", (dir / "never").string()});
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
