#include "cesim/analysis/output_directory.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cesim/error.hpp"

namespace cesim::analysis {
namespace fs = std::filesystem;

namespace {

std::string temp_name(const fs::path& final_path, std::string_view kind) {
  return fmt::format(".{}.{}-{}", final_path.filename().string(), kind, ::getpid());
}

void write_and_sync(const fs::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw output_error(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw output_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
    }
    written += static_cast<std::size_t>(n);
  }
  // A full disk may only show at sync or close; both are checked.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    throw output_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
  }
  if (::close(fd) != 0)
    throw output_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
}

}  // namespace

output_directory::output_directory(fs::path final_path, bool force)
    : final_(std::move(final_path)), force_(force) {
  if (final_.filename().empty()) final_ = final_.parent_path();
  std::error_code ec;
  if (fs::exists(final_, ec) && !force_)
    throw output_error(fmt::format(
        "output directory {} already exists; choose another --out or pass --force to replace it",
        final_.string()));
  const fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  if (ec) throw output_error(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  temp_ = parent / temp_name(final_, "partial");
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
  write_and_sync(temp_ / name, content);
  files_.emplace_back(name);
}

void output_directory::commit() {
  std::error_code ec;
  fs::path old;
  if (fs::exists(final_, ec)) {
    if (!force_)
      throw output_error(fmt::format("output directory {} appeared while running; not replacing it",
                                     final_.string()));
    old = final_.parent_path() / temp_name(final_, "old");
    fs::remove_all(old, ec);
    fs::rename(final_, old, ec);
    if (ec) throw output_error(fmt::format("cannot replace {}: {}", final_.string(), ec.message()));
  }
  fs::rename(temp_, final_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, final_, ec);
    throw output_error(
        fmt::format("cannot move results into {}: {}", final_.string(), ec.message()));
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path temp = parent / temp_name(path, "partial");
  try {
    write_and_sync(temp, content);
  } catch (...) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw output_error(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
}

}  // namespace cesim::analysis
