#pragma once
/// Customers as structure-of-arrays: one contiguous array per attribute, indexed by agent id.
/// Agents of a segment are contiguous, so per-segment work is a range.
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/rng/philox.hpp"

namespace cesim {

enum class customer_status : std::uint8_t { unaware = 0, aware = 1, customer = 2, lapsed = 3 };

/// Bits of agent_state::flags.
namespace agent_flag {
inline constexpr std::uint8_t referred = 1;          ///< came through a referral
inline constexpr std::uint8_t initial_customer = 2;  ///< a customer at step 0 (retention cohort)
inline constexpr std::uint8_t churned = 4;           ///< has churned at least once
}  // namespace agent_flag

/// Who the customers are: fixed for a run.
struct population {
  std::uint32_t size = 0;
  std::vector<std::uint16_t> segment;
  std::vector<std::uint16_t> persona;
  std::array<std::vector<float>, trait_count> traits;
  std::vector<std::uint32_t>
      segment_begin;  ///< segment s holds [segment_begin[s], segment_begin[s+1])

  [[nodiscard]] const std::vector<float>& trait_values(trait t) const {
    return traits[index_of(t)];
  }
  [[nodiscard]] std::size_t segments() const {
    return segment_begin.empty() ? 0 : segment_begin.size() - 1;
  }
};

/// What changes during a run.
struct agent_state {
  std::vector<customer_status> status;
  std::vector<std::uint8_t> flags;
  std::vector<float> satisfaction;
  std::vector<float> trust;
  std::vector<float> empowerment;
  std::vector<float> attitude;
  std::vector<float> loyalty;

  void resize(std::size_t n);
  /// Becomes a copy of `other` (a shared population's initial state), on memory mapped from all
  /// cores.
  void copy_from(const agent_state& other);

  /// Calls f(array of each state...) for every per-customer array, the same array of each state
  /// together: code over all the arrays lists them here only, so none is missed.
  template <typename F, typename... States>
  static void for_each_array(F&& f, States&... states) {
    f(states.status...);
    f(states.flags...);
    f(states.satisfaction...);
    f(states.trust...);
    f(states.empowerment...);
    f(states.attitude...);
    f(states.loyalty...);
  }
};

struct synthesized_population {
  population people;
  agent_state initial;

  [[nodiscard]] std::uint64_t bytes() const;  ///< of its arrays
};

/// Draws every customer's segment, persona, traits (through the segment's Gaussian copula where
/// one is given) and initial state. Deterministic for a key, whatever the thread count. Reads
/// nothing else of a scenario, so build_cache can share a population between runs whose
/// arguments here are equal.
synthesized_population synthesize_population(std::uint64_t size, std::span<const segment> segments,
                                             std::span<const persona> personas, rng::key key);
inline synthesized_population synthesize_population(const scenario& s, rng::key key) {
  return synthesize_population(s.population, s.segments, s.personas, key);
}

/// Beta quantile tables for synthesis, shared by all runs of the process. A table depends only on
/// (alpha, beta) and costs tens of milliseconds (8,193 evaluations of the incomplete beta
/// function), and every replication and every point of a sweep would otherwise build the same
/// ones again. At most `capacity` tables (64 KB each) are kept, so a long calibration that varies
/// the parameters cannot grow without bound; the oldest go first, and a run still holding one
/// keeps it alive. Two runs asking for a missing table at once both build it (outside the lock,
/// so a TBB worker waiting here never blocks a build it might be running) and get equal tables.
class beta_table_cache {
 public:
  static constexpr std::size_t cells = 8192;
  using table = std::vector<double>;  ///< the quantile at u = k / cells, k = 0 .. cells

  explicit beta_table_cache(std::size_t capacity) : capacity_(capacity) {}
  [[nodiscard]] std::shared_ptr<const table> get(double alpha, double beta);
  [[nodiscard]] std::size_t size() const;

  /// The process's cache (256 tables, 16 MB at most).
  static beta_table_cache& shared();

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::pair<double, double>, std::shared_ptr<const table>> tables_;
  std::deque<std::pair<double, double>> age_;
};

/// Bytes per customer for population and state (used for memory estimates).
std::size_t population_bytes_per_agent();

}  // namespace cesim
