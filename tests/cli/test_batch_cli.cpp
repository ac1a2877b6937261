// Long sweeps end to end: a sweep killed or stopped by a signal resumes to the very tables of an
// uninterrupted run, shards (by --shard or a Slurm job array) merge into them, and folders or
// options that do not belong together are refused.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "test_support.hpp"

extern char** environ;

using namespace cesim;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t sweep_points = 9;  // a grid of 3 levels x 2 parameters
constexpr std::size_t replications = 2;

// About 0.2 s a point on one thread: a signal sent after the second point lands with seven
// points (over a second) to go.
constexpr int slow_population = 10000;
constexpr int slow_horizon = 60;
constexpr int fast_population = 2000;
constexpr int fast_horizon = 6;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t newlines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// The point numbers in points.done.
std::set<std::size_t> done_points(const fs::path& dir) {
  std::set<std::size_t> done;
  for (const auto& line : lines_of(test::read_file(dir / "points.done")))
    done.insert(std::stoul(line));
  return done;
}

/// The header and the rows of `text` (a results.csv) whose point is in `keep`.
std::string rows_of_points(const std::string& text, const std::set<std::size_t>& keep) {
  const auto lines = lines_of(text);
  std::string out = lines.at(0) + "\n";
  for (std::size_t i = 1; i < lines.size(); ++i)
    if (keep.count(std::stoul(lines[i].substr(0, lines[i].find(',')))) != 0) out += lines[i] + "\n";
  return out;
}

fs::path write_sweep(const test::temp_dir& dir, int population, int horizon) {
  test::write_file(dir / "s.yaml", test::small_scenario(population, horizon));
  test::write_file(dir / "sweep.yaml", R"(sweep: 1
name: batch
scenario: s.yaml
replications: 2
metrics: [loyalty, nps, customers]
design: {type: grid, levels: 3}
parameters:
  - {path: touchpoints.store.quality.mean, name: store, range: [0.4, 0.8]}
  - {path: touchpoints.hotline.reach, name: hotline_reach, range: [0.05, 0.3]}
)");
  return dir / "sweep.yaml";
}

/// Waits until `dir`/points.done lists at least `count` points and returns how many it lists;
/// fails if the process ends first or nothing happens for a minute.
std::size_t wait_for_points(test::cesim_child& child, const fs::path& dir, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    const std::size_t done = newlines(test::read_file(dir / "points.done"));
    if (done >= count) return done;
    if (!child.running())
      FAIL("cesim ended after " << done << " points, before the test could signal it; stderr:\n"
                                << child.err());
    if (std::chrono::steady_clock::now() > deadline)
      FAIL("no " << count << " points done within 60 s; stderr:\n" << child.err());
    std::this_thread::sleep_for(5ms);
  }
}

/// cesim in the background with `env` ("NAME=value") added to its environment.
test::child_options with_env(const std::vector<std::string>& env) {
  test::child_options options;
  options.env = env;
  return options;
}

/// Runs cesim to the end (see test::cesim_child for the environment).
test::process_result run(const std::vector<std::string>& args,
                         const std::vector<std::string>& env = {}) {
  test::cesim_child child(args, with_env(env));
  return child.result();
}

