#pragma once
// Helpers shared by the test suites: temporary folders, scenario text, running the binary.
#include <filesystem>
#include <functional>
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

/// Runs `load` and returns the problems of the input_error it throws, each without the leading
/// "FILE:" (and fails the test if a problem names another file); empty if nothing was thrown.
std::vector<std::string> problems_in_file(const std::filesystem::path& file,
                                          const std::function<void()>& load);

/// Every number of two results equal, bit for bit.
bool identical(const run_result& a, const run_result& b);

/// A small scenario: one segment of library personas and a few touchpoints; `extra` is appended.
std::string small_scenario(int population = 5000, int horizon = 20, const std::string& extra = "");

}  // namespace cesim::test
