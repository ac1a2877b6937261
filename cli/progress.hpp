#pragma once
// A progress line on a terminal; silent when stderr is a pipe or file, so batch logs stay clean.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace cesim::cli {

class progress_meter {
 public:
  progress_meter(std::uint64_t total_units, std::string label, bool enabled);
  ~progress_meter();
  /// Thread-safe; redraws at most ten times a second.
  void advance(std::uint64_t units = 1);
  /// Clears the line.
  void finish();

 private:
  void draw(std::uint64_t done);

  std::uint64_t total_;
  std::string label_;
  bool enabled_;
  bool finished_ = false;
  std::atomic<std::uint64_t> done_{0};
  std::mutex draw_mutex_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

/// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace cesim::cli
