#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace cesim::cli {

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

progress_meter::progress_meter(std::uint64_t total_units, std::string label, bool enabled)
    : total_(total_units == 0 ? 1 : total_units), label_(std::move(label)), enabled_(enabled) {}

progress_meter::~progress_meter() {
  finish();
}

void progress_meter::advance(std::uint64_t units) {
  const auto done = done_.fetch_add(units) + units;
  if (!enabled_) return;
  std::unique_lock lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
  last_draw_ = now;
  draw(done);
}

void progress_meter::draw(std::uint64_t done) {
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double left = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  constexpr int width = 30;
  const int filled = static_cast<int>(fraction * width);
  fmt::print(stderr, "\r{} [{}{}] {:3.0f}%  {:.0f}s elapsed, ~{:.0f}s left ", label_,
             std::string(static_cast<std::size_t>(filled), '#'),
             std::string(static_cast<std::size_t>(width - filled), '.'), 100 * fraction, elapsed,
             left);
  std::fflush(stderr);
}

void progress_meter::finish() {
  if (!enabled_) return;
  std::lock_guard lock(draw_mutex_);
  if (finished_) return;
  finished_ = true;
  fmt::print(stderr, "\r{}\r", std::string(80, ' '));
  std::fflush(stderr);
}

}  // namespace cesim::cli
