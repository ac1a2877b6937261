#include "log.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>

namespace cesim::cli {

namespace {

log_settings detect_settings() {
  log_settings s;
  s.terminal = stderr_is_terminal();
  if (const char* text = std::getenv("CESIM_PROGRESS_INTERVAL")) {
    char* end = nullptr;
    const double seconds = std::strtod(text, &end);
    // A malformed value keeps the default rather than failing a long batch job at the start.
    if (end != text && *end == '\0' && std::isfinite(seconds) && seconds > 0)
      s.interval_seconds = seconds;
  }
  return s;
}

/// Serialises every write to stderr, so lines from worker threads never interleave.
std::mutex& stderr_mutex() {
  static std::mutex m;
  return m;
}

/// Width of the status line on screen; 0 when none. Guarded by stderr_mutex.
std::size_t status_width = 0;

void clear_status_locked() {
  if (status_width == 0) return;
  fmt::print(stderr, "\r{:{}}\r", "", status_width);
  status_width = 0;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", stamp, ms);
}

}  // namespace

log_settings& logging() {
  static log_settings settings = detect_settings();
  return settings;
}

log_format parse_log_format(std::string_view name) {
  if (name == "text") return log_format::text;
  if (name == "json") return log_format::json;
  throw std::invalid_argument(fmt::format("unknown log format '{}' (text or json)", name));
}

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void log_message(std::string_view level, std::string_view event, std::string_view message,
                 const nlohmann::json& fields) {
  const auto& settings = logging();
  if (settings.quiet && level != "error") return;
  std::string line;
  if (settings.format == log_format::json) {
    // Written by hand so time, level, event and message come first, where people look.
    const auto text = [](std::string_view v) {
      // Replace invalid UTF-8 (a file name, say) instead of throwing from a log call.
      return nlohmann::json(std::string(v))
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    line = fmt::format(R"({{"time":{},"level":{},"event":{},"message":{})", text(utc_now()),
                       text(level), text(event), text(message));
    if (fields.is_object())
      for (const auto& [key, value] : fields.items()) {
        if (key == "time" || key == "level" || key == "event" || key == "message") continue;
        line += fmt::format(",{}:{}", text(key),
                            value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    line += "}\n";
  } else {
    line = level == "info" ? fmt::format("{}\n", message) : fmt::format("{}: {}\n", level, message);
  }
  std::lock_guard lock(stderr_mutex());
  clear_status_locked();
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void show_status_line(std::string_view line) {
  std::lock_guard lock(stderr_mutex());
  // Pad over what is left of a longer previous line.
  const std::size_t pad = status_width > line.size() ? status_width - line.size() : 0;
  fmt::print(stderr, "\r{}{:{}}", line, "", pad);
  std::fflush(stderr);
  status_width = line.size();
}

void clear_status_line() {
  std::lock_guard lock(stderr_mutex());
  clear_status_locked();
  std::fflush(stderr);
}

}  // namespace cesim::cli
