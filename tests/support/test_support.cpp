#include "test_support.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace cesim::test {
namespace fs = std::filesystem;

temp_dir::temp_dir() {
  std::random_device rd;
  const auto base = fs::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate =
        base / ("cesim-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path source_dir() {
  return CESIM_SOURCE_DIR;
}
fs::path data_dir() {
  return CESIM_TEST_DATA_DIR;
}

scenario load_text(const temp_dir& dir, const std::string& yaml, const io::load_options& options) {
  const auto file = dir / "scenario.yaml";
  write_file(file, yaml);
  return io::load_scenario(file.string(), options);
}

process_result run_cesim(const std::vector<std::string>& args, const fs::path& working_dir) {
  temp_dir capture;
  const auto out_path = capture / "stdout";
  const auto err_path = capture / "stderr";
  std::vector<std::string> argv_storage{CESIM_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const fs::path previous = fs::current_path();
  if (!working_dir.empty()) fs::current_path(working_dir);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  if (!working_dir.empty()) fs::current_path(previous);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw std::runtime_error(std::string("cannot start cesim: ") + std::strerror(spawned));
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  process_result r;
  r.peak_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

namespace {

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same_tally(const segment_tally& a, const segment_tally& b) {
  for (const auto& m : series_metrics())
    if (!same_bits(m.value(a), m.value(b))) return false;
  return same_bits(a.rating_sum, b.rating_sum) && same_bits(a.satisfaction_sum, b.satisfaction_sum);
}

}  // namespace

bool identical(const run_result& a, const run_result& b) {
  if (a.series.size() != b.series.size() ||
      a.touchpoint_series.size() != b.touchpoint_series.size() ||
      a.summary.size() != b.summary.size() || a.public_rating.size() != b.public_rating.size())
    return false;
  for (std::size_t i = 0; i < a.series.size(); ++i)
    if (!same_tally(a.series[i], b.series[i])) return false;
  for (std::size_t i = 0; i < a.touchpoint_series.size(); ++i)
    for (const auto& m : touchpoint_metrics())
      if (!same_bits(m.value(a.touchpoint_series[i]), m.value(b.touchpoint_series[i])))
        return false;
  for (std::size_t i = 0; i < a.public_rating.size(); ++i)
    if (!same_bits(a.public_rating[i], b.public_rating[i])) return false;
  for (std::size_t s = 0; s < a.summary.size(); ++s)
    for (const auto& m : summary_metrics())
      if (!same_bits(a.summary[s].*(m.field), b.summary[s].*(m.field))) return false;
  return true;
}

std::string small_scenario(int population, int horizon, const std::string& extra) {
  return "population: " + std::to_string(population) + "\n" +
         "time: {horizon: " + std::to_string(horizon) + "}\n" + R"(
seed: 7
channels: [web, store, phone]
segments:
  - name: regulars
    share: 0.6
    personas: {loyal_regular: 0.7, offline_traditionalist: 0.3}
    initial: {aware: 0.8, customers: 0.5}
  - name: digital
    share: 0.4
    personas: {digital_native: 0.6, prosumer: 0.3, influencer: 0.1}
    initial: {aware: 0.5, customers: 0.2}
touchpoints:
  - {name: website, phase: pre_purchase, channel: web, reach: 0.2, quality: {mean: 0.65, sd: 0.1}}
  - {name: reviews, kind: indirect, phase: pre_purchase, channel: web, reach: 0.1, shows_public_rating: true}
  - {name: store, phase: purchase, channel: store, reach: 0.6, quality: {mean: 0.68, sd: 0.15}, cost_per_contact: 0.5}
  - {name: hotline, phase: post_purchase, channel: phone, reach: 0.05, quality: {mean: 0.5, sd: 0.2}, weight: 1.5}
)" + extra;
}

std::vector<std::string> problems_in_file(const std::filesystem::path& file,
                                          const std::function<void()>& load) {
  std::vector<std::string> problems;
  try {
    load();
  } catch (const input_error& e) {
    const std::string prefix = file.string() + ":";
    for (const auto& p : e.problems()) {
      const std::string text = p.to_string();
      CHECK(text.rfind(prefix, 0) == 0);
      problems.push_back(text.substr(prefix.size()));
    }
  }
  return problems;
}

}  // namespace cesim::test
