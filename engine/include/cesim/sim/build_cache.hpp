#pragma once
/// Populations and networks shared between runs that would build the same ones: the arms of one
/// replication in `compare` or `prioritize`, and the points of a sweep, usually differ in
/// campaigns, touchpoints or word of mouth only, and synthesising the customers and building
/// their network again for each is most of a run's fixed cost.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"
#include "cesim/rng/philox.hpp"
#include "cesim/sim/shared_builds.hpp"

namespace cesim {

class build_cache {
 public:
  /// Keeps at most `keep` populations and `keep` networks (at least one of each). Those no run
  /// holds take at most `network_bytes` (networks) and `population_bytes` (populations) together
  /// (social_network::bytes, synthesized_population::bytes; held ones are paid for by their runs).
  /// When a request misses, values no run holds that were made for the same replication (so from
  /// other inputs) or another seed go first; then, while the cache is full, values no run holds,
  /// the least recently asked for first, and then the least recently asked for of all (the runs
  /// holding one keep it alive, only sharing ends); then unheld values over the budget.
  ///
  /// `compare` asks for the arms of one replication one after another and keeps as many as runs
  /// in flight; a sweep asks for replication 0, 1, ... of one point, then of the next point, and
  /// keeps one population and one network per replication in the memory its runs leave
  /// (analysis/src/sweep_runner.cpp).
  explicit build_cache(std::size_t keep,
                       std::uint64_t network_bytes = std::numeric_limits<std::uint64_t>::max(),
                       std::uint64_t population_bytes = std::numeric_limits<std::uint64_t>::max());

  /// What synthesize_population(s, key) returns, synthesised once for equal inputs (the
  /// population size, the segments, the personas, the key). A run copies the initial state and
  /// shares the customers.
  [[nodiscard]] std::shared_ptr<const synthesized_population> population_for(const scenario& s,
                                                                             rng::key key);

  /// The network build_network(s, people, key) returns, built once for equal generator inputs
  /// (the network section, the persona degree weights, every customer's persona and segment, the
  /// key). Edge lists and well-mixed networks are not kept: a file is read again, and a
  /// well-mixed network stores nothing.
  [[nodiscard]] std::shared_ptr<const social_network> network_for(const scenario& s,
                                                                  const population& people,
                                                                  rng::key key);

  [[nodiscard]] std::size_t network_builds() const { return networks_.builds(); }
  [[nodiscard]] std::size_t population_builds() const { return populations_.builds(); }
  [[nodiscard]] std::size_t networks_kept() const { return networks_.size(); }
  [[nodiscard]] std::uint64_t unheld_network_bytes() const { return networks_.unheld_bytes_now(); }
  [[nodiscard]] std::uint64_t unheld_population_bytes() const {
    return populations_.unheld_bytes_now();
  }
  [[nodiscard]] std::size_t capacity() const { return networks_.capacity(); }

  /// Every input of the generators, compared in full: a key that missed one would silently give
  /// a run another scenario's network.
  struct network_inputs {
    network_config network;
    std::vector<double> degree_weights;  ///< per persona
    std::size_t segments = 0;
    rng::key key;
    std::vector<std::uint16_t> persona;  ///< per customer
    std::vector<std::uint16_t> segment;  ///< per customer
    std::vector<std::uint32_t> segment_begin;
  };
  /// Every argument of synthesize_population, compared in full (see build_cache.cpp for the
  /// fields of segments and personas that count).
  struct population_inputs {
    std::uint64_t size = 0;
    std::vector<segment> segments;
    std::vector<persona> personas;
    rng::key key;
  };

 private:
  detail::shared_builds<network_inputs, social_network> networks_;
  detail::shared_builds<population_inputs, synthesized_population> populations_;
};

}  // namespace cesim