/// The uninterrupted run every other result is held against.
void run_reference(const fs::path& sweep, const fs::path& out) {
  const auto r = run({"sweep", sweep.string(), "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(lines_of(test::read_file(out / "results.csv")).size() == 1 + sweep_points * replications);
}

void check_same_tables(const fs::path& dir, const fs::path& reference) {
  CHECK(test::read_file(dir / "results.csv") == test::read_file(reference / "results.csv"));
  CHECK(test::read_file(dir / "summary.csv") == test::read_file(reference / "summary.csv"));
  CHECK(test::read_file(dir / "design.csv") == test::read_file(reference / "design.csv"));
}

/// What a stopped sweep leaves: the rows of its finished points as the uninterrupted run wrote
/// them, and no summary or manifest.
void check_partial_folder(const fs::path& dir, const fs::path& reference,
                          const std::set<std::size_t>& done) {
  const auto rows = lines_of(test::read_file(dir / "results.csv"));
  const auto expected = lines_of(rows_of_points(test::read_file(reference / "results.csv"), done));
  std::vector<std::string> finished_rows;
  for (const auto& row : rows)
    if (row == rows.front() || done.count(std::stoul(row.substr(0, row.find(',')))) != 0)
      finished_rows.push_back(row);
  CHECK(finished_rows == expected);
  CHECK_FALSE(fs::exists(dir / "summary.csv"));
  CHECK_FALSE(fs::exists(dir / "manifest.json"));
}

}  // namespace

TEST_CASE("sweep killed mid-way resumes to the tables of an uninterrupted run",
          "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, slow_population, slow_horizon);
  const auto reference = dir / "reference";
  run_reference(sweep, reference);

  const auto killed = dir / "killed";
  test::cesim_child child({"sweep", sweep.string(), "--threads", "1", "--out", killed.string()});
  wait_for_points(child, killed, 2);
  child.signal(SIGKILL);
  const int status = child.wait();
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  const auto done = done_points(killed);
  INFO("points done at the kill: " << done.size());
  REQUIRE(done.size() >= 2);
  REQUIRE(done.size() < sweep_points);  // else the sweep outran the kill: make it slower
  check_partial_folder(killed, reference, done);

  // A torn write on top: rows of the next point, the last cut off mid-line, none recorded as
  // done (rows are synced before the point is recorded, so this is all a kill can leave).
  std::size_t next = 0;
  while (done.count(next) != 0) ++next;
  const auto next_rows =
      lines_of(rows_of_points(test::read_file(reference / "results.csv"), {next}));
  REQUIRE(next_rows.size() == 1 + replications);
  test::write_file(killed / "results.csv", test::read_file(killed / "results.csv") + next_rows[1] +
                                               "\n" + next_rows[2].substr(0, 9));

  // Another thread count: it changes neither the tables nor what may be resumed.
  const auto r =
      run({"sweep", sweep.string(), "--threads", "2", "--out", killed.string(), "--resume"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("resuming " + killed.string() + ": " +
                                    std::to_string(done.size()) + " of 9 points already done"));
  CHECK_THAT(r.out, Catch::Contains("sweep batch: 9 points x 2 replications"));
  check_same_tables(killed, reference);
  CHECK(done_points(killed).size() == sweep_points);
  CHECK(newlines(test::read_file(killed / "points.done")) == sweep_points);
  CHECK(fs::exists(killed / "manifest.json"));
}

TEST_CASE("sweep stopped by SIGTERM keeps its points and prints the command that resumes it",
          "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, slow_population, slow_horizon);
  const auto reference = dir / "reference";
  run_reference(sweep, reference);

  const auto stopped = dir / "stopped";
  test::cesim_child child({"sweep", sweep.string(), "--threads", "1", "--out", stopped.string()});
  const auto before = wait_for_points(child, stopped, 2);
  // Into the next point (a third of a second), so that there is a point in hand to finish.
  std::this_thread::sleep_for(100ms);
  child.signal(SIGTERM);
  const int status = child.wait();
  const std::string err = child.err();
  INFO(err);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  const auto done = done_points(stopped);
  REQUIRE(done.size() < sweep_points);  // else the sweep outran the signal: make it slower
  CHECK(done.size() > before);
  // The point in hand was finished and kept: no rows of an unfinished point are left behind.
  CHECK(newlines(test::read_file(stopped / "results.csv")) == 1 + done.size() * replications);
  check_partial_folder(stopped, reference, done);
  CHECK_THAT(err,
             Catch::Contains("error: stopped by signal 15 after " + std::to_string(done.size()) +
                             " of 9 points; every finished point is kept in " + stopped.string()));

  const std::string marker = "Resume with:\n  ";
  const auto at = err.find(marker);
  REQUIRE(at != std::string::npos);
  const auto command =
      err.substr(at + marker.size(), err.find('\n', at + marker.size()) - (at + marker.size()));
  CHECK(command ==
        "cesim sweep " + sweep.string() + " --threads 1 --out " + stopped.string() + " --resume");
  std::vector<std::string> words;
  std::istringstream split(command);
  for (std::string word; split >> word;) words.push_back(word);
  REQUIRE(words.at(0) == "cesim");
  const auto r = run(std::vector<std::string>(words.begin() + 1, words.end()));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_same_tables(stopped, reference);
  CHECK(fs::exists(stopped / "manifest.json"));
}

TEST_CASE("a second signal ends a stopping sweep at once", "[cli][sweep][batch]") {
  test::temp_dir dir;
  // Over a second a point (80,000 customers, 60 steps, 2 replications): the first signal must
  // still be waiting for the point in hand when the second arrives.
  const auto sweep = write_sweep(dir, 8 * slow_population, slow_horizon);
  const auto out = dir / "out";
  test::cesim_child child({"sweep", sweep.string(), "--threads", "1", "--out", out.string()});
  const auto before = wait_for_points(child, out, 1);
  // Into the next point: a signal between points stops at once, with no point in hand.
  std::this_thread::sleep_for(300ms);
  const auto started = std::chrono::steady_clock::now();
  child.signal(SIGINT);
  std::this_thread::sleep_for(100ms);
  REQUIRE(child.running());  // finishing the point in hand
  child.signal(SIGINT);
  const int status = child.wait();
  INFO(child.err());
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGINT);
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  CHECK(done_points(out).size() == before);  // the point in hand was dropped
  CHECK_FALSE(fs::exists(out / "summary.csv"));
}

TEST_CASE("shards of a sweep merge into the tables of the whole sweep", "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, fast_population, fast_horizon);
  const auto reference = dir / "reference";
  run_reference(sweep, reference);
  const auto reference_rows = test::read_file(reference / "results.csv");

  std::vector<std::string> shards;
  for (const std::string index : {"0", "1"}) {
    const auto out = dir / ("shard" + index);
    shards.push_back(out.string());
    const auto r = run({"sweep", sweep.string(), "--shard", index + "/2", "--out", out.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err,
               Catch::Contains("shard " + index + "/2 (from --shard): points " + index + " mod 2"));
    CHECK_THAT(r.out, Catch::Contains("shard " + index + "/2 of 9 points"));
    // Round robin: shard 0 has the even points, shard 1 the odd ones.
    std::set<std::size_t> owned;
    for (std::size_t p = std::stoul(index); p < sweep_points; p += 2) owned.insert(p);
    CHECK(test::read_file(out / "results.csv") == rows_of_points(reference_rows, owned));
    CHECK(fs::exists(out / "summary.csv"));
    const auto manifest = nlohmann::json::parse(test::read_file(out / "manifest.json"));
    CHECK(manifest.at("shard") == index + "/2");
  }

  const auto merged = dir / "merged";
  const auto r = run({"merge", shards[0], shards[1], "--out", merged.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("merged 2 folders: 9 of 9 points x 2 replications into " +
                                    merged.string()));
  check_same_tables(merged, reference);
  const auto manifest = nlohmann::json::parse(test::read_file(merged / "manifest.json"));
  CHECK(manifest.at("command") == "merge");
  CHECK(manifest.at("merged_from") == nlohmann::json(shards));
  CHECK(manifest.at("missing_points") == 0);

  // The order of the folders does not matter.
  const auto reversed = dir / "reversed";
  const auto again = run({"merge", shards[1], shards[0], "--out", reversed.string()});
  REQUIRE(again.exit_code == 0);
  check_same_tables(reversed, reference);
}

TEST_CASE("a Slurm job array chooses the shard unless --shard is given", "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, fast_population, fast_horizon);
  const auto by_flag = dir / "flag";
  REQUIRE(run({"sweep", sweep.string(), "--shard", "1/2", "--out", by_flag.string()}).exit_code ==
          0);

  const auto shard_of = [](const fs::path& out) {
    const auto id = nlohmann::json::parse(test::read_file(out / "sweep.json"));
    return std::to_string(id.at("shard").at("index").get<std::size_t>()) + "/" +
           std::to_string(id.at("shard").at("count").get<std::size_t>());
  };
  // Task 5 of an array 4-5: shard 1 of 2.
  const std::vector<std::string> array{"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=4",
                                       "SLURM_ARRAY_TASK_COUNT=2"};
  const auto by_slurm = dir / "slurm";
  auto r = run({"sweep", sweep.string(), "--out", by_slurm.string()}, array);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("shard 1/2 (from SLURM_ARRAY_TASK_ID)"));
  CHECK(shard_of(by_slurm) == "1/2");
  CHECK(test::read_file(by_slurm / "results.csv") == test::read_file(by_flag / "results.csv"));
  // Resuming under the same array task finds the same shard.
  r = run({"sweep", sweep.string(), "--out", by_slurm.string(), "--resume"}, array);
  CHECK(r.exit_code == 0);
  CHECK(test::read_file(by_slurm / "results.csv") == test::read_file(by_flag / "results.csv"));

  const auto flag_wins = dir / "flag-wins";
  r = run({"sweep", sweep.string(), "--shard", "0/2", "--out", flag_wins.string()}, array);
  REQUIRE(r.exit_code == 0);
  CHECK(shard_of(flag_wins) == "0/2");

  // Without the count, or without a task id, it is not an array: the whole sweep.
  const auto no_count = dir / "no-count";
  r = run({"sweep", sweep.string(), "--out", no_count.string()}, {"SLURM_ARRAY_TASK_ID=1"});
  REQUIRE(r.exit_code == 0);
  CHECK(shard_of(no_count) == "0/1");
  CHECK(done_points(no_count).size() == sweep_points);

  // Tasks the count does not cover are refused before anything is written.
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_COUNT=2"},
           {"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=4", "SLURM_ARRAY_TASK_COUNT=2"},
           {"SLURM_ARRAY_TASK_ID=x", "SLURM_ARRAY_TASK_COUNT=2"}}) {
    const auto never = dir / "never";
    r = run({"sweep", sweep.string(), "--out", never.string()}, bad);
    INFO(bad.at(0) << ": " << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("SLURM_ARRAY_TASK_ID"));
    CHECK_FALSE(fs::exists(never));
  }
}

