// Results on disk, for every command that writes a folder: an existing folder is refused without
// --force and replaced completely with it; an unwritable location or a full disk is an output
// error (exit 4) naming the file and the system's reason, with nothing half-written and no
// temporaries left behind; two processes never write the same folder.
//
// A full disk is simulated without root: the child runs with RLIMIT_FSIZE lowered and SIGXFSZ
// ignored, so a write past the limit fails with EFBIG ("File too large") the way a full disk
// fails with ENOSPC. The limit is per file, so each test picks it between the sizes of the files
// that must be written and the one that must fail.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "test_support.hpp"

extern char** environ;

using namespace cesim;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string file_too_large = std::strerror(EFBIG);

/// Waits until `path` exists; fails if cesim ends first.
void wait_for(test::cesim_child& child, const fs::path& path) {
  while (!fs::exists(path)) {
    if (!child.running())
      FAIL("cesim ended before " << path << " appeared; stderr:\n" << child.err());
    std::this_thread::sleep_for(2ms);
  }
}

/// Runs cesim to the end; `max_file_bytes` simulates a full disk (see test::child_options).
test::process_result run(const std::vector<std::string>& args,
                         std::optional<rlim_t> max_file_bytes = std::nullopt,
                         const fs::path& working_dir = {}) {
  test::child_options options;
  options.max_file_bytes = max_file_bytes;
  options.working_dir = working_dir;
  test::cesim_child child(args, options);
  return child.result();
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

/// The names in a folder, sorted; hidden ones are temporaries of cesim.
std::vector<std::string> names_in(const fs::path& dir, bool hidden) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if ((name.front() == '.') == hidden) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}
std::vector<std::string> temporaries_in(const fs::path& dir) {
  return names_in(dir, true);
}

