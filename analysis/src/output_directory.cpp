#include "cesim/analysis/output_directory.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "cesim/error.hpp"

namespace cesim::analysis {
namespace fs = std::filesystem;

namespace {

/// This host's name as it may appear in a file name.
const std::string& host_label() {
  static const std::string label = [] {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0')
      return std::string("localhost");
    std::string safe;
    for (const char* c = name.data(); *c != '\0'; ++c) {
      const bool plain =
          std::isalnum(static_cast<unsigned char>(*c)) != 0 || *c == '.' || *c == '-' || *c == '_';
      safe += plain ? *c : '_';
    }
    return safe;
  }();
  return label;
}

struct temporary_owner {
  std::string host;
  long long pid = 0;
};

/// The host and process of a temporary name, or nothing if `name` is not one.
std::optional<temporary_owner> owner_of(std::string_view name) {
  if (name.size() < 2 || name.front() != '.') return std::nullopt;
  for (const std::string_view kind : {".partial-", ".old-"}) {
    const auto at = name.rfind(kind);
    if (at == std::string_view::npos || at < 2) continue;
    const auto rest = name.substr(at + kind.size());
    const auto dash = rest.rfind('-');
    if (dash == std::string_view::npos || dash == 0) continue;
    const auto digits = rest.substr(dash + 1);
    long long pid = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) continue;
    return temporary_owner{std::string(rest.substr(0, dash)), pid};
  }
  return std::nullopt;
}

bool process_is_gone(long long pid) {
  if (pid > INT_MAX) return true;  // no process ever had this id
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

/// Writes `content` to a new file at `path`, synced; returns 0 or the errno of the failure.
int write_and_sync(const fs::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return err;
    }
    written += static_cast<std::size_t>(n);
  }
  // A full disk may only show at sync or close; both are checked.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    return err;
  }
  return ::close(fd) == 0 ? 0 : errno;
}

/// rename() that fails with EEXIST instead of replacing `to`: plain rename() would silently
/// replace an empty folder that another process just created under the same name.
int rename_no_replace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // A file system without RENAME_NOREPLACE: look, then rename (a narrow race remains).
  std::error_code ec;
  if (fs::exists(fs::symlink_status(to, ec))) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

/// Whether `outer` is `inner` or one of its ancestors, after resolving both.
bool holds(const fs::path& outer, const fs::path& inner) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(fs::absolute(outer, ec), ec);
  if (ec) return false;
  const fs::path b = fs::weakly_canonical(fs::absolute(inner, ec), ec);
  if (ec) return false;
  return std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first == a.end();
}

}  // namespace

std::string temporary_name(const fs::path& final_path, std::string_view kind) {
  return fmt::format(".{}.{}-{}-{}", final_path.filename().string(), kind, host_label(),
                     ::getpid());
}

std::size_t remove_stale_temporaries(const fs::path& folder) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, ec), end;
       !ec && it != end; it.increment(ec)) {
    const auto owner = owner_of(it->path().filename().string());
    if (!owner || owner->host != host_label() || !process_is_gone(owner->pid)) continue;
    std::error_code ignored;
    if (fs::remove_all(it->path(), ignored) > 0 && !ignored) ++removed;
  }
  return removed;
}

void sync_directory(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

folder_lock::folder_lock(const fs::path& dir) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) return;  // a missing folder is reported by whoever writes to it
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const int err = errno;
  ::close(fd_);
  fd_ = -1;
  if (err == EWOULDBLOCK)
    throw output_error(
        fmt::format("'{}' is being written by another cesim process; wait for it "
                    "to end, or choose another --out",
                    dir.string()));
}

folder_lock::~folder_lock() {
  if (fd_ >= 0) ::close(fd_);
}

void check_output_name(const fs::path& path) {
  if (path.empty()) throw output_error("--out is empty: name the results folder");
}

void check_replaceable(const fs::path& path, std::span<const fs::path> inputs) {
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    throw output_error(fmt::format(
        "{} exists and is not a folder; choose another --out (--force replaces only a folder)",
        path.string()));
  const auto refuse = [&](const std::string& what) {
    throw output_error(fmt::format(
        "{} {}; not replacing it, even with --force: choose another --out", path.string(), what));
  };
  const fs::path working = fs::current_path(ec);
  if (!ec && holds(path, working)) refuse("holds the working directory");
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0' && holds(path, home)) refuse("holds the home directory");
  for (const auto& input : inputs) {
    if (holds(input, path)) refuse("is an input of this command");
    if (holds(path, input))
      refuse(fmt::format("holds {}, an input of this command", input.string()));
  }
}

