// Progress and messages on stderr for batch jobs: plain lines when stderr is a file, JSON lines
// with --log-format json, nothing with --quiet. CESIM_PROGRESS_INTERVAL shortens the cadence
// so that a sweep of about a second reports several times.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "test_support.hpp"

using namespace cesim;
namespace fs = std::filesystem;

namespace {

/// Sets an environment variable (inherited by the cesim child) for one test, then restores it.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) previous_ = old;
    ::setenv(name, value, 1);
  }
  ~scoped_env() {
    if (previous_)
      ::setenv(name_, previous_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// A sweep of 8 short runs that takes about a second: long enough for a few progress lines at
/// the test's interval, short enough to run often.
test::process_result quick_sweep(const test::temp_dir& dir, const std::vector<std::string>& extra) {
  const auto contest = test::source_dir() / "scenarios" / "burger_contest.yaml";
  test::write_file(dir / "sweep.yaml", R"(sweep: 1
name: logging
scenario: )" + contest.string() + R"(
replications: 2
metrics: [loyalty, nps]
design: {type: grid, levels: 2}
set: {population: 2000}
parameters:
  - {path: campaigns.burger_contest.incentive, name: incentive, range: [0.1, 0.9]}
  - {path: word_of_mouth.talk_scale, name: talk_scale, range: [0.05, 0.4]}
)");
  std::vector<std::string> args{"sweep", (dir / "sweep.yaml").string(), "--horizon", "10",
                                "--out", (dir / "out").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return test::run_cesim(args);
}

/// Consumes `prefix` from the front of `text`.
bool eat(std::string_view& text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  return true;
}

/// Consumes 1 to `most` digits.
bool eat_digits(std::string_view& text, std::size_t most = 20, std::size_t least = 1) {
  std::size_t n = 0;
  while (n < text.size() && n < most && text[n] >= '0' && text[n] <= '9') ++n;
  if (n < least) return false;
  text.remove_prefix(n);
  return true;
}

/// Consumes a duration as progress lines print it: 45s, 3m12s or 2h05m.
bool eat_duration(std::string_view& text) {
  if (!eat_digits(text)) return false;
  if (eat(text, "s")) return true;
  if (eat(text, "m")) return eat_digits(text, 2, 2) && eat(text, "s");
  return eat(text, "h") && eat_digits(text, 2, 2) && eat(text, "m");
}

/// "progress: logging: LABEL: P% (D/T steps), DURATION elapsed[, ~DURATION left]"
bool is_periodic_line(std::string_view line) {
  if (!eat(line, "progress: logging: ")) return false;
  const auto percent = line.find("% (");
  if (percent == std::string_view::npos) return false;
  const auto colon = line.rfind(": ", percent);
  if (colon == std::string_view::npos || colon == 0) return false;
  line.remove_prefix(colon + 2);
  if (!eat_digits(line, 3) || !eat(line, "% (") || !eat_digits(line) || !eat(line, "/") ||
      !eat_digits(line) || !eat(line, " steps), ") || !eat_duration(line) || !eat(line, " elapsed"))
    return false;
  if (line.empty()) return true;
  return eat(line, ", ~") && eat_duration(line) && eat(line, " left") && line.empty();
}

/// "progress: logging: LABEL: done in DURATION"
bool is_done_line(std::string_view line) {
  if (!eat(line, "progress: logging: ")) return false;
  const auto at = line.rfind(": done in ");
  if (at == std::string_view::npos || at == 0) return false;
  line.remove_prefix(at + 10);
  return eat_duration(line) && line.empty();
}

/// YYYY-MM-DDTHH:MM:SS.mmmZ
bool is_utc_time(std::string_view text) {
  return eat_digits(text, 4, 4) && eat(text, "-") && eat_digits(text, 2, 2) && eat(text, "-") &&
         eat_digits(text, 2, 2) && eat(text, "T") && eat_digits(text, 2, 2) && eat(text, ":") &&
         eat_digits(text, 2, 2) && eat(text, ":") && eat_digits(text, 2, 2) && eat(text, ".") &&
         eat_digits(text, 3, 3) && eat(text, "Z") && text.empty();
}

}  // namespace

TEST_CASE("progress line matchers accept what they should and nothing else", "[cli][logging]") {
  CHECK(
      is_periodic_line("progress: logging: sweep: 4 points: 40% (32/80 steps), 1m20s elapsed, "
                       "~2m00s left"));
  CHECK(is_periodic_line("progress: logging: x: 5% (4/80 steps), 3s elapsed"));
  CHECK_FALSE(is_periodic_line("progress: logging: x: 5% (4/80 steps), 3 elapsed"));
  CHECK_FALSE(is_periodic_line("progress: logging: x: 5% (4/80 steps), 3s elapsed, ~"));
  CHECK(is_done_line("progress: logging: x: done in 2h05m"));
  CHECK_FALSE(is_done_line("progress: logging: x: done in 2h5m"));
  CHECK(is_utc_time("2026-11-24T00:32:46.958Z"));
  CHECK_FALSE(is_utc_time("2026-11-24 00:32:46Z"));
}

TEST_CASE("sweep with stderr in a file writes plain progress lines", "[cli][logging]") {
  scoped_env interval("CESIM_PROGRESS_INTERVAL", "0.02");
  test::temp_dir dir;
  const auto r = quick_sweep(dir, {});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // No carriage returns or escape codes: a log file must read line by line.
  CHECK(r.err.find('\r') == std::string::npos);
  CHECK(r.err.find('\x1b') == std::string::npos);
  const auto lines = lines_of(r.err);
  std::size_t periodic_lines = 0;
  for (const auto& line : lines) {
    INFO(line);
    if (is_periodic_line(line)) ++periodic_lines;
    // Progress is the only thing a successful sweep says on stderr.
    CHECK((is_periodic_line(line) || is_done_line(line)));
  }
  CHECK(periodic_lines >= 1);
  REQUIRE_FALSE(lines.empty());
  CHECK(is_done_line(lines.back()));
}

TEST_CASE("sweep with --log-format json writes one JSON object per line", "[cli][logging]") {
  scoped_env interval("CESIM_PROGRESS_INTERVAL", "0.02");
  test::temp_dir dir;
  const auto r = quick_sweep(dir, {"--log-format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::size_t progress_events = 0;
  double last_fraction = -1;
  for (const auto& line : lines_of(r.err)) {
    INFO(line);
    nlohmann::json event;
    REQUIRE_NOTHROW(event = nlohmann::json::parse(line));
    REQUIRE(event.is_object());
    CHECK(is_utc_time(event.at("time").get<std::string>()));
    CHECK(event.at("level").is_string());
    CHECK(event.at("event").is_string());
    CHECK(event.at("message").is_string());
    if (event["event"] != "progress") continue;
    ++progress_events;
    CHECK(event["level"] == "info");
    const auto done = event.at("done").get<std::uint64_t>();
    const auto total = event.at("total").get<std::uint64_t>();
    CHECK(total == 4 * 2 * 10);
    CHECK(done <= total);
    const double fraction = event.at("fraction").get<double>();
    CHECK(fraction == Approx(static_cast<double>(done) / static_cast<double>(total)));
    CHECK(fraction >= last_fraction);
    last_fraction = fraction;
    CHECK(event.at("elapsed_seconds").get<double>() >= 0);
    CHECK((event.at("eta_seconds").is_null() || event.at("eta_seconds").get<double>() >= 0));
  }
  CHECK(progress_events >= 1);
}

TEST_CASE("sweep with --quiet writes nothing on stderr", "[cli][logging]") {
  scoped_env interval("CESIM_PROGRESS_INTERVAL", "0.02");
  for (const char* format : {"text", "json"}) {
    test::temp_dir dir;
    const auto r = quick_sweep(dir, {"--quiet", "--log-format", format});
    INFO(format);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
  }
}

TEST_CASE("an invalid CESIM_PROGRESS_INTERVAL keeps the default of 30 seconds", "[cli][logging]") {
  for (const char* bad : {"soon", "0"}) {
    scoped_env interval("CESIM_PROGRESS_INTERVAL", bad);
    test::temp_dir dir;
    const auto r = quick_sweep(dir, {});
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 0);
    // The sweep is over long before the first line would be due.
    CHECK(r.err.empty());
  }
}
