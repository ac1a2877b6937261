#include "cesim/network/generators.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "cesim/sim/blocks.hpp"
#include "cesim/util/bucket_sort.hpp"
#include "cesim/util/huge_pages.hpp"
#include "cesim/util/math.hpp"

namespace cesim {
namespace {

// Stream tags of the network generators (stream::network): one per purpose.
constexpr std::uint32_t tag_stubs = 1;
constexpr std::uint32_t tag_lattice = 2;
constexpr std::uint32_t tag_hubs = 3;
constexpr std::uint32_t tag_attachment = 4;
constexpr std::uint32_t tag_order = 5;

std::uint32_t pick_index(double u, std::uint64_t n) {
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(n - 1, static_cast<std::uint64_t>(u * static_cast<double>(n))));
}

/// Poisson draw by inverse CDF (one uniform). Means here are tens at most; beyond 500 (a hub with
/// thousands of contacts) a normal approximation keeps exp() from underflowing.
std::uint32_t poisson(double mean, double u) {
  if (mean <= 0) return 0;
  if (mean > 500)
    return static_cast<std::uint32_t>(
        std::max(0.0, std::round(mean + std::sqrt(mean) * normal_quantile(u))));
  double p = std::exp(-mean);
  double cumulative = p;
  std::uint32_t k = 0;
  while (u > cumulative && p > 0) {
    ++k;
    p *= mean / k;
    cumulative += p;
  }
  return k;
}

/// Walker's alias table: draws an agent with probability proportional to its weight.
class alias_table {
 public:
  explicit alias_table(const std::vector<double>& weights)
      : probability_(weights.size()), alias_(weights.size()) {
    const auto n = weights.size();
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / total;
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const auto s = small.back();
      small.pop_back();
      const auto l = large.back();
      probability_[s] = static_cast<float>(scaled[s]);
      alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (auto i : large) probability_[i] = 1.0f, alias_[i] = i;
    for (auto i : small) probability_[i] = 1.0f, alias_[i] = i;
  }

  [[nodiscard]] std::uint32_t draw(double u_column, double u_coin) const {
    const auto column = pick_index(u_column, probability_.size());
    return u_coin < probability_[column] ? column : alias_[column];
  }

 private:
  std::vector<float> probability_;
  std::vector<std::uint32_t> alias_;
};

struct generator_context {
  const scenario& s;
  const population& people;
  rng::key key;
  std::uint32_t n;
  std::vector<double> weight;  ///< persona degree weight of each agent
  double mean_weight = 1;
  bool uniform_weights = true;
};

float random_strength(const network_config& net, double u) {
  // Selected by index rather than by a branch: strong and weak ties come in random order.
  const double strengths[2] = {net.weak_strength, net.strong_strength};
  return static_cast<float>(strengths[static_cast<std::size_t>(u < net.strong_share)]);
}

/// Adds to `source` the ties fn(range, out) writes for each block of agents, in block order: the
/// edge list is the same for any thread count, and assembly writes each block when it reads it
/// (twice) instead of holding the whole list. fn must depend only on the range, and must own or
/// outlive what it refers to until assembly ends. A block reserves room for
/// `expected_per_agent` ties per agent and a margin, so that it rarely grows by copying.
template <typename BlockFn>
void generate_blocks(edge_source& source, std::uint32_t n, double expected_per_agent, BlockFn fn) {
  source.add_generated(
      block_count(n), [n, expected_per_agent, fn](std::size_t b, std::vector<edge>& out) {
        const agent_range range = block_range(b, n);
        const double expected = expected_per_agent * (range.end - range.begin);
        out.reserve(static_cast<std::size_t>(expected + 4 * std::sqrt(expected) + 16));
        fn(range, out);
      });
}

/// generate_blocks with fn(agent, out) called for each agent of a block in order.
template <typename Fn>
void generate_in_blocks(edge_source& source, std::uint32_t n, double expected_per_agent, Fn fn) {
  generate_blocks(source, n, expected_per_agent, [fn](agent_range range, std::vector<edge>& out) {
    for (std::uint32_t i = range.begin; i < range.end; ++i) fn(i, out);
  });
}

/// A random order of agents, for generators whose structure depends on position (ring, arrival):
/// without it, contiguous segments would become neighbours or early arrivals by construction.
std::vector<std::uint32_t> random_order(const generator_context& g) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(g.n);
  tbb::parallel_for(std::uint32_t{0}, g.n, [&](std::uint32_t i) {
    rng::counter_stream draw(g.key, i, 0, rng::stream::network, tag_order);
    keyed[i] = {draw.next_u64(), i};
  });
  std::vector<std::pair<std::uint64_t, std::uint32_t>> scratch;
  bucket_sort(keyed, scratch, [](const auto& k) { return k.first; });
  std::vector<std::uint32_t> order(g.n);
  tbb::parallel_for(std::uint32_t{0}, g.n, [&](std::uint32_t k) { order[k] = keyed[k].second; });
  return order;
}