output_directory::output_directory(fs::path final_path, bool force,
                                   std::span<const fs::path> inputs)
    : force_(force) {
  check_output_name(final_path);
  final_ = final_path.lexically_normal();
  if (final_.filename().empty()) final_ = final_.parent_path();  // "out/" names "out"
  std::error_code ec;
  existed_ = fs::exists(fs::symlink_status(final_, ec));
  if (existed_) {
    if (!force_ && fs::is_directory(final_, ec))
      throw output_error(fmt::format(
          "output directory {} already exists; choose another --out or pass --force to replace it",
          final_.string()));
    check_replaceable(final_, inputs);
    const folder_lock in_use(final_);  // refused now rather than after the runs
  }
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  if (fs::exists(parent, ec) && !fs::is_directory(parent, ec))
    throw output_error(fmt::format("cannot create {}: {} is a file, not a folder", final_.string(),
                                   parent.string()));
  fs::create_directories(parent, ec);
  if (ec) throw output_error(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  remove_stale_temporaries(parent);
  temp_ = parent / temporary_name(final_, "partial");
  fs::remove_all(temp_, ec);
  if (!fs::create_directory(temp_, ec) || ec)
    throw output_error(fmt::format("cannot create a directory in {}: {}", parent.string(),
                                   ec ? ec.message() : std::string("unknown error")));
}

output_directory::~output_directory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void output_directory::write(std::string_view name, std::string_view content) {
  if (const int err = write_and_sync(temp_ / name, content); err != 0)
    throw output_error(fmt::format("cannot write {}: {}; {}", (final_ / name).string(),
                                   std::strerror(err),
                                   existed_ ? fmt::format("{} is unchanged", final_.string())
                                            : fmt::format("{} was not created", final_.string())));
  files_.emplace_back(name);
}

void output_directory::commit(std::span<const fs::path> inputs) {
  sync_directory(temp_);
  const fs::path parent = temp_.parent_path();
  std::error_code ec;
  // With --force an existing folder is swapped for the new one in one step (RENAME_EXCHANGE),
  // so the final name never disappears; the old folder is then deleted.
  const auto replace = [&] {
    check_replaceable(final_, inputs);
    const folder_lock in_use(final_);  // a folder another process is filling stays
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
      committed_ = true;
      fs::remove_all(temp_, ec);  // now the old folder
      sync_directory(parent);
      return;
    }
    if (const int err = errno; err != EINVAL && err != ENOSYS)
      throw output_error(fmt::format("cannot replace {}: {}; it is unchanged", final_.string(),
                                     std::strerror(err)));
    // A file system that cannot swap: the old folder aside, the new one in, the old deleted.
    const fs::path old = parent / temporary_name(final_, "old");
    fs::remove_all(old, ec);
    fs::rename(final_, old, ec);
    if (ec)
      throw output_error(
          fmt::format("cannot replace {}: {}; it is unchanged", final_.string(), ec.message()));
    fs::rename(temp_, final_, ec);
    if (ec) {
      std::error_code undo;
      fs::rename(old, final_, undo);
      throw output_error(
          fmt::format("cannot move results into {}: {}", final_.string(), ec.message()));
    }
    committed_ = true;
    fs::remove_all(old, ec);
    sync_directory(parent);
  };

  if (force_ && fs::exists(fs::symlink_status(final_, ec))) return replace();
  const int err = rename_no_replace(temp_, final_);
  if (err == 0) {
    committed_ = true;
    sync_directory(parent);
    return;
  }
  if (err != EEXIST && err != ENOTEMPTY)
    throw output_error(
        fmt::format("cannot move results into {}: {}", final_.string(), std::strerror(err)));
  if (force_) return replace();
  // Another process took the name while this one ran (the same --out, or the same default
  // name in the same second): its folder is kept, and so are these finished results.
  for (int k = 2; k < 1000; ++k) {
    const fs::path other(fmt::format("{}-{}", final_.string(), k));
    const int moved = rename_no_replace(temp_, other);
    if (moved == EEXIST || moved == ENOTEMPTY) continue;
    if (moved != 0) break;
    committed_ = true;
    sync_directory(parent);
    const fs::path taken = std::exchange(final_, other);
    throw output_error(fmt::format(
        "{} appeared while this command ran (another process writing there?); not replacing "
        "it: the results are in {}",
        taken.string(), other.string()));
  }
  throw output_error(fmt::format(
      "{} appeared while this command ran (another process writing there?); not replacing it",
      final_.string()));
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path temp = parent / temporary_name(path, "partial");
  std::error_code ec;
  if (const int err = write_and_sync(temp, content); err != 0) {
    fs::remove(temp, ec);
    throw output_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
  }
  fs::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw output_error(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
  sync_directory(parent);
}

}  // namespace cesim::analysis
