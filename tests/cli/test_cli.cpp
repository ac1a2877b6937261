#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.hpp"

using namespace cesim;
namespace fs = std::filesystem;

namespace {

const std::string default_scenario =
    (test::source_dir() / "scenarios" / "retail_touchpoint_audit.yaml").string();

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

bool directory_is_empty(const fs::path& p) {
  return fs::directory_iterator(p) == fs::directory_iterator{};
}

}  // namespace

TEST_CASE("run writes summary, tidy time series, touchpoints and manifest", "[cli]") {
  test::temp_dir dir;
  const auto out = dir / "out";
  const auto r = test::run_cesim({"run", default_scenario, "--population", "3000", "--horizon", "6",
                                  "--replications", "2", "--seed", "99", "--threads", "2", "--out",
                                  out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("segment") && Catch::Contains("retention %") &&
                        Catch::Contains("NPS") && Catch::Contains("total") &&
                        Catch::Contains("mean ±95% interval"));
  CHECK(r.err.empty());  // no progress bar when stderr is not a terminal

  const auto summary = nlohmann::json::parse(test::read_file(out / "summary.json"));
  CHECK(summary["seed"] == 99);
  CHECK(summary["replications"] == 2);
  CHECK(summary["population"] == 3000);
  REQUIRE(summary["segments"].size() == 5);
  CHECK(summary["segments"][4]["segment"] == "total");
  const auto& retention = summary["segments"][4]["metrics"]["retention"];
  CHECK(retention["n"] == 2);
  CHECK(retention["ci_low"].get<double>() <= retention["mean"].get<double>());
  CHECK(retention["mean"].get<double>() <= retention["ci_high"].get<double>());
  CHECK(summary["touchpoints"].size() == 10);
  CHECK(summary["per_replication"].size() == 2);

  const auto lines = split_lines(test::read_file(out / "timeseries.csv"));
  const auto header = split_csv(lines.at(0));
  CHECK(header.at(0) == "replication");
  CHECK(header.at(1) == "step");
  CHECK(header.at(2) == "segment");
  CHECK(std::find(header.begin(), header.end(), "loyalty") != header.end());
  CHECK(std::find(header.begin(), header.end(), "nps") != header.end());
  // 2 replications x 7 steps (0..6) x (4 segments + total)
  CHECK(lines.size() == 1 + 2 * 7 * 5);
  for (std::size_t i = 1; i < lines.size(); ++i) CHECK(split_csv(lines[i]).size() == header.size());

  const auto tp_lines = split_lines(test::read_file(out / "touchpoints.csv"));
  CHECK(tp_lines.size() == 1 + 2 * 6 * 10);

  const auto manifest = nlohmann::json::parse(test::read_file(out / "manifest.json"));
  CHECK(manifest["seed"] == 99);
  CHECK(manifest["threads"] == 2);
  CHECK(manifest["replications"] == 2);
  CHECK(manifest["cesim_version"].is_string());
  CHECK(manifest["git_revision"].is_string());
  CHECK(manifest["wall_seconds"].get<double>() > 0);
  REQUIRE(manifest["inputs"].size() >= 2);
  CHECK(manifest["inputs"][0]["sha256"].get<std::string>().size() == 64);
  CHECK(manifest["overrides"].size() == 3);  // --seed, --population, --horizon
  const std::vector<std::string> outputs{"summary.json", "timeseries.csv", "touchpoints.csv",
                                         "wom.csv",      "bands.csv",      "report.html",
                                         "manifest.json"};
  CHECK(manifest["outputs"].get<std::vector<std::string>>() == outputs);

  // Word-of-mouth reach: 2 replications x 6 steps x 12 origins (organic, churn, 10 touchpoints).
  const auto wom = split_lines(test::read_file(out / "wom.csv"));
  CHECK(wom.at(0) == "replication,step,origin,newly_reached,reached,reached_share");
  CHECK(wom.size() == 1 + 2 * 6 * 12);
  CHECK(summary["word_of_mouth"]["origins"].size() == 12);
  CHECK(summary["word_of_mouth"]["origins"][0]["origin"] == "organic");
  CHECK(summary["segments"][4]["metrics"]["wom_reach"]["mean"].get<double>() > 0);
  CHECK_THAT(r.out, Catch::Contains("word-of-mouth reach:"));
}

TEST_CASE("the same seed gives the same files whatever the thread count", "[cli]") {
  test::temp_dir dir;
  auto run = [&](const std::string& name, const std::string& threads) {
    const auto r =
        test::run_cesim({"run", default_scenario, "--population", "20000", "--horizon", "5",
                         "--threads", threads, "--out", (dir / name).string(), "-q"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());  // --quiet
    return test::read_file(dir / name / "timeseries.csv") +
           test::read_file(dir / name / "summary.json");
  };
  CHECK(run("one", "1") == run("two", "2"));
}

TEST_CASE("bad input: exit 3, a message naming file, line and key, and no output", "[cli]") {
  test::temp_dir dir;
  const auto bad = test::data_dir() / "bad" / "sd_out_of_range.yaml";
  const auto out = dir / "out";
  const auto r = test::run_cesim({"run", bad.string(), "--out", out.string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err,
             Catch::Contains(bad.string() +
                             ":11:30: touchpoints[3].quality.sd: must be in [0, 1], got 1.7"));
  CHECK_FALSE(fs::exists(out));
  CHECK(directory_is_empty(dir.path()));

  const auto bad_set = test::run_cesim(
      {"run", default_scenario, "--set", "touchpoints.hotline.reach=2", "--out", out.string()});
  CHECK(bad_set.exit_code == 3);
  CHECK_THAT(
      bad_set.err,
      Catch::Contains(
          "--set touchpoints.hotline.reach=2: touchpoints[7].reach: must be in [0, 1], got 2"));
  CHECK_FALSE(fs::exists(out));

  const auto bad_population =
      test::run_cesim({"run", default_scenario, "--population", "0", "--out", out.string()});
  CHECK(bad_population.exit_code == 3);
  CHECK_THAT(bad_population.err,
             Catch::Contains("--population 0: population: must be in [1, 4294967295], got 0"));

  const auto missing = test::run_cesim({"run", (dir / "nope.yaml").string()});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("File does not exist"));
}

TEST_CASE("an existing output directory is kept unless --force", "[cli]") {
  test::temp_dir dir;
  const auto out = dir / "out";
  fs::create_directories(out);
  test::write_file(out / "keep.txt", "mine");
  const auto r = test::run_cesim(
      {"run", default_scenario, "--population", "500", "--horizon", "2", "--out", out.string()});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("already exists; choose another --out or pass --force"));
  CHECK(test::read_file(out / "keep.txt") == "mine");
  const auto forced = test::run_cesim({"run", default_scenario, "--population", "500", "--horizon",
                                       "2", "--out", out.string(), "--force", "-q"});
  CHECK(forced.exit_code == 0);
  CHECK(fs::exists(out / "summary.json"));
  CHECK_FALSE(fs::exists(out / "keep.txt"));
}

TEST_CASE("an unwritable output location is a clear error with nothing left behind", "[cli]") {
  if (::geteuid() == 0) {
    // root ignores permissions; a path below a regular file is unwritable for everyone.
    test::temp_dir dir;
    test::write_file(dir / "file", "x");
    const auto r = test::run_cesim({"run", default_scenario, "--population", "500", "--horizon",
                                    "2", "--out", (dir / "file" / "out").string()});
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("error: cannot create"));
    return;
  }
  test::temp_dir dir;
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  const auto r = test::run_cesim({"run", default_scenario, "--population", "500", "--horizon", "2",
                                  "--out", (dir / "out").string()});
  fs::permissions(dir.path(), fs::perms::owner_all);
  CHECK(r.exit_code == 4);
  CHECK(directory_is_empty(dir.path()));
}

