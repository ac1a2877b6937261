// What `cesim network` reports: degree distribution, clustering and connectivity, so a user can
// check that a loaded or generated network is the one intended.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <span>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cesim/network/network.hpp"
#include "cesim/rng/philox.hpp"

namespace cesim {
namespace {

/// Networks up to this size get the exact average clustering; larger ones a sample.
constexpr std::uint32_t exact_clustering_limit = 200'000;
constexpr std::uint32_t clustering_sample_size = 100'000;
/// Degree quantiles reported, in thousandths.
constexpr std::uint64_t quantile_permille[] = {100, 250, 500, 750, 900, 990};

using row = std::span<const std::uint32_t>;

row contacts(const social_network& net, std::uint32_t i) {
  return row(net.neighbors.data() + net.offsets[i], net.degree(i));
}

void describe_degrees(const social_network& net, network_statistics& stats) {
  const std::uint32_t n = net.agents;
  stats.degree_quantiles.assign(std::size(quantile_permille), 0);
  if (n == 0) return;

  std::vector<std::uint64_t> degrees(n);
  for (std::uint32_t i = 0; i < n; ++i) degrees[i] = net.degree(i);
  const auto [smallest, largest] = std::minmax_element(degrees.begin(), degrees.end());
  stats.min_degree = *smallest;
  stats.max_degree = *largest;
  stats.isolated = static_cast<std::uint64_t>(std::count(degrees.begin(), degrees.end(), 0u));
  stats.mean_degree = static_cast<double>(net.neighbors.size()) / n;
  double squares = 0;
  for (const std::uint64_t d : degrees) {
    const double deviation = static_cast<double>(d) - stats.mean_degree;
    squares += deviation * deviation;
  }
  stats.degree_sd = std::sqrt(squares / n);

  // Nearest rank: the smallest degree that at least q of the agents do not exceed. Each
  // selection only has to look right of the previous one.
  auto done = degrees.begin();
  for (std::size_t q = 0; q < std::size(quantile_permille); ++q) {
    const std::uint64_t rank = (quantile_permille[q] * n + 999) / 1000;
    const auto at =
        degrees.begin() + static_cast<std::ptrdiff_t>(std::max<std::uint64_t>(rank, 1) - 1);
    std::nth_element(done, at, degrees.end());
    stats.degree_quantiles[q] = *at;
    done = at;
  }
}

/// Common elements of two sorted lists: a merge when they are of similar length, binary
/// searches of the longer one when one is much shorter (a hub against an ordinary agent).
std::uint64_t common_count(row a, row b) {
  if (a.size() > b.size()) std::swap(a, b);
  std::uint64_t common = 0;
  if (a.size() * 16 < b.size()) {
    auto from = b.begin();
    for (const std::uint32_t x : a) {
      from = std::lower_bound(from, b.end(), x);
      if (from == b.end()) break;
      if (*from == x) ++common;
    }
    return common;
  }
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  return common;
}

/// Share of pairs of v's contacts that are themselves in contact (0 below two contacts).
double local_clustering(const social_network& net, std::uint32_t v) {
  const row around = contacts(net, v);
  if (around.size() < 2) return 0;
  std::uint64_t links = 0;
  // Each link u-w among the contacts is counted once, from its smaller end u.
  for (std::size_t k = 0; k + 1 < around.size(); ++k) {
    const std::uint32_t u = around[k];
    const row of_u = contacts(net, u);
    const auto above_u = std::upper_bound(of_u.begin(), of_u.end(), u);
    links +=
        common_count(around.subspan(k + 1), row(of_u.data() + (above_u - of_u.begin()),
                                                static_cast<std::size_t>(of_u.end() - above_u)));
  }
  const auto d = static_cast<double>(around.size());
  return 2.0 * static_cast<double>(links) / (d * (d - 1));
}

/// A uniform sample of k distinct agents (Floyd's algorithm), sorted for memory locality.
std::vector<std::uint32_t> sample_agents(std::uint32_t n, std::uint32_t k, std::uint64_t seed) {
  rng::counter_stream draws(rng::key{seed, 0}, 0, 0, rng::stream::network,
                            rng::name_tag("clustering_sample", std::size("clustering_sample") - 1));
  std::unordered_set<std::uint32_t> chosen;
  chosen.reserve(static_cast<std::size_t>(k) * 2);
  for (std::uint64_t j = n - k; j < n; ++j) {
    const auto below = static_cast<double>(j + 1);
    const auto t = std::min(static_cast<std::uint64_t>(draws.uniform() * below), j);
    if (!chosen.insert(static_cast<std::uint32_t>(t)).second)
      chosen.insert(static_cast<std::uint32_t>(j));
  }
  std::vector<std::uint32_t> sample(chosen.begin(), chosen.end());
  std::sort(sample.begin(), sample.end());
  return sample;
}

void describe_clustering(const social_network& net, std::uint64_t seed, network_statistics& stats) {
  std::vector<std::uint32_t> agents;
  if (net.agents <= exact_clustering_limit) {
    agents.resize(net.agents);
    std::iota(agents.begin(), agents.end(), 0u);
  } else {
    agents = sample_agents(net.agents, clustering_sample_size, seed);
  }
  std::vector<double> coefficient(agents.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, agents.size(), 256),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t k = range.begin(); k != range.end(); ++k)
                        coefficient[k] = local_clustering(net, agents[k]);
                    });
  // Summed in a fixed order so the result does not depend on the thread count.
  const double total = std::accumulate(coefficient.begin(), coefficient.end(), 0.0);
  stats.clustering_sample = agents.size();
  stats.clustering = agents.empty() ? 0.0 : total / static_cast<double>(agents.size());
}

