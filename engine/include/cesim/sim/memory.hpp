#pragma once
/// Memory a run will need, estimated before anything is allocated, and the limit it is checked
/// against. A scenario that cannot fit is refused with the estimate and the limit instead of
/// being killed by the kernel half-way (or thrashing a shared compute server).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cesim/config/scenario.hpp"

namespace cesim {

/// Peak bytes of one replication, by what holds them.
struct memory_estimate {
  std::uint64_t customers = 0;  ///< population, state and per-customer working arrays
  std::uint64_t network = 0;    ///< the larger of the network under construction and built
  std::uint64_t overhead = 0;   ///< results, block tallies, libraries and thread stacks
  std::uint64_t expected_edges = 0;
  std::uint64_t network_built = 0;  ///< the finished network alone (what build_cache keeps)
  /// More for a run on a population shared through build_cache: the kept population's initial
  /// state, beside the run's own copy of it.
  std::uint64_t shared_state = 0;
  [[nodiscard]] std::uint64_t total() const { return customers + network + overhead; }
};

/// Computed from the sizes of the engine's arrays; docs/reliability.md compares it with the
/// peak resident memory measured for the benchmark scenarios.
memory_estimate estimate_memory(const scenario& s);

struct memory_limit {
  std::uint64_t bytes = 0;  ///< 0: no limit
  std::string source;       ///< where it came from, for messages
};

/// The limit runs are checked against: the one set by set_memory_limit(), else
/// CESIM_MEMORY_LIMIT, else what the machine offers (the cgroup limit or the memory available
/// when first asked, whichever is smaller). Throws resource_error if CESIM_MEMORY_LIMIT is
/// not a size.
memory_limit current_memory_limit();
void set_memory_limit(memory_limit limit);

/// "8G", "512MB", "1.5GiB", "2000000000" (bytes); "none" or "0" is no limit. Units are powers of
/// 1024. Empty when the text is not a size.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);
/// "1.4 GB" (powers of 1024, as free(1) and top show them).
std::string format_bytes(std::uint64_t bytes);

/// Throws resource_error naming the scenario file, the estimate and the limit when one
/// replication of `s` would not fit.
void require_memory(const scenario& s);
/// How many replications of `s` fit side by side: `wanted` if all do, else fewer, at least 1.
/// `sharing`: the runs share populations through a build_cache (each counts shared_state more).
std::uint32_t replications_that_fit(const scenario& s, std::uint32_t wanted, bool sharing = false);
/// Populations and networks of `s` that may be kept for sharing (build_cache) next to `runs` runs
/// in flight.
struct shared_room {
  std::uint32_t count = 1;             ///< at most this many populations, and as many networks
  std::uint64_t network_bytes = 0;     ///< networks no run holds, together at most this many bytes
  std::uint64_t population_bytes = 0;  ///< populations no run holds, likewise
};
/// With a limit: `wanted` of each, the unheld ones in the bytes this process's share of the
/// limit (see set_processes_per_machine) leaves after the runs' estimates, split between
/// populations and networks as one of each of `s` would take it (the cache measures what it
/// keeps, so larger networks of later sweep points count as what they are). Without a limit: at
/// most `kept_without_limit` of each, since nothing else bounds them.
inline constexpr std::uint32_t kept_without_limit = 16;
shared_room room_for_shared_builds(const scenario& s, std::uint32_t wanted, std::uint32_t runs);

/// How many processes of one command run on this machine (MPI ranks on one node; 1 by default).
/// What they keep for sharing between runs comes out of an equal share of the limit each, since
/// every one of them sees the whole machine's memory as available.
void set_processes_per_machine(std::uint32_t processes);
std::uint32_t processes_per_machine();

}  // namespace cesim