TEST_CASE("validate reports every problem of every file", "[cli]") {
  const auto several = test::data_dir() / "bad" / "several_problems.yaml";
  const auto typo = test::data_dir() / "bad" / "unknown_key_typo.yaml";
  const auto r = test::run_cesim({"validate", default_scenario, several.string(), typo.string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.out, Catch::Contains("ok: " + default_scenario));
  CHECK_THAT(r.err, Catch::Contains("several_problems.yaml: 5 problems"));
  CHECK_THAT(r.err,
             Catch::Contains("touchpoints[0].rech: unknown key 'rech' (did you mean 'reach'?)"));
  const auto good = test::run_cesim(
      {"validate", default_scenario, (test::source_dir() / "personas" / "sceptic.yaml").string()});
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Contains("ok: ") && Catch::Contains("persona 'sceptic'"));
}

TEST_CASE("params prints the table in four formats", "[cli]") {
  const auto table = test::run_cesim({"params"});
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("traits.loss_aversion") && Catch::Contains("2.25") &&
                            Catch::Contains("Tversky & Kahneman 1992"));
  const auto json = nlohmann::json::parse(test::run_cesim({"params", "--format", "json"}).out);
  CHECK(json.size() > 40);
  CHECK(json[0].contains("key"));
  CHECK(json[0].contains("source"));
  const auto csv = split_lines(test::run_cesim({"params", "--format", "csv"}).out);
  CHECK(csv[0] == "key,default,min,max,unit,description,source");
  CHECK(csv.size() == json.size() + 1);
  CHECK_THAT(test::run_cesim({"params", "--format", "markdown"}).out,
             Catch::StartsWith("| key | default | range |"));
  CHECK(test::run_cesim({"params", "--format", "xml"}).exit_code == 2);
}

TEST_CASE("network describes the scenario's social network", "[cli]") {
  const auto r =
      test::run_cesim({"network", default_scenario, "--population", "5000", "--set",
                       "network.type=erdos_renyi", "--set", "network.mean_degree=8", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["type"] == "erdos_renyi");
  CHECK(doc["customers"] == 5000);
  CHECK(doc["mean_degree"].get<double>() > 6);
  CHECK(doc["components"].get<std::uint64_t>() >= 1);
  const auto text = test::run_cesim({"network", default_scenario, "--population", "3000"});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("watts_strogatz") && Catch::Contains("clustering") &&
                           Catch::Contains("components"));
  const auto bad =
      test::run_cesim({"network", default_scenario, "--set", "network.type=small_world"});
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Catch::Contains(
                          "network.type: must be one of well_mixed, erdos_renyi, watts_strogatz, "
                          "barabasi_albert, block_model, edge_list, got 'small_world'"));
}

TEST_CASE("usage errors exit 2", "[cli]") {
  CHECK(test::run_cesim({}).exit_code == 2);
  CHECK(test::run_cesim({"fly"}).exit_code == 2);
  CHECK(test::run_cesim({"run", default_scenario, "--threads", "0"}).exit_code == 2);
  CHECK(test::run_cesim({"run", default_scenario, "--replications", "abc"}).exit_code == 2);
  const auto help = test::run_cesim({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out,
             Catch::Contains("run") && Catch::Contains("validate") && Catch::Contains("params"));
  const auto version = test::run_cesim({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("cesim "));
}
