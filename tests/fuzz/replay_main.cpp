// Runs a fuzz target once on each input file, without libFuzzer, so that every build (GCC,
// sanitizers) checks the seed corpus and the regressions. Usage:
//   fuzz_<target>_replay PATH...   (files, or folders searched recursively)
// A finding aborts, as under libFuzzer; the last "replay:" line names the input. So does a peak
// memory above libFuzzer's -rss_limit_mb of scripts/fuzz (a hang is left to the ctest timeout).
// A path that does not exist fails the run, so a renamed corpus folder is noticed.
#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;

/// scripts/fuzz runs libFuzzer with -rss_limit_mb=2048.
constexpr long max_rss_kib = 2048L * 1024;

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

std::vector<std::uint8_t> read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PATH... (input files or folders)\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int k = 1; k < argc; ++k) {
    const fs::path path(argv[k]);
    if (fs::is_regular_file(path)) {
      inputs.push_back(path);
    } else if (fs::is_directory(path)) {
      for (const auto& entry : fs::recursive_directory_iterator(path))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    } else {
      std::fprintf(stderr, "replay: %s: no such file or folder\n", argv[k]);
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());  // a stable order makes failures reproducible
  for (const auto& file : inputs) {
    std::fprintf(stderr, "replay: %s\n", file.c_str());
    std::fflush(stderr);
    const std::vector<std::uint8_t> bytes = read_bytes(file);
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    if (peak_rss_kib() > max_rss_kib) {
      std::fprintf(stderr, "replay: FINDING: %s took the peak memory to %ld MiB (limit %ld MiB)\n",
                   file.c_str(), peak_rss_kib() / 1024, max_rss_kib / 1024);
      return 1;
    }
  }
  std::fprintf(stderr, "replay: %zu inputs, no findings\n", inputs.size());
  return 0;
}
