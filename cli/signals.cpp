#include "signals.hpp"

#include <fmt/format.h>

#include <atomic>
#include <csignal>

namespace cesim::cli {

namespace {

std::atomic<int> requested{0};

extern "C" void on_stop_signal(int signal) {
  if (requested.exchange(signal) != 0) {
    // Asked twice: the user wants out now.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

}  // namespace

void install_stop_handlers() {
  static_assert(std::atomic<int>::is_always_lock_free, "signal handlers need a lock-free flag");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void throw_if_stopped(const char* what_is_kept) {
  if (const int signal = requested.load(); signal != 0)
    throw stopped_error(fmt::format("stopped by signal {}; {}", signal, what_is_kept));
}

int stop_signal() {
  return requested.load();
}

int stopped_exit_code() {
  return 128 + requested.load();
}

}  // namespace cesim::cli
