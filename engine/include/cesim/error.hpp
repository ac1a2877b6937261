#pragma once
/// Errors a user can act on: every problem names the file, line, column and key path.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cesim {

/// Where a value came from. Line and column are 1-based; 0 means unknown (e.g. a default).
struct source_mark {
  std::shared_ptr<const std::string> file;
  int line = 0;
  int column = 0;

  [[nodiscard]] std::string file_name() const { return file ? *file : std::string("<input>"); }
  /// A mark without a line: a command-line option, a whole file, an override's origin.
  static source_mark named(std::string origin) {
    return {std::make_shared<const std::string>(std::move(origin)), 0, 0};
  }
};

/// One problem found in an input file.
struct diagnostic {
  source_mark where;
  std::string path;  ///< key path, e.g. "touchpoints[3].quality.sd"; empty for whole-file problems
  std::string message;  ///< what is wrong and, where possible, what would be right

  /// "file:line:col: path: message"
  [[nodiscard]] std::string to_string() const;
};

/// Collects every problem found while loading, so `cesim validate` reports all, not the first.
class diagnostics {
 public:
  /// Beyond this many, problems are counted, not kept: a file of a million unknown keys must
  /// not take a million lines and gigabytes to report.
  static constexpr std::size_t max_listed = 100;

  void error(const source_mark& where, std::string path, std::string message);
  [[nodiscard]] bool empty() const { return list_.empty(); }
  /// Problems found, listed or not.
  [[nodiscard]] std::size_t size() const { return list_.size() + unlisted_; }
  [[nodiscard]] const std::vector<diagnostic>& list() const { return list_; }
  void append(const diagnostics& other);
  /// Throws input_error with every problem collected so far, if any (and a last one saying how
  /// many more were found than listed).
  void throw_if_any() const;

 private:
  std::vector<diagnostic> list_;
  std::size_t unlisted_ = 0;
};

/// Bad input: malformed YAML, unknown keys, out-of-range values, missing files.
class input_error : public std::runtime_error {
 public:
  explicit input_error(std::vector<diagnostic> problems);
  input_error(const source_mark& where, std::string path, std::string message);
  [[nodiscard]] const std::vector<diagnostic>& problems() const { return problems_; }

 private:
  std::vector<diagnostic> problems_;
};

/// A run that would exceed a resource limit (memory, id range) before anything is allocated.
class resource_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Results could not be written (unwritable directory, disk full, existing output).
class output_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cesim
