#pragma once
// The durable record of a sweep in its results folder: a finished point's rows are appended to
// results.csv and synced, and only then is the point recorded as done in points.done (synced
// too). A process killed at any moment leaves at most one point unrecorded; --resume drops its
// rows and runs it again, so the finished table equals that of an uninterrupted run. Shards of
// one sweep (Slurm job arrays) keep the same record and `cesim merge` joins them.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cesim/analysis/output_directory.hpp"

namespace cesim::cli {

/// A file written only at its end, whose writes survive a crash once sync() returns: what a
/// finished point wrote is on disk before the folder says so. Errors name the file.
class durable_appender {
 public:
  /// Opens `path` to append to it; with `truncate`, empties it first.
  explicit durable_appender(const std::filesystem::path& path, bool truncate = false);
  ~durable_appender();
  durable_appender(const durable_appender&) = delete;
  durable_appender& operator=(const durable_appender&) = delete;

  void append(std::string_view text);
  /// Flushes and fsyncs.
  void sync();

 private:
  [[noreturn]] void fail() const;
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

/// The slice of a sweep one process runs: the points whose index modulo `count` is `index`
/// (round robin, so cheap and dear regions of a grid spread over all shards).
struct shard {
  std::size_t index = 0;
  std::size_t count = 1;
  [[nodiscard]] bool owns(std::size_t point) const { return point % count == index; }
  /// How many of points 0 .. total - 1 this shard owns.
  [[nodiscard]] std::size_t points_of(std::size_t total) const {
    return total / count + (index < total % count ? 1 : 0);
  }
  [[nodiscard]] std::string text() const;
  friend bool operator==(const shard&, const shard&) = default;
};

/// "I/N" with 0 <= I < N; throws input_error naming `origin`.
shard parse_shard(std::string_view text, std::string_view origin);

/// --shard when given; otherwise a Slurm job array's task (SLURM_ARRAY_TASK_ID minus
/// SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) when those are set; otherwise everything.
/// `source` says where the shard came from, for the log.
shard choose_shard(const std::optional<std::string>& flag, std::string& source);

/// What must match for two folders (or a folder and a resumed command) to hold rows of the
/// same sweep.
struct sweep_identity {
  std::string command;      ///< sweep or sensitivity
  std::string name;         ///< the sweep's name
  std::string fingerprint;  ///< sha256 over input hashes, overrides, replications, design
  std::size_t points = 0;
  std::uint32_t replications = 1;
  std::vector<std::string> parameters;
  std::vector<std::string> metrics;
  struct shard slice;
  /// The manifest as it would be written now (inputs, overrides, build), for `cesim merge`.
  nlohmann::json manifest;

  [[nodiscard]] nlohmann::json to_json() const;
  static sweep_identity from_json(const nlohmann::json& doc, const std::filesystem::path& file);
  [[nodiscard]] std::string header() const;  ///< the results.csv header
};

/// A results folder started in place, to fill while a command runs (sweep, sensitivity,
/// calibrate). An existing folder is refused unless `force`; with it the old folder is moved
/// aside and deleted only by done(), once the new one holds its identity. A start that fails
/// before done() (a full disk) removes the new folder and puts the old one back.
class folder_start {
 public:
  /// Throws output_error for an existing folder without `force`, one that may not be replaced
  /// (analysis::check_replaceable, `inputs`), one another process is filling, or one that
  /// cannot be created.
  folder_start(const std::filesystem::path& dir, bool force,
               std::span<const std::filesystem::path> inputs);
  ~folder_start();
  folder_start(const folder_start&) = delete;
  folder_start& operator=(const folder_start&) = delete;
  void done();
  /// For an error before done(): "'DIR' is unchanged" or "'DIR' was not created".
  [[nodiscard]] std::string left_as_it_was() const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path aside_;  ///< the replaced folder until done()
  bool done_ = false;
};

/// The identity recorded in a results folder (its sweep.json); throws input_error if there is
/// none or it cannot be read.
sweep_identity read_identity(const std::filesystem::path& dir);
/// Throws input_error ("cannot resume: ...") unless `now` may continue the run recorded as `was`.
void check_resumable(const sweep_identity& was, const sweep_identity& now,
                     const std::filesystem::path& dir);
/// Writes a folder's sweep.json.
void write_identity(const std::filesystem::path& dir, const sweep_identity& identity);

/// The lines of a file that end in a newline (a line without one was cut off by a kill).
std::vector<std::string> complete_lines_of(const std::filesystem::path& file);

/// One row of results.csv split into cells (quoted cells unquoted).
std::vector<std::string> split_csv_line(std::string_view line);

class sweep_journal {
 public:
  /// Starts a results folder (folder_start: refuses an existing one unless `force`, and never
  /// replaces one that holds the working directory or one of `inputs`).
  sweep_journal(const std::filesystem::path& dir, const sweep_identity& identity, bool force,
                std::span<const std::filesystem::path> inputs);
  /// Reopens a folder for --resume after checking that it holds this sweep (and shard); removes
  /// the temporary files a killed run left in it.
  sweep_journal(const std::filesystem::path& dir, const sweep_identity& identity);
  ~sweep_journal();
  sweep_journal(const sweep_journal&) = delete;
  sweep_journal& operator=(const sweep_journal&) = delete;

  /// The folder's record without opening it for writing (for `cesim merge`).
  struct contents {
    sweep_identity identity;
    std::map<std::size_t, std::vector<std::string>> rows;  ///< finished points' rows
  };
  static contents read(const std::filesystem::path& dir);

  [[nodiscard]] bool finished(std::size_t point) const { return rows_.count(point) != 0; }
  [[nodiscard]] std::size_t finished_count() const { return rows_.size(); }
  [[nodiscard]] const std::map<std::size_t, std::vector<std::string>>& rows() const {
    return rows_;
  }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  /// Appends a finished point durably: its rows, synced, then its number in points.done, synced.
  void record(std::size_t point, std::vector<std::string> rows);
  /// Rewrites results.csv in point order (atomically), once the slice is complete.
  void close();

 private:
  void open_for_append();

  std::filesystem::path dir_;
  std::optional<analysis::folder_lock> lock_;
  std::string header_;
  std::map<std::size_t, std::vector<std::string>> rows_;
  std::optional<durable_appender> results_;
  std::optional<durable_appender> done_;
};

}  // namespace cesim::cli
