#pragma once
/// Work is split into fixed blocks of agents, independent of the thread count: per-block partial
/// results combined in block order make every sum bit-identical for 1, 2 or 64 threads.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <cstdint>

namespace cesim {

inline constexpr std::uint32_t block_size = 4096;

struct agent_range {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

inline std::size_t block_count(std::uint64_t agents) {
  return static_cast<std::size_t>((agents + block_size - 1) / block_size);
}

inline agent_range block_range(std::size_t block, std::uint64_t agents) {
  const auto begin = static_cast<std::uint32_t>(block * block_size);
  const auto end = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(agents, std::uint64_t{begin} + block_size));
  return {begin, end};
}

/// Calls fn(block_index, agent_range) for every block, in parallel.
template <typename Fn>
void for_each_block(std::uint64_t agents, Fn&& fn) {
  const std::size_t blocks = block_count(agents);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, blocks, 1),
      [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t b = r.begin(); b != r.end(); ++b) fn(b, block_range(b, agents));
      },
      tbb::simple_partitioner());
}

}  // namespace cesim
