// Word of mouth against theory: the Bass model on a well-mixed population and one-shot cascades
// on Erdos-Renyi graphs (bond percolation), plus the directions the model must show.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

double logit(double p) {
  return std::log(p / (1 - p));
}

/// Everyone aware, nobody a customer; conversion p per step from advertising, plus q * F from
/// recommendations heard from a random other per step: the discrete Bass model.
std::string bass_scenario(double p, double q, int horizon) {
  return fmt::format(R"(
population: 100000
seed: 3
time: {{horizon: {}}}
personas:
  adopter:
    traits: {{talkativeness: 1, susceptibility: 0}}
segments:
  - name: market
    share: 1
    personas: adopter
    initial: {{aware: 1, customers: 0, satisfaction: 1, trust: 1, loyalty: 1, attitude: 1}}
network: {{type: well_mixed, contacts_per_step: 1}}
word_of_mouth: {{talk_scale: {}, organic_rate: 1, forward_probability: 0, effect: 0}}
market:
  conversion: {{base: {:.17g}, attitude: 0, recommendation: 1}}
  churn: {{base: -30}}
)",
                     horizon, q, logit(p));
}

void check_bass(double p, double q, int horizon) {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, bass_scenario(p, q, horizon));
  const run_result r = run_replication(s);
  double expected = 0;
  double worst = 0;
  for (int t = 1; t <= horizon; ++t) {
    expected += (p + q * expected) * (1 - expected);
    const auto row = r.total_at(static_cast<std::uint32_t>(t));
    const double simulated =
        static_cast<double>(row.customers) / static_cast<double>(row.population);
    worst = std::max(worst, std::fabs(simulated - expected));
  }
  INFO("p " << p << " q " << q << ": largest gap to the Bass recurrence " << worst << ", final F "
            << expected);
  CHECK(expected > 0.8);  // the curve was followed through its take-off and saturation
  CHECK(worst < 0.01);
}

/// Fixed point of s = 1 - (1 - rho) exp(-c T s).
double percolation_share(double rho, double c, double transmission) {
  double s = 1.0;
  for (int k = 0; k < 10000; ++k) s = 1 - (1 - rho) * std::exp(-c * transmission * s);
  return s;
}

/// A one-shot cascade: at step 1 a share rho of customers is delighted and tells; everyone who
/// hears passes the story on once; each telling reaches each contact with probability T.
std::string cascade_scenario(const std::string& network, double rho, double transmission,
                             double delight, double negativity_weight = 1.0,
                             int population = 200000, double forward = 1.0) {
  return fmt::format(R"(
population: {}
seed: 11
time: {{horizon: 60}}
channels: [web]
personas:
  teller:
    traits: {{talkativeness: 1, expectation: 0.5}}
    channel_affinity: {{web: 1}}
segments:
  - {{name: all, share: 1, personas: teller, initial: {{aware: 1, customers: 0}}}}
touchpoints:
  - {{name: seed, phase: pre_purchase, channel: web, reach: {}, start: 1, end: 1, quality: {{mean: {}, sd: 0}}}}
network: {}
experience: {{negativity_bias: 1}}
word_of_mouth: {{talk_scale: {}, forward_probability: {}, decay: 1, max_hops: 64, organic_rate: 0,
                negativity_weight: {}}}
market: {{conversion: {{base: -30}}}}
)",
                     population, rho, delight, network, transmission, forward, negativity_weight);
}

/// Share of the population that told or heard the seed touchpoint's story.
double cascade_share(const run_result& r) {
  const std::size_t origins = r.origin_names.size();
  std::size_t seed_origin = 0;
  for (std::size_t o = 0; o < origins; ++o)
    if (r.origin_names[o] == "seed") seed_origin = o;
  double reached = 0;
  for (std::uint32_t t = 0; t < r.steps; ++t)
    reached += static_cast<double>(r.origin_series[t * origins + seed_origin]);
  const auto& first = r.touchpoint_series[0];
  const double tellers = static_cast<double>(first.delights + first.disappointments);
  return (tellers + reached) / r.summary.back().population;
}

}  // namespace