std::size_t lines_in(const fs::path& file) {
  const auto text = test::read_file(file);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

const std::vector<std::string> tiny{"--population", "200", "--horizon", "2", "-q"};

/// Inputs for every command, and a finished sweep folder for merge to read.
struct workspace {
  test::temp_dir dir;
  fs::path shard = dir / "shard";

  workspace() {
    test::write_file(dir / "s.yaml",
                     test::small_scenario(200, 2,
                                          "variants:\n  - {name: better, set: "
                                          "{touchpoints.store.quality.mean: 0.8}}\n"));
    test::write_file(dir / "sweep.yaml", R"(sweep: 1
name: tiny
scenario: s.yaml
replications: 1
metrics: [loyalty, customers]
design: {type: grid}
parameters:
  - {path: touchpoints.store.quality.mean, name: store, values: [0.5, 0.7]}
)");
    test::write_file(dir / "observed.csv", "step,metric,value\n1,customers,60\n2,customers,62\n");
    const auto r = run(with({"sweep", in("sweep.yaml"), "--out", shard.string()}, tiny));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  [[nodiscard]] std::string in(const char* name) const { return (dir / name).string(); }
};

struct command_family {
  std::string name;
  std::vector<std::string> args;  ///< all but --out
  std::string product;            ///< a file every finished folder of the command holds
};

std::vector<command_family> families(const workspace& w) {
  return {
      {"run", with({"run", w.in("s.yaml")}, tiny), "summary.json"},
      {"compare", with({"compare", w.in("s.yaml"), "-r", "2"}, tiny), "comparison.csv"},
      {"prioritize", with({"prioritize", w.in("s.yaml"), "-r", "2", "--touchpoint", "store"}, tiny),
       "priorities.csv"},
      {"sweep", with({"sweep", w.in("sweep.yaml")}, tiny), "summary.csv"},
      {"sensitivity",
       with({"sensitivity", w.in("sweep.yaml"), "--method", "morris", "--trajectories", "2",
             "--bootstrap", "20"},
            tiny),
       "sensitivity.csv"},
      {"calibrate",
       with({"calibrate", w.in("sweep.yaml"), "--observed", w.in("observed.csv"), "--particles",
             "2", "--initial", "4", "--rounds", "0"},
            tiny),
       "posterior.csv"},
      {"merge", {"merge", w.shard.string(), "-q"}, "results.csv"},
  };
}

/// This host's name as cesim puts it in temporary names.
std::string host_label() {
  std::array<char, 256> name{};
  REQUIRE(::gethostname(name.data(), name.size() - 1) == 0);
  std::string safe;
  for (const char* c = name.data(); *c != '\0'; ++c)
    safe += std::isalnum(static_cast<unsigned char>(*c)) != 0 || *c == '.' || *c == '-' || *c == '_'
                ? *c
                : '_';
  return safe;
}

/// 'path', as the journal's messages name folders (built in steps: GCC 12 misreports `"'" + text`
/// as overlapping copies).
std::string quoted(const fs::path& path) {
  std::string text = "'";
  text += path.string();
  text += '\'';
  return text;
}

/// A process id no process can have (above any kernel's pid_max).
const std::string no_such_process = std::to_string(INT_MAX);

}  // namespace

TEST_CASE("every command refuses an existing results folder without --force and keeps it",
          "[cli]") {
  workspace w;
  for (const auto& f : families(w)) {
    const auto out = w.dir / ("old-" + f.name);
    test::write_file(out / "keep.txt", "mine");
    const auto r = run(with(f.args, {"--out", out.string()}));
    INFO(f.name << ": " << r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains(out.string()) && Catch::Contains("already exists") &&
                          Catch::Contains("--force"));
    CHECK(names_in(out, false) == std::vector<std::string>{"keep.txt"});
    CHECK(test::read_file(out / "keep.txt") == "mine");
    CHECK(temporaries_in(w.dir.path()).empty());
  }
}

TEST_CASE("with --force a results folder is replaced completely", "[cli]") {
  workspace w;
  for (const auto& f : families(w)) {
    const auto out = w.dir / ("old-" + f.name);
    test::write_file(out / "stale.txt", "from an earlier run");
    const auto r = run(with(f.args, {"--out", out.string(), "--force"}));
    INFO(f.name << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(out / f.product));
    CHECK(fs::exists(out / "manifest.json"));
    CHECK_FALSE(fs::exists(out / "stale.txt"));
    CHECK(temporaries_in(out).empty());
    CHECK(temporaries_in(w.dir.path()).empty());
  }
}

TEST_CASE("an unwritable location is an output error and creates nothing", "[cli]") {
  // Below a regular file nothing can be created, even by root (who ignores permissions).
  workspace w;
  test::write_file(w.dir / "file", "x");
  for (const auto& f : families(w)) {
    const auto out = w.dir / "file" / "out";
    const auto r = run(with(f.args, {"--out", out.string()}));
    INFO(f.name << ": " << r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("error: cannot create") && Catch::Contains(out.string()) &&
                          Catch::Contains("is a file, not a folder"));
    CHECK(test::read_file(w.dir / "file") == "x");
    CHECK(temporaries_in(w.dir.path()).empty());

    const auto empty = run(with(f.args, {"--out", ""}));
    CHECK(empty.exit_code == 4);
    CHECK_THAT(empty.err, Catch::Contains("--out is empty"));
  }
}

TEST_CASE("an --out naming an existing file is refused even with --force", "[cli]") {
  workspace w;
  for (const auto& f : families(w)) {
    const auto out = w.dir / ("taken-" + f.name);
    test::write_file(out, "mine");
    for (const bool force : {false, true}) {
      auto args = with(f.args, {"--out", out.string()});
      if (force) args.emplace_back("--force");
      const auto r = run(args);
      INFO(f.name << (force ? " --force: " : ": ") << r.err);
      CHECK(r.exit_code == 4);
      CHECK_THAT(r.err, Catch::Contains(out.string() + " exists and is not a folder"));
      CHECK(test::read_file(out) == "mine");
      CHECK(temporaries_in(w.dir.path()).empty());
    }
  }
}

TEST_CASE("a full disk leaves no results folder and no temporaries behind", "[cli]") {
  workspace w;
  // report.html (about 850 kB) cannot be written; merge fails at its first table.
  struct full_disk_case {
    command_family family;
    rlim_t limit;
    std::string failing;
  };
  const auto all = families(w);
  std::vector<full_disk_case> cases;
  for (const auto& f : all)
    if (f.name == "run" || f.name == "compare" || f.name == "prioritize")
      cases.push_back({f, 100'000, "report.html"});
  cases.push_back({all.back(), 8, "design.csv"});
  for (const auto& c : cases) {
    const auto& f = c.family;
    const auto out = w.dir / ("full-" + f.name);
    auto r = run(with(f.args, {"--out", out.string()}), c.limit);
    INFO(f.name << ": " << r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("cannot write " + (out / c.failing).string() + ": " +
                                      file_too_large + "; " + out.string() + " was not created"));
    CHECK_FALSE(fs::exists(out));
    CHECK(temporaries_in(w.dir.path()).empty());

    // With --force an old folder stays as it was.
    test::write_file(out / "keep.txt", "mine");
    r = run(with(f.args, {"--out", out.string(), "--force"}), c.limit);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains(file_too_large + "; " + out.string() + " is unchanged"));
    CHECK(names_in(out, false) == std::vector<std::string>{"keep.txt"});
    CHECK(temporaries_in(w.dir.path()).empty());
  }
}

TEST_CASE("a sweep stopped by a full disk resumes to the tables of an uninterrupted run", "[cli]") {
  // Wide rows, nine points and three replications: results.csv outgrows sweep.json (the largest
  // file written before the runs) and summary.csv outgrows results.csv, each by over 1.5 kB
  // (sizes depend on the simulated values' digits), so one limit stops the journal and another
  // only the final tables. Folder names of one length give sweep.json (which records
  // the command line) one size.
  workspace w;
  test::write_file(w.dir / "wide.yaml", R"(sweep: 1
name: wide
scenario: s.yaml
replications: 3
metrics: [loyalty, nps, wom_reach, retention, customers, revenue, customer_equity, clv, cost,
          value, satisfaction, trust, aware_share, acquisitions, churned]
design: {type: grid}
parameters:
  - {path: touchpoints.store.quality.mean, name: store,
     values: [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9]}
)");
  const auto args = with({"sweep", w.in("wide.yaml")}, tiny);
  const auto reference = w.dir / "sweep0";
  auto r = run(with(args, {"--out", reference.string()}));
  REQUIRE(r.exit_code == 0);
  const auto size = [&](const char* name) { return fs::file_size(reference / name); };
  const rlim_t journal_limit = size("sweep.json") + 64;
  const rlim_t tables_limit = std::max(size("results.csv"), size("sweep.json")) + 64;
  REQUIRE(journal_limit + 500 < size("results.csv"));
  REQUIRE(tables_limit + 500 < size("summary.csv"));

  // Full while appending a finished point.
  const auto journal_full = w.dir / "sweep1";
  r = run(with(args, {"--out", journal_full.string()}), journal_limit);
  {
    INFO(r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err,
               Catch::Contains("error: cannot write '" + (journal_full / "results.csv").string() +
                               "': " + file_too_large));
    CHECK_THAT(r.err, Catch::Contains("is kept in " + journal_full.string() +
                                      "; once it can be written again, continue with:"));
    CHECK_THAT(r.err, Catch::Contains("--out " + journal_full.string() + " --resume"));
    CHECK(lines_in(journal_full / "points.done") < 9);
    CHECK_FALSE(fs::exists(journal_full / "summary.csv"));
    CHECK_FALSE(fs::exists(journal_full / "manifest.json"));
    CHECK(temporaries_in(journal_full).empty());
  }
  // Full while writing the final tables: results.csv is complete, summary.csv absent.
  const auto tables_full = w.dir / "sweep2";
  r = run(with(args, {"--out", tables_full.string()}), tables_limit);
  {
    INFO(r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err,
               Catch::Contains("error: cannot write " + (tables_full / "summary.csv").string() +
                               ": " + file_too_large));
    CHECK_THAT(r.err,
               Catch::Contains("every finished point (9 of 9) is kept in " + tables_full.string()));
    CHECK(test::read_file(tables_full / "results.csv") ==
          test::read_file(reference / "results.csv"));
    CHECK_FALSE(fs::exists(tables_full / "summary.csv"));
    CHECK_FALSE(fs::exists(tables_full / "manifest.json"));
    CHECK(temporaries_in(tables_full).empty());
  }
  for (const auto& out : {journal_full, tables_full}) {
    r = run(with(args, {"--out", out.string(), "--resume"}));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(test::read_file(out / "results.csv") == test::read_file(reference / "results.csv"));
    CHECK(test::read_file(out / "summary.csv") == test::read_file(reference / "summary.csv"));
    CHECK(fs::exists(out / "manifest.json"));
  }
  CHECK(temporaries_in(w.dir.path()).empty());
}

TEST_CASE("sensitivity and calibrate stopped by a full disk at their report resume", "[cli]") {
  workspace w;
  for (const auto& f : families(w)) {
    if (f.name != "sensitivity" && f.name != "calibrate") continue;
    const auto out = w.dir / ("full-" + f.name);
    auto r = run(with(f.args, {"--out", out.string()}), 100'000);
    INFO(f.name << ": " << r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("cannot write " + (out / "report.html").string() + ": " +
                                      file_too_large));
    CHECK_THAT(r.err, Catch::Contains("--resume"));
    CHECK_FALSE(fs::exists(out / "report.html"));
    CHECK_FALSE(fs::exists(out / "manifest.json"));
    CHECK(temporaries_in(out).empty());
    const auto table = test::read_file(out / f.product);
    CHECK_FALSE(table.empty());

    r = run(with(f.args, {"--out", out.string(), "--resume"}));
    CHECK(r.exit_code == 0);
    CHECK(test::read_file(out / f.product) == table);
    CHECK(fs::exists(out / "report.html"));
    CHECK(fs::exists(out / "manifest.json"));
  }
}

TEST_CASE("a forced restart that cannot start its folder leaves the old one as it was", "[cli]") {
  workspace w;
  const auto before = names_in(w.shard, false);
  const auto results = test::read_file(w.shard / "results.csv");
  // sweep.json, the first file of the new folder, cannot be written.
  const auto r =
      run(with({"sweep", w.in("sweep.yaml"), "--out", w.shard.string(), "--force"}, tiny), 512);
  INFO(r.err);
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("cannot write " + (w.shard / "sweep.json").string() + ": " +
                                    file_too_large + "; '" + w.shard.string() + "' is unchanged"));
  CHECK(names_in(w.shard, false) == before);
  CHECK(test::read_file(w.shard / "results.csv") == results);
  CHECK(temporaries_in(w.dir.path()).empty());
}

TEST_CASE("even --force never replaces the working directory or a folder holding an input",
          "[cli]") {
  workspace w;
  const auto sweep_text = test::read_file(w.dir / "sweep.yaml");
  for (const auto& f : families(w)) {
    INFO(f.name);
    // The working directory holds every input here.
    auto r = run(with(f.args, {"--out", ".", "--force"}), std::nullopt, w.dir.path());
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains(". holds the working directory; not replacing it, even "
                                      "with --force"));
    // The folder holding the inputs, from elsewhere.
    r = run(with(f.args, {"--out", w.dir.path().string(), "--force"}));
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("an input of this command; not replacing it, even with "
                                      "--force: choose another --out"));
    CHECK(test::read_file(w.dir / "sweep.yaml") == sweep_text);
    CHECK(fs::exists(w.shard / "results.csv"));
    CHECK(temporaries_in(w.dir.path()).empty());
  }
  // merge into one of the folders it merges.
  const auto r = run({"merge", w.shard.string(), "--out", w.shard.string(), "--force"});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains(w.shard.string() + " is an input of this command"));
  CHECK(fs::exists(w.shard / "sweep.json"));
  CHECK(fs::exists(w.shard / "points.done"));
}

