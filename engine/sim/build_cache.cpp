#include "cesim/sim/build_cache.hpp"

#include <algorithm>

#include "cesim/network/generators.hpp"
#include "cesim/util/field_count.hpp"

namespace cesim {

namespace {

// Every field of these feeds the generators; one added later must join the comparison below.
static_assert(has_fields<network_config, 10>, "compare the new network_config field below");
static_assert(has_fields<rng::key, 2>, "compare the new rng::key field below");
static_assert(has_fields<build_cache::network_inputs, 7>, "compare the new inputs field below");

// What synthesis reads of these is compared below; a field added later must be judged there.
static_assert(has_fields<segment, 15>, "does synthesis read the new segment field? compare it");
static_assert(has_fields<persona, 7>, "does synthesis read the new persona field? compare it");
static_assert(has_fields<distribution, 8>, "compare the new distribution field below");
static_assert(has_fields<correlation_spec, 3>, "compare the new correlation field below");
static_assert(has_fields<build_cache::population_inputs, 4>, "compare the new inputs field");

bool same_generator_config(const network_config& a, const network_config& b) {
  // contacts_per_step and edge_list only matter for the kinds that are never kept.
  return a.kind == b.kind && a.mean_degree == b.mean_degree && a.rewiring == b.rewiring &&
         a.mixing == b.mixing && a.ties == b.ties && a.strong_share == b.strong_share &&
         a.strong_strength == b.strong_strength && a.weak_strength == b.weak_strength;
}

bool same_degree_weights(const std::vector<double>& weights, const scenario& s) {
  return weights.size() == s.personas.size() &&
         std::equal(weights.begin(), weights.end(), s.personas.begin(),
                    [](double w, const persona& p) { return w == p.degree_weight; });
}

bool made_from(const build_cache::network_inputs& in, const scenario& s, const population& people,
               rng::key key) {
  // The cheap fields first; the per-customer arrays only when everything else matches.
  return in.key.seed == key.seed && in.key.replication == key.replication &&
         in.persona.size() == people.size && in.segments == s.segments.size() &&
         same_generator_config(in.network, s.network) &&
         same_degree_weights(in.degree_weights, s) && in.segment_begin == people.segment_begin &&
         in.persona == people.persona && in.segment == people.segment;
}

build_cache::network_inputs inputs_of(const scenario& s, const population& people, rng::key key) {
  build_cache::network_inputs in;
  in.network = s.network;
  for (const auto& p : s.personas) in.degree_weights.push_back(p.degree_weight);
  in.segments = s.segments.size();
  in.key = key;
  in.persona = people.persona;
  in.segment = people.segment;
  in.segment_begin = people.segment_begin;
  return in;
}

// Names, descriptions and source marks do not change a draw; every other field does.
bool same_draws(const distribution& a, const distribution& b) {
  return a.kind == b.kind && a.a == b.a && a.b == b.b && a.lo == b.lo && a.hi == b.hi &&
         a.values == b.values && a.cumulative == b.cumulative;
}

bool same_draws(const std::optional<distribution>& a, const std::optional<distribution>& b) {
  return a.has_value() == b.has_value() && (!a || same_draws(*a, *b));
}

template <class T, std::size_t N>
bool same_draws(const std::array<T, N>& a, const std::array<T, N>& b) {
  for (std::size_t i = 0; i < N; ++i)
    if (!same_draws(a[i], b[i])) return false;
  return true;
}

bool same_synthesis(const segment& a, const segment& b) {
  // `share` is not read: `count` is what it became.
  return a.count == b.count && a.persona_index == b.persona_index &&
         a.persona_weight == b.persona_weight && same_draws(a.trait_overrides, b.trait_overrides) &&
         a.correlation.traits == b.correlation.traits &&
         a.correlation.matrix == b.correlation.matrix && a.initial_aware == b.initial_aware &&
         a.initial_customers == b.initial_customers &&
         same_draws(a.initial_satisfaction, b.initial_satisfaction) &&
         same_draws(a.initial_trust, b.initial_trust) &&
         same_draws(a.initial_loyalty, b.initial_loyalty) &&
         same_draws(a.initial_attitude, b.initial_attitude);
}

bool same_synthesis(const persona& a, const persona& b) {
  // Channel affinities and degree weights are read by the steps and the network, not synthesis.
  return same_draws(a.traits, b.traits);
}

template <class T>
bool same_synthesis(const std::vector<T>& a, const std::vector<T>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const T& x, const T& y) { return same_synthesis(x, y); });
}

// The size is also the sum of the segment counts; compared for its own sake all the same.
bool made_from(const build_cache::population_inputs& in, const scenario& s, rng::key key) {
  return in.key.seed == key.seed && in.key.replication == key.replication &&
         in.size == s.population && same_synthesis(in.segments, s.segments) &&
         same_synthesis(in.personas, s.personas);
}

}  // namespace

build_cache::build_cache(std::size_t keep, std::uint64_t network_bytes,
                         std::uint64_t population_bytes)
    : networks_(keep, network_bytes), populations_(keep, population_bytes) {}

std::shared_ptr<const synthesized_population> build_cache::population_for(const scenario& s,
                                                                          rng::key key) {
  return populations_.get(
      key, [&](const population_inputs& in) { return made_from(in, s, key); },
      [&] {
        return population_inputs{s.population, s.segments, s.personas, key};
      },
      [&] { return synthesize_population(s.population, s.segments, s.personas, key); });
}

std::shared_ptr<const social_network> build_cache::network_for(const scenario& s,
                                                               const population& people,
                                                               rng::key key) {
  const auto kind = s.network.kind;
  if (kind == network_kind::edge_list || kind == network_kind::well_mixed)
    return std::make_shared<const social_network>(build_network(s, people, key));
  return networks_.get(
      key, [&](const network_inputs& in) { return made_from(in, s, people, key); },
      [&] { return inputs_of(s, people, key); }, [&] { return build_network(s, people, key); });
}

}  // namespace cesim
