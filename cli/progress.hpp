#pragma once
// Progress of a long run in the form its reader needs: a redrawn bar on a terminal, a plain line
// every interval_seconds in a batch log, JSON events with --log-format json, nothing with --quiet.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "log.hpp"

namespace cesim::cli {

/// "45s", "3m12s", "2h05m".
std::string format_duration(double seconds);

class progress_meter {
 public:
  /// The mode comes from logging(), read here.
  progress_meter(std::uint64_t total_units, std::string label, std::string unit_name = "steps");
  /// Clears a terminal line; prints no "done" line, as the work may have failed.
  ~progress_meter();
  progress_meter(const progress_meter&) = delete;
  progress_meter& operator=(const progress_meter&) = delete;

  /// Thread-safe and cheap (an atomic add and a try_lock), for every simulated step.
  void advance(std::uint64_t units = 1);
  /// Units finished before this process (resumed work): they count as done, but the time left
  /// is estimated from the speed of this process alone.
  void set_done(std::uint64_t units);
  /// Clears a terminal line, or reports "done in" where periodic lines were printed.
  void finish();

 private:
  enum class mode { silent, bar, lines, json };
  struct snapshot {
    std::uint64_t done = 0;
    double fraction = 0;
    double elapsed = 0;
    double eta = -1;  // negative: unknown
  };
  snapshot measure() const;
  void report(const snapshot& s);

  std::uint64_t total_;
  std::string label_;
  std::string unit_name_;
  mode mode_;
  std::chrono::steady_clock::duration interval_;
  std::atomic<std::uint64_t> advanced_{0};  // units done by this process
  std::atomic<std::uint64_t> resumed_{0};   // units done before it
  std::mutex report_mutex_;                 // guards the members below
  bool finished_ = false;
  bool reported_ = false;  // a periodic line or event was printed
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_report_ = start_;
};

}  // namespace cesim::cli
