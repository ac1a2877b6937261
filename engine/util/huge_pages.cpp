#include "cesim/util/huge_pages.hpp"

#include <sys/mman.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>

namespace cesim {

void advise_huge_pages(void* data, std::size_t bytes) noexcept {
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  if (data == nullptr || bytes < 2 * huge) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
  // Refused where transparent huge pages are off: the small pages work the same.
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

void prefault_in_parallel(void* data, std::size_t bytes) noexcept {
  constexpr std::uintptr_t page = 4096;
  constexpr std::uintptr_t chunk = std::uintptr_t{2} << 20;  // whole huge pages per task
  constexpr std::size_t worth_it = std::size_t{16} << 20;
  if (data == nullptr || bytes < worth_it) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(page - 1);
  if (end <= begin) return;
  // Chunk boundaries on 2 MB boundaries, so that no huge page is shared by two tasks.
  const std::uintptr_t first_chunk = begin & ~(chunk - 1);
  const std::size_t chunks = (end - first_chunk + chunk - 1) / chunk;
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const std::uintptr_t from = std::max(begin, first_chunk + c * chunk);
    const std::uintptr_t to = std::min<std::uintptr_t>(end, first_chunk + (c + 1) * chunk);
    // Refused by kernels before 5.14: the memory is then faulted by its first write instead.
    (void)::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
  });
}

}  // namespace cesim
