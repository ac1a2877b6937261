#include "cesim/network/network_cache.hpp"

#include <algorithm>

#include "cesim/network/generators.hpp"
#include "cesim/util/field_count.hpp"

namespace cesim {

namespace {

// Every field of these feeds the generators; one added later must join the comparison below.
static_assert(has_fields<network_config, 10>, "compare the new network_config field below");
static_assert(has_fields<rng::key, 2>, "compare the new rng::key field below");
static_assert(has_fields<network_cache::inputs, 7>, "compare the new inputs field below");

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

bool made_from(const network_cache::inputs& in, const scenario& s, const population& people,
               rng::key key) {
  // The cheap fields first; the per-customer arrays only when everything else matches.
  return in.key.seed == key.seed && in.key.replication == key.replication &&
         in.persona.size() == people.size && in.segments == s.segments.size() &&
         same_generator_config(in.network, s.network) &&
         same_degree_weights(in.degree_weights, s) && in.segment_begin == people.segment_begin &&
         in.persona == people.persona && in.segment == people.segment;
}

network_cache::inputs inputs_of(const scenario& s, const population& people, rng::key key) {
  network_cache::inputs in;
  in.network = s.network;
  for (const auto& p : s.personas) in.degree_weights.push_back(p.degree_weight);
  in.segments = s.segments.size();
  in.key = key;
  in.persona = people.persona;
  in.segment = people.segment;
  in.segment_begin = people.segment_begin;
  return in;
}

}  // namespace

network_cache::network_cache(std::size_t keep, std::uint64_t byte_budget)
    : keep_(std::max<std::size_t>(1, keep)), byte_budget_(byte_budget) {}

bool network_cache::unheld(const entry& e) {
  // Runs waiting for a build hold its slot; a slot no one holds that is not built is a build that
  // failed.
  return e.kept.use_count() == 1 &&
         (!e.kept->built.load(std::memory_order_acquire) || e.kept->network.use_count() == 1);
}

std::uint64_t network_cache::unheld_bytes() const {
  std::uint64_t sum = 0;
  for (const auto& e : entries_)
    if (unheld(e) && e.kept->built.load(std::memory_order_acquire)) sum += e.kept->bytes;
  return sum;
}

void network_cache::make_room(rng::key key) {
  // The request missed, so a network of the same replication was made from other inputs: the
  // previous sweep point's, which no later job asks for again (sweeps go point by point), or
  // another arm's in `compare`. Networks of another seed are not shared either.
  std::erase_if(entries_, [&](const entry& e) {
    return unheld(e) &&
           (e.made_from.key.replication == key.replication || e.made_from.key.seed != key.seed);
  });
  // Unheld networks, the least recently asked for first, while `over()` holds.
  const auto drop_unheld_while = [this](auto over) {
    for (auto it = entries_.begin(); over() && it != entries_.end();)
      it = unheld(*it) ? entries_.erase(it) : std::next(it);
  };
  const auto full = [this] { return entries_.size() >= keep_; };
  // By number: unheld networks first, then the least recently asked for.
  drop_unheld_while(full);
  while (full()) entries_.pop_front();
  // By bytes: only unheld networks count. A held one is paid for in its runs' memory estimates,
  // and letting go of it would free nothing.
  drop_unheld_while([this] { return unheld_bytes() > byte_budget_; });
}

std::shared_ptr<const social_network> network_cache::get(const scenario& s,
                                                         const population& people, rng::key key) {
  const auto kind = s.network.kind;
  if (kind == network_kind::edge_list || kind == network_kind::well_mixed)
    return std::make_shared<const social_network>(build_network(s, people, key));
  std::shared_ptr<slot> wanted;
  {
    const std::lock_guard guard(mutex_);
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) {
      return made_from(e.made_from, s, people, key);
    });
    if (it != entries_.end()) {
      entry found = std::move(*it);
      entries_.erase(it);
      entries_.push_back(std::move(found));
    } else {
      make_room(key);
      entries_.push_back({inputs_of(s, people, key), std::make_shared<slot>()});
    }
    wanted = entries_.back().kept;
  }
  // Built outside the lock, by the first run to ask; the others lend their threads to its
  // parallel loops. collaborative_call_once isolates the build, so a waiting thread never picks
  // up another run's task that could in turn wait for this build. If the build throws, the
  // next run asking builds again.
  tbb::collaborative_call_once(wanted->once, [&] {
    wanted->network = std::make_shared<const social_network>(build_network(s, people, key));
    wanted->bytes = wanted->network->bytes();
    wanted->built.store(true, std::memory_order_release);
    builds_.fetch_add(1, std::memory_order_relaxed);
  });
  return wanted->network;
}

std::uint64_t network_cache::unheld_bytes_now() const {
  const std::lock_guard guard(mutex_);
  return unheld_bytes();
}

std::size_t network_cache::builds() const {
  return builds_.load(std::memory_order_relaxed);
}

std::size_t network_cache::size() const {
  const std::lock_guard guard(mutex_);
  return entries_.size();
}

}  // namespace cesim
