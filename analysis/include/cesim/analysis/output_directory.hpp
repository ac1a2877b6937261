#pragma once
/// A results directory that appears complete or not at all: files are written into a temporary
/// sibling directory, flushed, and the directory is renamed into place on commit(). If anything
/// fails, or the process leaves before commit(), no half-written directory is left under the
/// final name.
///
/// Temporary names are ".NAME.partial-HOST-PID" (and ".NAME.old-HOST-PID" for a folder being
/// replaced): the host and process id keep two processes on a shared file system apart, and let a
/// later process of the same host remove what a killed one left (remove_stale_temporaries).
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cesim::analysis {

/// An exclusive lock on a results folder while a command fills it, so that two processes never
/// write the same folder (a requeued batch job beside the one still running, or --force over a
/// folder another process is filling). Released when destroyed or when the process ends,
/// however it ends.
class folder_lock {
 public:
  /// Throws output_error if another process holds the lock. Where the file system has no locks
  /// (some network file systems), or the folder does not exist, nothing is locked.
  explicit folder_lock(const std::filesystem::path& dir);
  ~folder_lock();
  folder_lock(const folder_lock&) = delete;
  folder_lock& operator=(const folder_lock&) = delete;

 private:
  int fd_ = -1;
};

class output_directory {
 public:
  /// Throws output_error if `final_path` exists and `force` is false, if it exists and may not
  /// be replaced even with `force` (check_replaceable with `inputs`), or if the temporary
  /// directory cannot be created. Removes temporaries that killed processes left beside
  /// `final_path`.
  output_directory(std::filesystem::path final_path, bool force,
                   std::span<const std::filesystem::path> inputs = {});
  ~output_directory();
  output_directory(const output_directory&) = delete;
  output_directory& operator=(const output_directory&) = delete;

  /// Writes a file (flushed and synced); throws output_error naming the file on any failure.
  void write(std::string_view name, std::string_view content);
  /// Moves the temporary directory to the final name. With `force` an existing folder is swapped
  /// out and deleted, unless it holds one of `inputs` (or see check_replaceable). Without it, a
  /// folder that appeared under the final name meanwhile is kept: the results go to the first
  /// free "NAME-2", "NAME-3", ... and output_error says where.
  void commit(std::span<const std::filesystem::path> inputs = {});

  [[nodiscard]] const std::filesystem::path& final_path() const { return final_; }
  [[nodiscard]] const std::vector<std::string>& files() const { return files_; }

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  bool force_ = false;
  bool existed_ = false;
  bool committed_ = false;
  std::vector<std::string> files_;
};

/// Writes one file atomically (temporary name in the same folder, then rename); throws
/// output_error naming `path` and the system's reason, leaving no temporary file behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// Throws output_error if the existing `path` must not be replaced, even with --force: it is not
/// a folder, or it holds the working directory, the home directory or one of `inputs` (replacing
/// it would delete what the command reads, or far more than results).
void check_replaceable(const std::filesystem::path& path,
                       std::span<const std::filesystem::path> inputs = {});

/// Throws output_error if `path` is empty (an empty --out).
void check_output_name(const std::filesystem::path& path);

/// The name of a temporary beside `final_path`: ".NAME.KIND-HOST-PID".
std::string temporary_name(const std::filesystem::path& final_path, std::string_view kind);

/// Removes from `folder` the temporaries (".NAME.partial-HOST-PID", ".NAME.old-HOST-PID") of
/// processes of this host that no longer exist; returns how many. Those of running processes and
/// of other hosts are kept. Errors are ignored: this only tidies up.
std::size_t remove_stale_temporaries(const std::filesystem::path& folder);

/// Flushes a folder's entries (a rename into it, a new file) to disk; best effort.
void sync_directory(const std::filesystem::path& folder);

}  // namespace cesim::analysis