TEST_CASE("a folder another process is filling is neither resumed nor replaced", "[cli]") {
  workspace w;
  const auto out = w.dir / "busy";
  // Big enough that its two runs are still going when it is frozen.
  const auto slow = std::vector<std::string>{"sweep",        w.in("sweep.yaml"),
                                             "--population", "50000",
                                             "--horizon",    "30",
                                             "--threads",    "1",
                                             "-q",           "--out",
                                             out.string()};
  test::cesim_child first(slow);
  wait_for(first, out / "points.done");  // written once the folder is locked
  first.signal(SIGSTOP);
  const auto sweep_json = test::read_file(out / "sweep.json");
  for (const auto& extra : std::vector<std::string>{"--resume", "--force"}) {
    const auto r = run(with(slow, {extra}));
    INFO(extra << ": " << r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains(quoted(out) + " is being written by another cesim process"));
  }
  const auto r = run(with({"run", w.in("s.yaml"), "--out", out.string(), "--force"}, tiny));
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("is being written by another cesim process"));
  CHECK(test::read_file(out / "sweep.json") == sweep_json);
  first.signal(SIGCONT);
  const auto finished = first.result();
  INFO(finished.err);
  CHECK(finished.exit_code == 0);
  CHECK(lines_in(out / "points.done") == 2);
  CHECK(fs::exists(out / "summary.csv"));
  CHECK(temporaries_in(w.dir.path()).empty());
}