/// Union-find shared by all workers: roots are linked larger id to smaller with a
/// compare-and-swap, and paths are halved, so parent ids only ever decrease (no cycles).
class concurrent_union_find {
 public:
  explicit concurrent_union_find(std::uint32_t n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), 0u);
  }

  std::uint32_t find(std::uint32_t x) {
    while (true) {
      const std::uint32_t p = load(x);
      if (p == x) return x;
      const std::uint32_t grandparent = load(p);
      if (grandparent != p) std::atomic_ref<std::uint32_t>(parent_[x]).store(grandparent, relaxed);
      x = grandparent;
    }
  }

  void unite(std::uint32_t a, std::uint32_t b) {
    while (true) {
      a = find(a);
      b = find(b);
      if (a == b) return;
      if (a < b) std::swap(a, b);
      std::uint32_t expected = a;
      if (std::atomic_ref<std::uint32_t>(parent_[a]).compare_exchange_strong(expected, b, relaxed))
        return;
    }
  }

 private:
  static constexpr auto relaxed = std::memory_order_relaxed;
  std::uint32_t load(std::uint32_t x) {
    return std::atomic_ref<std::uint32_t>(parent_[x]).load(relaxed);
  }

  std::vector<std::uint32_t> parent_;
};

/// Connected components by the Afforest scheme: link every agent to its first few contacts,
/// find the component most agents already share (usually the giant one), then go through the
/// remaining ties only of agents outside it. Ties inside the giant component are never looked at
/// again, which saves most of the random memory accesses.
void describe_components(const social_network& net, network_statistics& stats) {
  constexpr std::uint64_t first_contacts = 2;
  constexpr std::uint32_t probes = 1024;
  const std::uint32_t n = net.agents;
  concurrent_union_find sets(n);
  const auto for_each_agent = [&](auto body) {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n, 1024),
                      [&](const tbb::blocked_range<std::uint32_t>& range) {
                        for (std::uint32_t v = range.begin(); v != range.end(); ++v) body(v);
                      });
  };
  for_each_agent([&](std::uint32_t v) {
    const row around = contacts(net, v);
    for (std::size_t k = 0; k < std::min<std::size_t>(first_contacts, around.size()); ++k)
      sets.unite(v, around[k]);
  });

  // The most common root among evenly spaced agents.
  std::uint32_t giant = 0;
  if (n > 0) {
    std::vector<std::uint32_t> roots;
    for (std::uint32_t p = 0; p < std::min(probes, n); ++p)
      roots.push_back(sets.find(static_cast<std::uint32_t>(std::uint64_t{n} * p / probes)));
    std::sort(roots.begin(), roots.end());
    std::size_t best = 0;
    for (std::size_t k = 0, run = 0; k < roots.size(); ++k) {
      run = k > 0 && roots[k] == roots[k - 1] ? run + 1 : 1;
      if (run > best) {
        best = run;
        giant = roots[k];
      }
    }
  }
  // A tie between the giant component and an agent outside it is seen from the outside.
  for_each_agent([&](std::uint32_t v) {
    if (sets.find(v) == giant) return;
    const row around = contacts(net, v);
    for (std::size_t k = first_contacts; k < around.size(); ++k) sets.unite(v, around[k]);
  });

  std::vector<std::uint32_t> size(n, 0);
  for (std::uint32_t v = 0; v < n; ++v) ++size[sets.find(v)];
  stats.components = static_cast<std::uint64_t>(
      std::count_if(size.begin(), size.end(), [](std::uint32_t s) { return s > 0; }));
  stats.largest_component = n == 0 ? 0 : *std::max_element(size.begin(), size.end());
}

}  // namespace

network_statistics describe_network(const social_network& net, std::uint64_t seed) {
  network_statistics stats;
  stats.agents = net.agents;
  if (net.well_mixed) {
    // Everyone can meet everyone: one component; there is no stored degree distribution.
    stats.mean_degree = net.contacts_per_step;
    stats.components = net.agents > 0 ? 1 : 0;
    stats.largest_component = net.agents;
    return stats;
  }
  stats.edges = net.edges();
  describe_degrees(net, stats);
  describe_clustering(net, seed, stats);
  describe_components(net, stats);
  if (net.weighted()) {
    std::uint64_t strong = 0;
    for (std::uint64_t k = 0; k < net.neighbors.size(); ++k)
      strong += static_cast<std::uint64_t>(net.tie_strength(k) >= 1.0f);
    stats.strong_tie_share =
        static_cast<double>(strong) / static_cast<double>(net.neighbors.size());
  }
  return stats;
}

}  // namespace cesim
