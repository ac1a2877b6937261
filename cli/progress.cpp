#include "progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace cesim::cli {

namespace {

/// A terminal line is redrawn at most ten times a second: faster only costs time.
constexpr auto redraw_interval = std::chrono::milliseconds(100);

double round_ms(double seconds) {
  return std::round(seconds * 1000) / 1000;
}

}  // namespace

std::string format_duration(double seconds) {
  const long long s = std::isfinite(seconds) && seconds > 0 ? std::llround(seconds) : 0;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

progress_meter::progress_meter(std::uint64_t total_units, std::string label, std::string unit_name)
    : total_(std::max<std::uint64_t>(total_units, 1)),
      label_(std::move(label)),
      unit_name_(std::move(unit_name)) {
  const auto& settings = logging();
  if (settings.quiet)
    mode_ = mode::silent;
  else if (settings.format == log_format::json)
    mode_ = mode::json;
  else
    mode_ = settings.terminal ? mode::bar : mode::lines;
  // Clamped so that a huge setting cannot overflow the clock's integer ticks.
  interval_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(std::clamp(settings.interval_seconds, 0.0, 1e7)));
}

progress_meter::~progress_meter() {
  std::lock_guard lock(report_mutex_);
  if (!finished_ && mode_ == mode::bar) clear_status_line();
  finished_ = true;
}

void progress_meter::set_done(std::uint64_t units) {
  resumed_.store(units, std::memory_order_relaxed);
}

void progress_meter::advance(std::uint64_t units) {
  advanced_.fetch_add(units, std::memory_order_relaxed);
  if (mode_ == mode::silent) return;
  // A worker that finds another one reporting just carries on.
  std::unique_lock lock(report_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (mode_ == mode::bar) {
    if (reported_ && now - last_report_ < redraw_interval) return;
  } else if (now - last_report_ < interval_) {
    return;
  }
  last_report_ = now;
  report(measure());
}

progress_meter::snapshot progress_meter::measure() const {
  snapshot s;
  const auto here = advanced_.load(std::memory_order_relaxed);
  s.done = std::min(total_, here + resumed_.load(std::memory_order_relaxed));
  s.fraction = static_cast<double>(s.done) / static_cast<double>(total_);
  s.elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // Only this process's units give the speed: resumed units took no time here.
  if (s.done == total_)
    s.eta = 0;
  else if (here > 0 && s.elapsed > 0)
    s.eta = static_cast<double>(total_ - s.done) * s.elapsed / static_cast<double>(here);
  return s;
}

void progress_meter::report(const snapshot& s) {
  reported_ = true;
  // Rounded down, so 100% means done.
  const int percent = static_cast<int>(s.fraction * 100);
  const std::string left = s.eta < 0 ? "" : fmt::format(", ~{} left", format_duration(s.eta));
  if (mode_ == mode::bar) {
    constexpr int width = 30;
    const int filled = static_cast<int>(s.fraction * width);
    show_status_line(fmt::format("{} [{}{}] {:3}%  {} elapsed{} ", label_,
                                 std::string(static_cast<std::size_t>(filled), '#'),
                                 std::string(static_cast<std::size_t>(width - filled), '.'),
                                 percent, format_duration(s.elapsed), left));
    return;
  }
  const std::string text = fmt::format("{}: {}% ({}/{} {}), {} elapsed{}", label_, percent, s.done,
                                       total_, unit_name_, format_duration(s.elapsed), left);
  if (mode_ == mode::lines) {
    log_message("info", "progress", "progress: " + text);
    return;
  }
  log_message(
      "info", "progress", text,
      {{"label", label_},
       {"unit", unit_name_},
       {"done", s.done},
       {"total", total_},
       {"fraction", s.fraction},
       {"elapsed_seconds", round_ms(s.elapsed)},
       {"eta_seconds", s.eta < 0 ? nlohmann::json(nullptr) : nlohmann::json(round_ms(s.eta))}});
}

void progress_meter::finish() {
  if (mode_ == mode::silent) return;
  std::lock_guard lock(report_mutex_);
  if (finished_) return;
  finished_ = true;
  if (mode_ == mode::bar) {
    clear_status_line();
    return;
  }
  // A run shorter than one interval leaves no trace in the log, so needs no closing line.
  if (!reported_) return;
  const auto s = measure();
  const std::string text = fmt::format("{}: done in {}", label_, format_duration(s.elapsed));
  if (mode_ == mode::lines)
    log_message("info", "progress_done", "progress: " + text);
  else
    log_message("info", "progress_done", text,
                {{"label", label_},
                 {"unit", unit_name_},
                 {"done", s.done},
                 {"total", total_},
                 {"elapsed_seconds", round_ms(s.elapsed)}});
}

}  // namespace cesim::cli