TEST_CASE("a folder that appears under the same name while run works is kept", "[cli]") {
  workspace w;
  const auto out = w.dir / "out";
  test::cesim_child running({"run", w.in("s.yaml"), "--population", "50000", "--horizon", "30",
                             "-r", "4", "--threads", "1", "--no-report", "-q", "--out",
                             out.string()});
  const auto temporary =
      w.dir / (".out.partial-" + host_label() + "-" + std::to_string(running.pid()));
  wait_for(running, temporary);
  running.signal(SIGSTOP);
  // Frozen before its runs are done, so it has not moved its folder into place yet.
  REQUIRE(fs::exists(temporary));
  test::write_file(out / "theirs.txt", "another process");
  running.signal(SIGCONT);
  const auto r = running.result();
  INFO(r.err);
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err,
             Catch::Contains(out.string() + " appeared while this command ran") &&
                 Catch::Contains("not replacing it: the results are in " + out.string() + "-2"));
  CHECK(names_in(out, false) == std::vector<std::string>{"theirs.txt"});
  CHECK(fs::exists(w.dir / "out-2" / "summary.json"));
  CHECK(temporaries_in(w.dir.path()).empty());
}

TEST_CASE("temporaries of killed processes are removed and those of others kept", "[cli]") {
  workspace w;
  const auto host = host_label();
  const std::vector<std::string> stale{".gone.partial-" + host + "-" + no_such_process,
                                       ".gone.old-" + host + "-" + no_such_process};
  const std::vector<std::string> kept{".alive.partial-" + host + "-" + std::to_string(::getpid()),
                                      ".elsewhere.partial-" + host + "x-" + no_such_process,
                                      ".notes"};
  for (const auto& name : stale) test::write_file(w.dir / name / "summary.json", "{}");
  for (const auto& name : kept) test::write_file(w.dir / name / "summary.json", "{}");
  auto r = run(with({"run", w.in("s.yaml"), "--out", (w.dir / "out").string()}, tiny));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto expected = kept;
  std::sort(expected.begin(), expected.end());
  CHECK(temporaries_in(w.dir.path()) == expected);

  // In a sweep folder: a resumed sweep removes the half-written table of a killed one, and the
  // manifest never lists temporaries.
  const auto leftover = ".summary.csv.partial-" + host + "-" + no_such_process;
  test::write_file(w.shard / leftover, "point,sto");
  r = run(with({"sweep", w.in("sweep.yaml"), "--out", w.shard.string(), "--resume"}, tiny));
  REQUIRE(r.exit_code == 0);
  CHECK(temporaries_in(w.shard).empty());
  const auto manifest = nlohmann::json::parse(test::read_file(w.shard / "manifest.json"));
  CHECK(manifest.at("outputs").get<std::vector<std::string>>() == names_in(w.shard, false));
}
