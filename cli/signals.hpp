#pragma once
// A clean stop on SIGINT or SIGTERM: long commands finish the point in hand, keep everything
// finished, and say how to resume. A second signal ends the process at once.
#include <stdexcept>

namespace cesim::cli {

/// Thrown where a stop leaves nothing worth keeping; main reports it and exits 128 + signal.
struct stopped_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Throws stopped_error (saying `what_is_kept`) if a stop was requested.
void throw_if_stopped(const char* what_is_kept);

/// Installs the handlers (once).
void install_stop_handlers();
/// The signal that asked for a stop, or 0.
int stop_signal();
/// The conventional exit status of a process stopped by that signal: 128 + signal.
int stopped_exit_code();

}  // namespace cesim::cli
