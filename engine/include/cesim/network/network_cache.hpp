#pragma once
/// Networks shared between runs whose generators would draw the same ties: the arms of one
/// replication in `compare` or `prioritize`, and the points of a sweep, usually differ in
/// campaigns, touchpoints or word of mouth only, and building the network again for each is most
/// of a run's fixed cost.
#include <tbb/collaborative_call_once.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"
#include "cesim/rng/philox.hpp"

namespace cesim {

class network_cache {
 public:
  /// Keeps at most `keep` networks (at least one); the networks no run holds take at most
  /// `byte_budget` bytes together (social_network::bytes; held ones are paid for by their runs).
  /// When a request misses, networks no run holds that were made for the same replication (so
  /// from other inputs) or another seed go first; then, while the cache is full, networks no run
  /// holds, the least recently asked for first, and then the least recently asked for of all
  /// (the runs holding one keep it alive, only sharing ends); then unheld networks over the
  /// budget.
  ///
  /// `compare` asks for the arms of one replication one after another and keeps as many networks
  /// as runs in flight; a sweep asks for replication 0, 1, ... of one point, then of the next
  /// point, and keeps one network per replication in the memory its runs leave
  /// (analysis/src/sweep_runner.cpp).
  explicit network_cache(std::size_t keep,
                         std::uint64_t byte_budget = std::numeric_limits<std::uint64_t>::max());

  /// The network build_network(s, people, key) returns, built once for equal generator inputs
  /// (the network section, the persona degree weights, every customer's persona and segment, the
  /// key). Runs asking while it is being built wait for it and lend their thread to the build
  /// (tbb::collaborative_call_once) instead of building it a second time. Edge lists and
  /// well-mixed networks are not kept: a file is read again, and a well-mixed network stores
  /// nothing.
  [[nodiscard]] std::shared_ptr<const social_network> get(const scenario& s,
                                                          const population& people, rng::key key);

  [[nodiscard]] std::size_t builds() const;  ///< networks built so far
  [[nodiscard]] std::size_t size() const;    ///< networks kept now (built or being built)
  [[nodiscard]] std::uint64_t unheld_bytes_now() const;  ///< of kept networks no run holds
  [[nodiscard]] std::size_t capacity() const { return keep_; }

  /// Every input of the generators, compared in full: a key that missed one would silently give
  /// a run another scenario's network.
  struct inputs {
    network_config network;
    std::vector<double> degree_weights;  ///< per persona
    std::size_t segments = 0;
    rng::key key;
    std::vector<std::uint16_t> persona;  ///< per customer
    std::vector<std::uint16_t> segment;  ///< per customer
    std::vector<std::uint32_t> segment_begin;
  };

 private:
  /// A network being built or built; shared so that a run waiting for the build keeps it even
  /// if the cache lets go of the entry meanwhile.
  struct slot {
    tbb::collaborative_once_flag once;
    std::shared_ptr<const social_network> network;  ///< written once, before `built` is set
    std::size_t bytes = 0;                          ///< likewise
    std::atomic<bool> built{false};
  };
  struct entry {
    inputs made_from;
    std::shared_ptr<slot> kept;
  };
  [[nodiscard]] static bool unheld(const entry& e);
  /// Lets go of entries before one for `key` is added (see the constructor). With mutex_ held.
  void make_room(rng::key key);
  [[nodiscard]] std::uint64_t unheld_bytes() const;  ///< with mutex_ held

  std::size_t keep_;
  std::uint64_t byte_budget_;
  mutable std::mutex mutex_;
  std::deque<entry> entries_;  ///< least recently asked for first
  std::atomic<std::size_t> builds_{0};
};

}  // namespace cesim
