// Network generators against their theory, and deterministic construction.
#include <fmt/format.h>
#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/network/generators.hpp"
#include "cesim/population/population.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

struct built {
  scenario s;
  synthesized_population people;
  social_network net;
};

built build(const test::temp_dir& dir, int population, const std::string& network,
            const std::string& segments = "") {
  built b;
  b.s = test::load_text(
      dir, fmt::format(R"(
population: {}
personas:
  plain: {{}}
  hub: {{network: {{degree_weight: 4}}}}
segments:
{}
network: {}
)",
                       population,
                       segments.empty() ? "  - {name: all, share: 1, personas: plain}" : segments,
                       network));
  b.people = synthesize_population(b.s, rng::key{b.s.seed, 0});
  b.net = build_network(b.s, b.people.people, rng::key{b.s.seed, 0});
  return b;
}

}  // namespace

TEST_CASE("Erdos-Renyi: Poisson degrees with the configured mean", "[network][heavy]") {
  test::temp_dir dir;
  const auto b = build(dir, 200000, "{type: erdos_renyi, mean_degree: 10}");
  const auto stats = describe_network(b.net);
  // Self-loops and repeated pairs (probability about c / N) are dropped: a tiny loss.
  CHECK(stats.mean_degree == Approx(10).epsilon(0.01));
  CHECK(stats.degree_sd * stats.degree_sd == Approx(10).epsilon(0.03));  // Poisson: variance = mean
  CHECK(stats.clustering < 0.001);                                       // c / N
  // Giant component of ER with c = 10 holds 1 - exp(-10 s) = 99.995 % of nodes.
  CHECK(static_cast<double>(stats.largest_component) / 200000 > 0.999);
}

TEST_CASE("Watts-Strogatz at zero rewiring has clustering 3(k-2)/(4(k-1))", "[network]") {
  test::temp_dir dir;
  for (int k : {4, 10, 20}) {
    const auto b =
        build(dir, 20000, fmt::format("{{type: watts_strogatz, mean_degree: {}, rewiring: 0}}", k));
    const auto stats = describe_network(b.net);
    CHECK(stats.mean_degree == Approx(k));
    CHECK(stats.min_degree == static_cast<std::uint64_t>(k));
    CHECK(stats.clustering == Approx(3.0 * (k - 2) / (4.0 * (k - 1))).epsilon(1e-9));
  }
  // Rewiring keeps the mean degree and lowers clustering roughly by (1 - beta)^3 (Barrat & Weigt).
  const auto rewired = describe_network(
      build(dir, 20000, "{type: watts_strogatz, mean_degree: 10, rewiring: 0.1}").net);
  CHECK(rewired.mean_degree == Approx(10).epsilon(0.01));
  CHECK(rewired.clustering == Approx(2.0 / 3 * std::pow(0.9, 3)).epsilon(0.05));
}

TEST_CASE("Barabasi-Albert: degree tail with exponent close to 3", "[network][heavy]") {
  test::temp_dir dir;
  const auto b = build(dir, 200000, "{type: barabasi_albert, mean_degree: 10}");
  const auto stats = describe_network(b.net);
  CHECK(stats.mean_degree == Approx(10).epsilon(0.01));
  CHECK(stats.min_degree >= 4);  // m = 5 ties per newcomer, rarely a repeated partner
  // Discrete power-law maximum likelihood (Clauset, Shalizi & Newman 2009) above k_min = 20.
  const double k_min = 20;
  double n = 0, log_sum = 0;
  for (std::uint32_t i = 0; i < b.net.agents; ++i) {
    const double k = static_cast<double>(b.net.degree(i));
    if (k < k_min) continue;
    n += 1;
    log_sum += std::log(k / (k_min - 0.5));
  }
  const double alpha = 1 + n / log_sum;
  INFO("tail exponent " << alpha << " from " << n << " nodes");
  CHECK(alpha == Approx(3.0).margin(0.25));
  CHECK(stats.max_degree > 500);  // hubs exist
}

TEST_CASE("block model: ties stay within segments as configured", "[network][heavy]") {
  test::temp_dir dir;
  const std::string two_segments =
      "  - {name: a, share: 0.5, personas: plain}\n  - {name: b, share: 0.5, personas: plain}";
  auto within_share = [&](const built& b) {
    double within = 0, all = 0;
    for (std::uint32_t i = 0; i < b.net.agents; ++i)
      for (auto e = b.net.offsets[i]; e < b.net.offsets[i + 1]; ++e) {
        all += 1;
        within += b.people.people.segment[i] == b.people.people.segment[b.net.neighbors[e]];
      }
    return within / all;
  };
  const auto homophilous =
      build(dir, 100000, "{type: block_model, mean_degree: 10, homophily: 0.8}", two_segments);
  CHECK(within_share(homophilous) == Approx(0.8).margin(0.005));
  CHECK(describe_network(homophilous.net).mean_degree == Approx(10).epsilon(0.01));
  const auto mixed =
      build(dir, 100000, "{type: block_model, mean_degree: 10, mixing: [[0.3, 0.7], [0.7, 0.3]]}",
            two_segments);
  CHECK(within_share(mixed) == Approx(0.3).margin(0.005));
  // Structural ties: within a segment strong, across weak.
  const auto tied = build(
      dir, 20000, "{type: block_model, homophily: 0.8, ties: {assignment: structural, weak: 0.3}}",
      two_segments);
  CHECK(describe_network(tied.net).strong_tie_share == Approx(0.8).margin(0.01));
}

TEST_CASE("influencer personas get more contacts", "[network][heavy]") {
  test::temp_dir dir;
  const auto b = build(dir, 100000, "{type: erdos_renyi, mean_degree: 10}",
                       "  - {name: all, share: 1, personas: {plain: 0.9, hub: 0.1}}");
  double hub_degree = 0, hubs = 0, plain_degree = 0, plains = 0;
  for (std::uint32_t i = 0; i < b.net.agents; ++i) {
    const bool hub = b.s.personas[b.people.people.persona[i]].name == "hub";
    (hub ? hub_degree : plain_degree) += static_cast<double>(b.net.degree(i));
    (hub ? hubs : plains) += 1;
  }
  // Chung-Lu: expected degree c * w / mean(w); mean weight 1.3, so 30.8 and 7.7.
  CHECK(hub_degree / hubs == Approx(10 * 4 / 1.3).epsilon(0.02));
  CHECK(plain_degree / plains == Approx(10 / 1.3).epsilon(0.02));
}

TEST_CASE("networks are identical for any thread count", "[network][determinism]") {
  test::temp_dir dir;
  for (const char* network : {"{type: erdos_renyi, mean_degree: 8}",
                              "{type: watts_strogatz, mean_degree: 8, rewiring: 0.2}",
                              "{type: barabasi_albert, mean_degree: 8}"}) {
    social_network one, two;
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
      one = build(dir, 30000, network).net;
    }
    {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
      two = build(dir, 30000, network).net;
    }
    INFO(network);
    CHECK(one.offsets == two.offsets);
    CHECK(one.neighbors == two.neighbors);
    CHECK(one.strength == two.strength);
    CHECK(one.strength_code == two.strength_code);
    CHECK(one.strength_levels == two.strength_levels);
  }
}