TEST_CASE("merge names the missing points and writes a partial table only when allowed",
          "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, fast_population, fast_horizon);
  const auto reference = dir / "reference";
  run_reference(sweep, reference);
  const auto shard0 = dir / "shard0";
  const auto shard1 = dir / "shard1";
  REQUIRE(run({"sweep", sweep.string(), "--shard", "0/2", "--out", shard0.string()}).exit_code ==
          0);
  REQUIRE(run({"sweep", sweep.string(), "--shard", "1/2", "--out", shard1.string()}).exit_code ==
          0);

  const auto merged = dir / "merged";
  auto r = run({"merge", shard0.string(), "--out", merged.string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("4 of 9 points are missing:\n  shard 1/2 (no folder given): "
                                    "4 points: 1, 3, 5, 7\n"));
  CHECK_THAT(r.err, Catch::Contains("--allow-missing"));
  CHECK_FALSE(fs::exists(merged));

  // Shard 1 killed between writing the rows of its last point and recording it.
  auto done = lines_of(test::read_file(shard1 / "points.done"));
  REQUIRE(done.size() == 4);
  REQUIRE(done.back() == "7");
  test::write_file(shard1 / "points.done", "1\n3\n5\n");
  r = run({"merge", shard0.string(), shard1.string(), "--out", merged.string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("1 of 9 points are missing:\n  shard 1/2 (" + shard1.string() +
                                    "): 1 point: 7\n"));
  CHECK_FALSE(fs::exists(merged));

  r = run({"merge", shard0.string(), "--allow-missing", "--out", merged.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("5 of 9 points x 2 replications"));
  CHECK_THAT(r.err, Catch::Contains("missing:\n  shard 1/2 (no folder given): 4 points"));
  const std::set<std::size_t> even{0, 2, 4, 6, 8};
  CHECK(test::read_file(merged / "results.csv") ==
        rows_of_points(test::read_file(reference / "results.csv"), even));
  CHECK(test::read_file(merged / "summary.csv") ==
        rows_of_points(test::read_file(reference / "summary.csv"), even));
  const auto manifest = nlohmann::json::parse(test::read_file(merged / "manifest.json"));
  CHECK(manifest.at("missing_points") == 4);

  // The same folder again: an output error, nothing replaced.
  const auto before = test::read_file(merged / "results.csv");
  r = run({"merge", shard0.string(), shard1.string(), "--allow-missing", "--out", merged.string()});
  CHECK(r.exit_code == 4);
  CHECK(test::read_file(merged / "results.csv") == before);
}

TEST_CASE("sweep resumes only a folder of the same inputs and options", "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, fast_population, fast_horizon).string();
  const auto out = dir / "out";
  REQUIRE(run({"sweep", sweep, "--out", out.string()}).exit_code == 0);
  const auto results = test::read_file(out / "results.csv");

  for (const auto& other : std::vector<std::vector<std::string>>{
           {"--seed", "8"}, {"--population", "1000"}, {"--shard", "1/2"}}) {
    std::vector<std::string> args{"sweep", sweep, "--out", out.string(), "--resume"};
    args.insert(args.end(), other.begin(), other.end());
    const auto r = run(args);
    INFO(other.at(0) << ": " << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("cannot resume: this folder holds "));
    CHECK(test::read_file(out / "results.csv") == results);
  }

  // Neither continued nor replaced without being asked to.
  auto r = run({"sweep", sweep, "--out", out.string()});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("already exists; add --resume to continue it"));
  CHECK(test::read_file(out / "results.csv") == results);
  r = run({"sweep", sweep, "--out", out.string(), "--force"});
  CHECK(r.exit_code == 0);
  CHECK(test::read_file(out / "results.csv") == results);

  // An input file edited since.
  test::write_file(dir / "s.yaml", test::small_scenario(fast_population, fast_horizon + 1));
  r = run({"sweep", sweep, "--out", out.string(), "--resume"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("cannot resume: this folder holds results of other inputs"));
  CHECK(test::read_file(out / "results.csv") == results);
}

TEST_CASE("sweep and merge refuse bad shards and folders of other sweeps", "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, fast_population, fast_horizon).string();
  const auto never = dir / "never";
  for (const std::string bad : {"3/3", "1/0", "x", "1", "0/", "/2", "1/2/3", "0/x"}) {
    const auto r = run({"sweep", sweep, "--shard", bad, "--out", never.string()});
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("--shard: expected I/N with 0 <= I < N"));
    CHECK_THAT(r.err, Catch::Contains("got '" + bad + "'"));
    CHECK_FALSE(fs::exists(never));
  }

  auto r = run({"sweep", sweep, "--resume"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("--resume needs --out"));

  const auto empty = dir / "empty";
  fs::create_directory(empty);
  r = run({"sweep", sweep, "--out", empty.string(), "--resume"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("not the results folder of a cesim sweep"));
  r = run({"merge", empty.string(), "--out", never.string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("not the results folder of a cesim sweep"));

  const auto a = dir / "a";
  const auto b = dir / "b";
  REQUIRE(run({"sweep", sweep, "--shard", "0/2", "--out", a.string()}).exit_code == 0);
  REQUIRE(run({"sweep", sweep, "--shard", "1/2", "--seed", "8", "--out", b.string()}).exit_code ==
          0);
  r = run({"merge", a.string(), b.string(), "--out", never.string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("holds another sweep than " + a.string()));
  CHECK_FALSE(fs::exists(never));
}

TEST_CASE("sensitivity resumes to the indices of an uninterrupted run",
          "[cli][sensitivity][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, fast_population, fast_horizon).string();
  const auto full = dir / "full";
  const auto sensitivity = [&](const fs::path& out, const char* trajectories, bool resume) {
    std::vector<std::string> args{"sensitivity",    sweep,        "--method",    "morris",
                                  "--trajectories", trajectories, "--no-report", "--out",
                                  out.string()};
    if (resume) args.emplace_back("--resume");
    return run(args);
  };
  auto r = sensitivity(full, "4", false);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(done_points(full).size() == 4 * 3);  // trajectories x (parameters + 1)

  // A run stopped after five points: the rest of its rows dropped, nothing summarised yet.
  const auto cut = dir / "cut";
  fs::create_directory(cut);
  for (const char* file : {"sweep.json", "results.csv"}) fs::copy_file(full / file, cut / file);
  test::write_file(cut / "points.done", "0\n1\n2\n3\n4\n");
  r = sensitivity(cut, "4", true);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("5 of 12 points already done"));
  CHECK(test::read_file(cut / "results.csv") == test::read_file(full / "results.csv"));
  CHECK(test::read_file(cut / "sensitivity.csv") == test::read_file(full / "sensitivity.csv"));

  // Other trajectories are another design; and sensitivity folders are not merged.
  r = sensitivity(cut, "5", true);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("cannot resume"));
  r = run({"merge", full.string(), "--out", (dir / "merged").string()});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("holds a sensitivity run; only sweep folders are merged"));
  CHECK_FALSE(fs::exists(dir / "merged"));
}

TEST_CASE("a requeued array task reruns one command line to the tables of its shard",
          "[cli][sweep][batch]") {
  test::temp_dir dir;
  const auto sweep = write_sweep(dir, slow_population, slow_horizon);
  const auto reference = dir / "reference";
  REQUIRE(run({"sweep", sweep.string(), "--shard", "1/2", "--out", reference.string()}).exit_code ==
          0);

  // The same line for the first run and for every requeue: --resume starts a missing folder.
  const std::vector<std::string> array{"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT=2"};
  const auto out = dir / "task1";
  const std::vector<std::string> line{"sweep", sweep.string(), "--threads", "1",
                                      "--out", out.string(),   "--resume"};
  test::cesim_child child(line, with_env(array));
  wait_for_points(child, out, 1);
  child.signal(SIGTERM);
  const int status = child.wait();
  const std::string err = child.err();
  INFO(err);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  REQUIRE(done_points(out).size() < 4);  // shard 1/2 of 9 points holds 4
  // The shard came from the environment; the printed command names it, so that it also works
  // by hand outside the array.
  CHECK_THAT(err, Catch::Contains("--resume --shard 1/2"));

  const auto r = run(line, array);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("resuming " + out.string()));
  check_same_tables(out, reference);
}

TEST_CASE("calibration killed mid-way resumes to the posterior of an uninterrupted run",
          "[cli][calibrate][batch]") {
  test::temp_dir dir;
  const std::string sweep =
      (fs::path(CESIM_SOURCE_DIR) / "scenarios/sweeps/bass_fit.yaml").string();
  const std::string observed =
      (fs::path(CESIM_SOURCE_DIR) / "scenarios/calibration/bass_observed.csv").string();
  const auto args_for = [&](const fs::path& out) {
    return std::vector<std::string>{
        "calibrate", sweep, "--observed",  observed, "--particles",  "30",
        "--initial", "60",  "--rounds",    "2",      "--population", "5000",
        "--threads", "1",   "--no-report", "--out",  out.string()};
  };
  const auto reference = dir / "reference";
  auto r = run(args_for(reference));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto evaluations = lines_of(test::read_file(reference / "evaluations.csv")).size() - 1;
  REQUIRE(evaluations > 60);

  const auto killed = dir / "killed";
  {
    test::cesim_child child(args_for(killed));
    // Kill once a part of the evaluations is recorded.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (newlines(test::read_file(killed / "evaluations.csv")) < 20) {
      REQUIRE(child.running());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(5ms);
    }
    child.signal(SIGKILL);
    child.wait();
  }
  const auto recorded = lines_of(test::read_file(killed / "evaluations.csv")).size() - 1;
  REQUIRE(recorded < evaluations);  // else the calibration outran the kill
  auto resume = args_for(killed);
  resume.emplace_back("--resume");
  r = run(resume);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("replaying " + std::to_string(recorded)));
  for (const char* file : {"evaluations.csv", "posterior.csv", "fit.csv", "calibration.json"})
    CHECK(test::read_file(killed / file) == test::read_file(reference / file));
}