/// Chung-Lu: agent i opens Poisson(c/2 * w_i / mean w) ties to partners drawn in proportion to w,
/// so expected degrees are c * w_i / mean w; with equal weights this is Erdos-Renyi with Poisson
/// degrees of mean c.
void erdos_renyi(const generator_context& g, edge_source& source) {
  const auto& net = g.s.network;
  std::shared_ptr<const alias_table> by_weight;
  if (!g.uniform_weights) by_weight = std::make_shared<const alias_table>(g.weight);
  generate_in_blocks(source, g.n, net.mean_degree / 2,
                     [&g, &net, by_weight](std::uint32_t i, std::vector<edge>& out) {
                       rng::counter_stream draw(g.key, i, 0, rng::stream::network, tag_stubs);
                       const auto stubs = poisson(net.mean_degree / 2 * g.weight[i] / g.mean_weight,
                                                  draw.uniform());
                       for (std::uint32_t k = 0; k < stubs; ++k) {
                         const double u = draw.uniform();
                         const std::uint32_t j =
                             by_weight ? by_weight->draw(u, draw.uniform()) : pick_index(u, g.n);
                         out.push_back(edge{i, j, random_strength(net, draw.uniform())});
                       }
                     });
}

/// Stochastic block model over segments: each tie goes to segment t with the mixing share of the
/// owner's segment, then to a uniformly chosen member of t.
void block_model(const generator_context& g, edge_source& source) {
  const auto& net = g.s.network;
  const std::size_t segs = g.s.segments.size();
  std::vector<double> cumulative(net.mixing.size());
  for (std::size_t a = 0; a < segs; ++a) {
    double running = 0;
    for (std::size_t b = 0; b < segs; ++b)
      cumulative[a * segs + b] = running += net.mixing[a * segs + b];
  }
  const auto& begin = g.people.segment_begin;
  generate_in_blocks(
      source, g.n, net.mean_degree / 2,
      [&g, &net, &begin, segs, cumulative](std::uint32_t i, std::vector<edge>& out) {
        rng::counter_stream draw(g.key, i, 0, rng::stream::network, tag_stubs);
        const std::size_t a = g.people.segment[i];
        const auto stubs =
            poisson(net.mean_degree / 2 * g.weight[i] / g.mean_weight, draw.uniform());
        for (std::uint32_t k = 0; k < stubs; ++k) {
          const double u = draw.uniform();
          std::size_t b = 0;
          while (b + 1 < segs && u >= cumulative[a * segs + b]) ++b;
          const double u_member = draw.uniform();
          const double u_strength = draw.uniform();
          const std::uint64_t size = begin[b + 1] - begin[b];
          if (size == 0) continue;
          const std::uint32_t j = begin[b] + pick_index(u_member, size);
          const float strength =
              net.ties == tie_assignment::structural
                  ? static_cast<float>(a == b ? net.strong_strength : net.weak_strength)
                  : random_strength(net, u_strength);
          out.push_back(edge{i, j, strength});
        }
      });
}

/// Watts-Strogatz: a ring lattice of k = 2 * round(c / 2) neighbours, each tie rewired to a
/// random agent with the rewiring probability. Structural ties: lattice ties strong, rewired weak.
/// `ring` must outlive the assembly of `source`.
void watts_strogatz(const generator_context& g, const std::vector<std::uint32_t>& ring,
                    edge_source& source) {
  const auto& net = g.s.network;
  const std::uint64_t half = std::min<std::uint64_t>(
      static_cast<std::uint64_t>(std::max(1.0, std::round(net.mean_degree / 2))), (g.n - 1) / 2);
  generate_blocks(
      source, g.n, static_cast<double>(half),
      [&g, &net, &ring, half](agent_range positions, std::vector<edge>& out) {
        rng::entity_draws draw(g.key, ring, positions.end, 0, rng::stream::network, tag_lattice,
                               3 * half);
        for (std::uint32_t position = positions.begin; position < positions.end; ++position) {
          const std::uint32_t i = ring[position];
          draw.start(position);
          for (std::uint64_t d = 1; d <= half; ++d) {
            const double u_rewire = draw.uniform();
            const double u_target = draw.uniform();
            const double u_strength = draw.uniform();
            std::uint32_t j = ring[(position + d) % g.n];
            const bool rewired = u_rewire < net.rewiring;
            if (rewired) {
              j = pick_index(u_target, g.n);
              if (j == i) j = (j + 1) % g.n;
            }
            const float strength =
                net.ties == tie_assignment::structural
                    ? static_cast<float>(rewired ? net.weak_strength : net.strong_strength)
                    : random_strength(net, u_strength);
            out.push_back(edge{i, j, strength});
          }
        }
      });
}

