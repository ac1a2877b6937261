#pragma once
/// Networks shared between runs whose generators would draw the same ties: the arms of one
/// replication in `compare` or `prioritize` usually differ in campaigns or touchpoints only, and
/// building the network again for each is most of a run's fixed cost.
#include <cstddef>
#include <cstdint>
#include <deque>
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
  /// Keeps at most the `keep` networks asked for last (at least one). A network no run holds
  /// stays until a request misses: callers ask for the arms of one replication one after another,
  /// and a miss means the next replication has begun.
  explicit network_cache(std::size_t keep);

  /// The network build_network(s, people, key) returns, built once for equal generator inputs
  /// (the network section, the persona degree weights, every customer's persona and segment, the
  /// key). Edge lists and well-mixed networks are not kept: a file is read again, and a
  /// well-mixed network stores nothing.
  [[nodiscard]] std::shared_ptr<const social_network> get(const scenario& s,
                                                          const population& people, rng::key key);

  [[nodiscard]] std::size_t builds() const;  ///< networks built so far
  [[nodiscard]] std::size_t size() const;    ///< networks kept now

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
  struct entry {
    inputs made_from;
    std::shared_ptr<const social_network> network;
  };
  std::size_t keep_;
  mutable std::mutex mutex_;
  std::deque<entry> entries_;  ///< least recently asked for first
  std::size_t builds_ = 0;
};

}  // namespace cesim