TEST_CASE("Bass diffusion: adopter share follows the discrete recurrence within 0.01",
          "[wom][bass][heavy]") {
  // Sultan, Farley & Lehmann 1990: p = 0.03, q = 0.38 per year; here per step of a month.
  check_bass(0.03 / 12, 0.38 / 12, 180);
  // A second pair: little innovation, strong imitation.
  check_bass(0.01 / 12, 0.6 / 12, 200);
}

TEST_CASE("one-shot cascades on Erdos-Renyi graphs reach s = 1 - (1 - rho) exp(-c T s)",
          "[wom][percolation][heavy]") {
  struct case_t {
    double c, transmission, rho;
  };
  // Subcritical (c T = 0.5), near-critical (1.5) and supercritical (2, 3), as in Newman 2002.
  for (const auto& k : {case_t{10, 0.05, 0.05}, case_t{10, 0.15, 0.01}, case_t{10, 0.2, 0.01},
                        case_t{6, 0.5, 0.005}}) {
    test::temp_dir dir;
    const auto yaml = cascade_scenario(fmt::format("{{type: erdos_renyi, mean_degree: {}}}", k.c),
                                       k.rho, k.transmission, 1.0);
    const run_result r = run_replication(test::load_text(dir, yaml));
    const double expected = percolation_share(k.rho, k.c, k.transmission);
    const double simulated = cascade_share(r);
    INFO("c T = " << k.c * k.transmission << ", rho = " << k.rho << ": simulated " << simulated
                  << ", theory " << expected);
    CHECK(std::fabs(simulated - expected) < 0.01);
  }
}

TEST_CASE("at equal rates disappointment spreads further than delight",
          "[wom][directions][heavy]") {
  test::temp_dir dir;
  const std::string network = "{type: watts_strogatz, mean_degree: 10, rewiring: 0.1}";
  // Expectation 0.5: quality 1 delights (d = +0.5), quality 0 disappoints (d = -0.5); with
  // talkativeness 1 and negativity_bias 1 both start the same number of stories. Hearers pass a
  // positive story on with probability 0.5, a negative one with 0.5 * 1.5 = 0.75.
  const auto good = run_replication(
      test::load_text(dir, cascade_scenario(network, 0.002, 0.25, 1.0, 1.5, 50000, 0.5)));
  const auto bad = run_replication(
      test::load_text(dir, cascade_scenario(network, 0.002, 0.25, 0.0, 1.5, 50000, 0.5)));
  CHECK(good.touchpoint_series[0].delights == bad.touchpoint_series[0].disappointments);
  const double good_share = cascade_share(good);
  const double bad_share = cascade_share(bad);
  INFO("delight reached " << good_share << ", disappointment " << bad_share);
  CHECK(bad_share > 1.5 * good_share);
}

TEST_CASE("weak ties widen reach far beyond their share of transmission",
          "[wom][directions][heavy]") {
  // Goldenberg, Libai & Muller 2001: on a clustered small world, strong ties are the ring-lattice
  // neighbours and weak ties the rewired shortcuts across it (10 % of ties, strength 0.3).
  test::temp_dir dir;
  auto reach = [&](double weak) {
    const auto network = fmt::format(
        "{{type: watts_strogatz, mean_degree: 10, rewiring: 0.1, ties: {{assignment: structural, "
        "weak: {}}}}}",
        weak);
    return cascade_share(run_replication(
        test::load_text(dir, cascade_scenario(network, 0.001, 0.3, 1.0, 1.0, 50000))));
  };
  const double with_weak = reach(0.3);
  const double strong_only = reach(0.0);
  INFO("with weak ties " << with_weak << ", strong ties only " << strong_only);
  // Weak ties carry 3 % of the transmission capacity (10 % of ties at strength 0.3) yet more
  // than double the reach: they bridge otherwise distant parts of the network.
  CHECK(with_weak > 2 * strong_only);
}
