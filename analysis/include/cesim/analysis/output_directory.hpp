#pragma once
/// A results directory that appears complete or not at all: files are written into a temporary
/// sibling directory, flushed, and the directory is renamed into place on commit(). If anything
/// fails, or the process leaves before commit(), no half-written directory is left under the
/// final name.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cesim::analysis {

class output_directory {
 public:
  /// Throws output_error if `final_path` exists and `force` is false, or if the temporary
  /// directory cannot be created.
  output_directory(std::filesystem::path final_path, bool force);
  ~output_directory();
  output_directory(const output_directory&) = delete;
  output_directory& operator=(const output_directory&) = delete;

  /// Writes a file (flushed and synced); throws output_error naming the file on any failure.
  void write(std::string_view name, std::string_view content);
  /// Renames the temporary directory to the final name (replacing an old one with --force).
  void commit();

  [[nodiscard]] const std::filesystem::path& final_path() const { return final_; }
  [[nodiscard]] const std::vector<std::string>& files() const { return files_; }

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  bool force_ = false;
  bool committed_ = false;
  std::vector<std::string> files_;
};

/// Writes one file atomically (temporary name in the same folder, then rename).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace cesim::analysis
