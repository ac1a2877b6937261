#include "test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

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
  child_options options;
  options.working_dir = working_dir;
  cesim_child child(args, options);
  child.wait(std::chrono::seconds(0));
  return child.result();
}

/// Reads one pipe to its end on a thread of its own; what arrived so far can be read at any time.
class cesim_child::drain {
 public:
  explicit drain(int fd)
      : thread_([this, fd] {
          std::array<char, 4096> buffer{};
          for (;;) {
            const ssize_t n = ::read(fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            const std::lock_guard lock(mutex_);
            text_.append(buffer.data(), static_cast<std::size_t>(n));
          }
          ::close(fd);
        }) {}
  ~drain() {
    if (thread_.joinable()) thread_.join();
  }
  drain(const drain&) = delete;
  drain& operator=(const drain&) = delete;
  [[nodiscard]] std::string so_far() const {
    const std::lock_guard lock(mutex_);
    return text_;
  }
  /// Everything, once the writer has closed the pipe.
  std::string all() {
    if (thread_.joinable()) thread_.join();
    return so_far();
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
  std::thread thread_;
};

cesim_child::cesim_child(const std::vector<std::string>& args, const child_options& options) {
  // Everything the child needs is prepared here: after fork it only makes system calls.
  std::vector<std::string> argv_storage{CESIM_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "SLURM_ARRAY_TASK_", 17) != 0) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string directory = options.working_dir.string();
  std::array<int, 2> out{};
  std::array<int, 2> err{};
  REQUIRE(::pipe2(out.data(), O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err.data(), O_CLOEXEC) == 0);

  if (options.max_file_bytes) {
    // A file-size limit has to be set in the child before exec, which posix_spawn cannot do.
    const rlim_t max_bytes = *options.max_file_bytes;
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      if (::dup2(out[1], STDOUT_FILENO) < 0 || ::dup2(err[1], STDERR_FILENO) < 0) ::_exit(127);
      if (!directory.empty() && ::chdir(directory.c_str()) != 0) ::_exit(127);
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;  // an ignored signal stays ignored across exec
      const struct rlimit limit { max_bytes, max_bytes };
      if (::sigaction(SIGXFSZ, &ignore, nullptr) != 0 || ::setrlimit(RLIMIT_FSIZE, &limit) != 0)
        ::_exit(127);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  } else {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    if (!directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      for (const int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
      FAIL("cannot start cesim: " << std::strerror(spawned));
    }
  }
  ::close(out[1]);
  ::close(err[1]);
  out_ = std::make_unique<drain>(out[0]);
  err_ = std::make_unique<drain>(err[0]);
}

cesim_child::~cesim_child() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

bool cesim_child::running() {
  if (!ended_) {
    struct rusage usage {};
    if (::wait4(pid_, &status_, WNOHANG, &usage) == pid_) {
      ended_ = true;
      peak_rss_bytes_ = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
    }
  }
  return !ended_;
}

void cesim_child::signal(int number) const {
  REQUIRE(::kill(pid_, number) == 0);
}

int cesim_child::wait(std::chrono::seconds limit) {
  if (limit.count() == 0) {
    // No limit: block until the end.
    if (!ended_) {
      struct rusage usage {};
      ::wait4(pid_, &status_, 0, &usage);
      ended_ = true;
      peak_rss_bytes_ = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
    }
    return status_;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      FAIL("cesim did not end within " << limit.count() << " s; stderr:\n" << err());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return status_;
}

process_result cesim_child::result() {
  wait(std::chrono::seconds(0));
  process_result r;
  r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  r.out = out_->all();
  r.err = err_->all();
  r.peak_rss_bytes = peak_rss_bytes_;
  return r;
}

std::string cesim_child::out() {
  return running() ? out_->so_far() : out_->all();
}
std::string cesim_child::err() {
  return running() ? err_->so_far() : err_->all();
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
