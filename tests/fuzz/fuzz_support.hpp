#pragma once
// Shared by the fuzz targets: the file an input is written to (the loaders read paths, as the
// CLI does) and the checks that turn a wrong outcome into a crash, which is what libFuzzer and
// the replay tests detect.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "cesim/error.hpp"

/// The entry point each target defines: libFuzzer calls it, and so does replay_main.cpp.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace cesim::fuzz {

/// Reports a finding and aborts: libFuzzer saves the input as a crash, the replay test fails.
[[noreturn]] inline void finding(std::string_view what) {
  std::fprintf(stderr, "\nFUZZ FINDING: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

/// A file of this process that holds the current input, in a folder of its own (removed at a
/// normal exit, not after a crash) under $CESIM_FUZZ_TMPDIR (scripts/fuzz removes that), else
/// in /dev/shm where there is one, so that writing it costs no disk I/O.
class input_file {
 public:
  explicit input_file(const std::string& name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const char* chosen = std::getenv("CESIM_FUZZ_TMPDIR");
    const fs::path base = chosen != nullptr && *chosen != '\0' ? fs::path(chosen)
                          : fs::is_directory("/dev/shm", ec)   ? fs::path("/dev/shm")
                                                               : fs::temp_directory_path();
    dir_ = base / fmt::format("cesim-fuzz-{}", ::getpid());
    fs::create_directories(dir_);
    path_ = (dir_ / name).string();
  }
  ~input_file() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  input_file(const input_file&) = delete;
  input_file& operator=(const input_file&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  void write(const std::uint8_t* data, std::size_t size) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) finding(fmt::format("cannot write the input to {}", path_));
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

/// An input_error is the expected answer to bad input: it must say what is wrong and where.
inline void check_input_error(const input_error& e, std::string_view context) {
  if (std::string_view(e.what()).empty() || e.problems().empty())
    finding(fmt::format("{}: input_error without a message", context));
  for (const diagnostic& problem : e.problems()) {
    if (problem.message.empty())
      finding(fmt::format("{}: a problem without a message: '{}'", context, problem.to_string()));
    if (!problem.where.file || problem.where.file->empty())
      finding(fmt::format("{}: a problem that names no file: '{}'", context, problem.to_string()));
  }
}

}  // namespace cesim::fuzz
