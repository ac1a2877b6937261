#pragma once
// Messages on stderr for people at a terminal and for batch logs (Slurm, cron): plain text, or
// one JSON object per line that log collectors can parse.
#include <nlohmann/json.hpp>
#include <string_view>

namespace cesim::cli {

enum class log_format { text, json };

struct log_settings {
  /// --quiet: only errors.
  bool quiet = false;
  /// --log-format text|json.
  log_format format = log_format::text;
  /// stderr is a terminal; tests can force it.
  bool terminal = false;
  /// Seconds between plain progress lines when stderr is not a terminal (and in JSON).
  double interval_seconds = 30;
};

/// Process-wide settings, set once by main after parsing flags (before any thread starts). Starts
/// with `terminal` from isatty(stderr) and `interval_seconds` from CESIM_PROGRESS_INTERVAL
/// (seconds, > 0, may be fractional) when that is set and valid.
log_settings& logging();

/// "text" or "json"; throws std::invalid_argument otherwise.
log_format parse_log_format(std::string_view name);

/// One message on stderr, flushed. Text: "level: message", or just the message for level
/// "info". JSON: {"time": UTC with milliseconds, "level", "event", "message", then `fields`}.
/// Quiet drops everything but errors. Thread-safe.
void log_message(std::string_view level, std::string_view event, std::string_view message,
                 const nlohmann::json& fields = nlohmann::json::object());

/// The transient status line of a terminal ("\r" redrawn, no newline); log_message clears it
/// first so messages never run into it. For progress_meter; thread-safe.
void show_status_line(std::string_view line);
void clear_status_line();

/// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace cesim::cli
