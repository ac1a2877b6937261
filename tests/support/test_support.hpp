#pragma once
// Helpers shared by the test suites: temporary folders, scenario text, running the binary.
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/io/scenario_loader.hpp"
#include "cesim/sim/results.hpp"

namespace cesim::test {

/// A fresh folder under the system temp dir, removed on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& text);
std::string read_file(const std::filesystem::path& path);

/// Writes `yaml` to a scenario file in `dir` and loads it (personas from the repository library).
scenario load_text(const temp_dir& dir, const std::string& yaml,
                   const io::load_options& options = {});

/// The repository's source and data folders.
std::filesystem::path source_dir();
std::filesystem::path data_dir();

struct process_result {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::uint64_t peak_rss_bytes = 0;  ///< the child's peak resident memory
};
/// Runs the cesim binary with arguments, capturing stdout and stderr.
process_result run_cesim(const std::vector<std::string>& args,
                         const std::filesystem::path& working_dir = {});

/// How to start a cesim child process.
struct child_options {
  std::vector<std::string> env;  ///< "NAME=value" entries added to the environment
  /// RLIMIT_FSIZE, with SIGXFSZ ignored: writes beyond it fail as on a full disk.
  std::optional<rlim_t> max_file_bytes;
  std::filesystem::path working_dir;  ///< empty: the test's own
};

/// cesim in a child process, for tests that signal it, limit it or watch it while it runs.
/// stdout and stderr go to pipes, each drained by a thread: a file-size limit does not cut them
/// short, and the child never blocks on a full pipe. Slurm's array variables are left out of
/// its environment (tests run inside a job array must not shard every sweep). A child still
/// running when the object goes is killed, so a failed check leaves nothing behind.
class cesim_child {
 public:
  explicit cesim_child(const std::vector<std::string>& args, const child_options& options = {});
  ~cesim_child();
  cesim_child(const cesim_child&) = delete;
  cesim_child& operator=(const cesim_child&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  bool running();
  void signal(int number) const;
  /// Waits for the end and returns the wait status; a child still running after `limit` is
  /// killed and fails the test instead of blocking it.
  int wait(std::chrono::seconds limit = std::chrono::seconds(120));
  /// After the end: the exit code (128 + the signal that ended it), stdout, stderr, peak memory.
  process_result result();
  /// What the child has written so far; everything, once it has ended.
  [[nodiscard]] std::string out();
  [[nodiscard]] std::string err();

 private:
  class drain;
  pid_t pid_ = -1;
  int status_ = 0;
  bool ended_ = false;
  std::uint64_t peak_rss_bytes_ = 0;
  std::unique_ptr<drain> out_;
  std::unique_ptr<drain> err_;
};

/// Runs `load` and returns the problems of the input_error it throws, each without the leading
/// "FILE:" (and fails the test if a problem names another file); empty if nothing was thrown.
std::vector<std::string> problems_in_file(const std::filesystem::path& file,
                                          const std::function<void()>& load);

/// Every number of two results equal, bit for bit.
bool identical(const run_result& a, const run_result& b);

/// A small scenario: one segment of library personas and a few touchpoints; `extra` is appended.
std::string small_scenario(int population = 5000, int horizon = 20, const std::string& extra = "");

}  // namespace cesim::test