/// Barabasi-Albert by endpoint copying: each newcomer links to m = round(c / 2) partners, each
/// the endpoint of a uniformly chosen earlier tie, which is choosing in proportion to degree.
/// Sequential (each choice reads earlier ones) but one draw and one read per tie.
std::vector<edge> barabasi_albert(const generator_context& g,
                                  const std::vector<std::uint32_t>& arrival) {
  const auto& net = g.s.network;
  const std::uint64_t m =
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::round(net.mean_degree / 2)));
  const std::uint64_t seed_nodes = std::min<std::uint64_t>(g.n, m + 1);
  std::vector<edge> edges;
  const std::uint64_t total = seed_nodes * (seed_nodes - 1) / 2 + (g.n - seed_nodes) * m;
  edges.reserve(total);
  std::vector<std::uint32_t> endpoints;
  endpoints.reserve(2 * total);
  auto add = [&](std::uint32_t a, std::uint32_t b, double u_strength) {
    edges.push_back(edge{a, b, random_strength(net, u_strength)});
    endpoints.push_back(a);
    endpoints.push_back(b);
  };
  for (std::uint64_t a = 0; a < seed_nodes; ++a)
    for (std::uint64_t b = a + 1; b < seed_nodes; ++b) {
      rng::counter_stream draw(g.key, arrival[a], b, rng::stream::network, tag_attachment);
      add(arrival[a], arrival[b], draw.uniform());
    }
  for (std::uint64_t p = seed_nodes; p < g.n; ++p) {
    const std::uint32_t i = arrival[p];
    const std::uint64_t before = endpoints.size();  // only earlier ties: no self-attachment
    rng::counter_stream draw(g.key, i, 0, rng::stream::network, tag_attachment);
    for (std::uint64_t k = 0; k < m; ++k) {
      const std::uint32_t j = endpoints[pick_index(draw.uniform(), before)];
      add(i, j, draw.uniform());
    }
  }
  return edges;
}

/// Influencer hints for generators without weights: (w - 1) * c / 2 extra random ties.
void add_hub_ties(const generator_context& g, edge_source& source) {
  if (g.uniform_weights) return;
  const auto& net = g.s.network;
  generate_in_blocks(source, g.n, 0.0, [&g, &net](std::uint32_t i, std::vector<edge>& out) {
    if (g.weight[i] <= 1.0) return;
    rng::counter_stream draw(g.key, i, 0, rng::stream::network, tag_hubs);
    const auto count =
        static_cast<std::uint32_t>(std::lround((g.weight[i] - 1.0) * net.mean_degree / 2));
    for (std::uint32_t k = 0; k < count; ++k) {
      const std::uint32_t j = pick_index(draw.uniform(), g.n);
      out.push_back(edge{i, j, random_strength(net, draw.uniform())});
    }
  });
}

}  // namespace

social_network build_network(const scenario& s, const population& people, rng::key key) {
  const auto& net = s.network;
  if (net.kind == network_kind::well_mixed) {
    social_network w;
    w.agents = people.size;
    w.well_mixed = true;
    w.contacts_per_step = net.contacts_per_step;
    return w;
  }
  if (net.kind == network_kind::edge_list) {
    auto edges = read_edge_list(net.edge_list, people.size);
    return assemble_network(people.size, edges);
  }
  generator_context g{s, people, key, people.size, std::vector<double>(people.size), 1.0, true};
  double sum = 0;
  for (std::uint32_t i = 0; i < g.n; ++i) {
    g.weight[i] = s.personas[people.persona[i]].degree_weight;
    sum += g.weight[i];
    if (g.weight[i] != 1.0) g.uniform_weights = false;
  }
  g.mean_weight = g.n == 0 ? 1.0 : sum / g.n;
  if (g.mean_weight <= 0) {
    g.mean_weight = 1;
    std::fill(g.weight.begin(), g.weight.end(), 1.0);
    g.uniform_weights = true;
  }
  // The generators' blocks are written while the network is assembled: what they refer to
  // (g, ring) lives until then.
  edge_source edges;
  std::vector<std::uint32_t> ring;
  if (g.n >= 2 && net.mean_degree > 0) {
    switch (net.kind) {
      case network_kind::erdos_renyi:
        erdos_renyi(g, edges);
        break;
      case network_kind::block_model:
        block_model(g, edges);
        break;
      case network_kind::watts_strogatz:
        ring = random_order(g);
        watts_strogatz(g, ring, edges);
        add_hub_ties(g, edges);
        break;
      case network_kind::barabasi_albert:
        edges.add(barabasi_albert(g, random_order(g)));
        add_hub_ties(g, edges);
        break;
      case network_kind::well_mixed:
      case network_kind::edge_list:
        break;
    }
  }
  return assemble_network(people.size, edges);
}

}  // namespace cesim
