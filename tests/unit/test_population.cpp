#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <numeric>
#include <thread>

#include "cesim/population/population.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

struct moments {
  double mean = 0;
  double sd = 0;
};

moments moments_of(const std::vector<float>& x, std::uint32_t begin, std::uint32_t end) {
  double sum = 0;
  for (auto i = begin; i < end; ++i) sum += x[i];
  const double n = end - begin;
  const double mean = sum / n;
  double sq = 0;
  for (auto i = begin; i < end; ++i) sq += (x[i] - mean) * (x[i] - mean);
  return {mean, std::sqrt(sq / (n - 1))};
}

/// Moments of a distribution by integrating its exact quantile (independent of the sampler tables).
moments exact_moments(const distribution& d) {
  constexpr int points = 200000;
  double sum = 0, sq = 0;
  for (int i = 0; i < points; ++i) {
    const double x = d.quantile((i + 0.5) / points);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / points;
  return {mean, std::sqrt(std::max(0.0, sq / points - mean * mean))};
}

std::vector<double> ranks(const std::vector<float>& x, std::uint32_t begin, std::uint32_t end) {
  std::vector<std::uint32_t> order(end - begin);
  std::iota(order.begin(), order.end(), begin);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return x[a] < x[b]; });
  std::vector<double> r(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) r[order[k] - begin] = static_cast<double>(k);
  return r;
}

double spearman(const std::vector<float>& a, const std::vector<float>& b, std::uint32_t begin,
                std::uint32_t end) {
  const auto ra = ranks(a, begin, end);
  const auto rb = ranks(b, begin, end);
  const double n = static_cast<double>(ra.size());
  const double mean = (n - 1) / 2;
  double cov = 0, va = 0, vb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) * (ra[i] - mean);
    vb += (rb[i] - mean) * (rb[i] - mean);
  }
  return cov / std::sqrt(va * vb);
}

constexpr int n = 200000;

const scenario& distributions_scenario() {
  static test::temp_dir dir;
  static const scenario s = test::load_text(dir, R"(
population: 400000
segments:
  - name: shapes
    share: 0.5
    personas: prosumer
    traits:
      participation: 0.3
      talkativeness: {dist: uniform, min: 0.2, max: 0.6}
      susceptibility: {dist: normal, mean: 0.5, sd: 0.1}
      expectation: {dist: normal, mean: 0.9, sd: 0.2}
      price_sensitivity: {dist: beta, mean: 0.3, sd: 0.1}
      loss_aversion: {dist: categorical, values: [1.5, 2.25, 3.0], weights: [1, 2, 1]}
      margin: {dist: lognormal, mean: 2.0, sd: 1.0}
  - name: copula
    share: 0.5
    personas: prosumer
    traits:
      participation: {dist: beta, mean: 0.5, sd: 0.4}
      talkativeness: {dist: beta, mean: 0.3, sd: 0.1}
      susceptibility: {dist: uniform, min: 0, max: 1}
    correlation:
      traits: [participation, talkativeness, susceptibility]
      matrix:
        - [1.0, 0.5, -0.3]
        - [0.5, 1.0, 0.0]
        - [-0.3, 0.0, 1.0]
)");
  return s;
}

const synthesized_population& sample() {
  static const synthesized_population p =
      synthesize_population(distributions_scenario(), rng::key{11, 0});
  return p;
}

void check_moments(trait t, std::uint32_t begin, std::uint32_t end, const distribution& d) {
  const auto got = moments_of(sample().people.trait_values(t), begin, end);
  const auto want = exact_moments(d);
  INFO(trait_names[index_of(t)] << ": " << d.describe() << " mean " << got.mean << " vs "
                                << want.mean << ", sd " << got.sd << " vs " << want.sd);
  // 5 standard errors of the mean; the sd within 2% (generous for skewed shapes).
  CHECK(std::fabs(got.mean - want.mean) < 5 * want.sd / std::sqrt(double(end - begin)) + 1e-6);
  CHECK(std::fabs(got.sd - want.sd) < 0.02 * want.sd + 1e-6);
}

}  // namespace

TEST_CASE("every trait distribution reproduces its mean and standard deviation", "[population]") {
  const auto& s = distributions_scenario();
  const auto& seg = s.segments[0];
  REQUIRE(seg.count == n);
  for (auto t : {trait::participation, trait::talkativeness, trait::susceptibility,
                 trait::expectation, trait::price_sensitivity, trait::loss_aversion, trait::margin})
    check_moments(t, 0, n, *seg.trait_overrides[index_of(t)]);
  const auto& copula = s.segments[1];
  check_moments(trait::participation, n, 2 * n,
                *copula.trait_overrides[index_of(trait::participation)]);

  // The user states mean and sd; beta and lognormal parameters are derived from them.
  const auto beta = moments_of(sample().people.trait_values(trait::price_sensitivity), 0, n);
  CHECK(beta.mean == Approx(0.3).margin(0.001));
  CHECK(beta.sd == Approx(0.1).margin(0.001));
  const auto lognormal = moments_of(sample().people.trait_values(trait::margin), 0, n);
  CHECK(lognormal.mean == Approx(2.0).margin(0.02));
  CHECK(lognormal.sd == Approx(1.0).margin(0.03));
  // A normal clipped at 1 keeps its mass at the bound: P(X = 1) = 1 - Phi(0.5) = 0.3085.
  const auto& expectation = sample().people.trait_values(trait::expectation);
  const double at_bound =
      static_cast<double>(std::count(expectation.begin(), expectation.begin() + n, 1.0f)) / n;
  CHECK(at_bound == Approx(0.3085).margin(0.005));
  CHECK(
      seg.trait_overrides[index_of(trait::expectation)]->mean() ==
      Approx(exact_moments(*seg.trait_overrides[index_of(trait::expectation)]).mean).margin(1e-4));
  // Categorical frequencies 1:2:1.
  const auto& la = sample().people.trait_values(trait::loss_aversion);
  CHECK(static_cast<double>(std::count(la.begin(), la.begin() + n, 2.25f)) / n ==
        Approx(0.5).margin(0.005));
  // Fixed means fixed.
  const auto& participation = sample().people.trait_values(trait::participation);
  CHECK(std::all_of(participation.begin(), participation.begin() + n,
                    [](float x) { return x == 0.3f; }));
}

TEST_CASE("the Gaussian copula gives the stated rank correlations", "[population]") {
  const auto& p = sample().people;
  const auto rho_pt = spearman(p.trait_values(trait::participation),
                               p.trait_values(trait::talkativeness), n, 2 * n);
  const auto rho_ps = spearman(p.trait_values(trait::participation),
                               p.trait_values(trait::susceptibility), n, 2 * n);
  const auto rho_ts = spearman(p.trait_values(trait::talkativeness),
                               p.trait_values(trait::susceptibility), n, 2 * n);
  const auto rho_independent =
      spearman(p.trait_values(trait::participation), p.trait_values(trait::expectation), n, 2 * n);
  // Standard error of Spearman's rho is about (1 - rho^2) / sqrt(n) = 0.002; 0.01 is five of them.
  CHECK(rho_pt == Approx(0.5).margin(0.01));
  CHECK(rho_ps == Approx(-0.3).margin(0.01));
  CHECK(rho_ts == Approx(0.0).margin(0.01));
  CHECK(rho_independent == Approx(0.0).margin(0.01));
}

TEST_CASE("a Gaussian-scale correlation r gives Spearman's rho = (6/pi) asin(r/2)",
          "[population]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, R"(
population: 100000
segments:
  - name: all
    share: 1.0
    personas: prosumer
    correlation:
      scale: gaussian
      traits: [participation, talkativeness]
      matrix: [[1, 0.7], [0.7, 1]]
)");
  const auto p = synthesize_population(s, rng::key{3, 0});
  const double rho = spearman(p.people.trait_values(trait::participation),
                              p.people.trait_values(trait::talkativeness), 0, 100000);
  CHECK(rho == Approx(6 / std::numbers::pi * std::asin(0.35)).margin(0.01));
}

TEST_CASE("persona mix and initial state follow the segment definition", "[population]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, R"(
population: 100000
segments:
  - name: a
    share: 0.25
    personas: {prosumer: 0.2, sceptic: 0.8}
    initial: {aware: 0.6, customers: 0.2, satisfaction: {dist: beta, mean: 0.7, sd: 0.1}, trust: 0.4}
  - name: b
    share: 0.75
    personas: influencer
    initial: {aware: 0.1, customers: 0.1}
)");
  const auto p = synthesize_population(s, rng::key{5, 0});
  REQUIRE(p.people.segment_begin == std::vector<std::uint32_t>{0, 25000, 100000});
  double prosumers = 0, customers = 0, aware = 0;
  double satisfaction = 0;
  for (std::uint32_t i = 0; i < 25000; ++i) {
    CHECK(p.people.segment[i] == 0);
    prosumers += p.people.persona[i] == 0;
    customers += p.initial.status[i] == customer_status::customer;
    aware += p.initial.status[i] != customer_status::unaware;
    satisfaction += p.initial.satisfaction[i];
    CHECK(p.initial.trust[i] == 0.4f);
    CHECK(p.initial.empowerment[i] == 0.0f);
    CHECK((p.initial.flags[i] & agent_flag::initial_customer) ==
          (p.initial.status[i] == customer_status::customer ? agent_flag::initial_customer : 0));
  }
  // Binomial standard errors at n = 25000 are about 0.003; allow five.
  CHECK(prosumers / 25000.0 == Approx(0.2).margin(0.013));
  CHECK(customers / 25000.0 == Approx(0.2).margin(0.013));
  CHECK(aware / 25000.0 == Approx(0.6).margin(0.015));
  CHECK(satisfaction / 25000.0 == Approx(0.7).margin(0.003));
  double b_customers = 0;
  for (std::uint32_t i = 25000; i < 100000; ++i) {
    CHECK(p.people.persona[i] == 2);
    b_customers += p.initial.status[i] == customer_status::customer;
    CHECK(p.initial.status[i] !=
          customer_status::aware);  // aware == customers: every aware one is a customer
  }
  CHECK(b_customers / 75000.0 == Approx(0.1).margin(0.006));
}

TEST_CASE("synthesis is deterministic for a key and differs between keys", "[population]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, test::small_scenario(20000, 5));
  const auto a = synthesize_population(s, rng::key{9, 0});
  const auto b = synthesize_population(s, rng::key{9, 0});
  const auto c = synthesize_population(s, rng::key{9, 1});
  CHECK(a.people.traits == b.people.traits);
  CHECK(a.people.persona == b.people.persona);
  CHECK(a.initial.status == b.initial.status);
  CHECK(a.people.traits != c.people.traits);
}

TEST_CASE("beta quantile tables are shared, bounded, and the same when built again",
          "[population]") {
  beta_table_cache cache(2);
  const auto first = cache.get(2.0, 5.0);
  CHECK(cache.get(2.0, 5.0) == first);  // shared, not built again

  // The table is the beta quantile: ends at 0 and 1, monotone, close to Boost's inverse.
  const auto& table = *first;
  REQUIRE(table.size() == beta_table_cache::cells + 1);
  CHECK(table.front() == 0.0);
  CHECK(table.back() == 1.0);
  CHECK(std::is_sorted(table.begin(), table.end()));
  for (std::size_t k = 64; k < beta_table_cache::cells; k += 512) {
    const double u = static_cast<double>(k) / beta_table_cache::cells;
    CHECK(table[k] == Approx(boost::math::ibeta_inv(2.0, 5.0, u)).margin(1e-5));
  }

  // Two more tables push the first out: the cache holds at most its capacity.
  const auto symmetric = cache.get(3.0, 3.0);
  CHECK((*symmetric)[beta_table_cache::cells / 2] == Approx(0.5).margin(1e-9));
  (void)cache.get(4.0, 2.0);
  CHECK(cache.size() == 2);
  const auto rebuilt = cache.get(2.0, 5.0);
  CHECK(rebuilt != first);    // evicted, so built anew
  CHECK(*rebuilt == *first);  // bit for bit: runs cannot depend on what the cache held

  // Runs asking at once for a missing table all get equal tables, and it is kept once.
  beta_table_cache fresh(4);
  std::vector<std::shared_ptr<const beta_table_cache::table>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&fresh, &got, t] { got[t] = fresh.get(0.7, 1.3); });
  for (auto& thread : threads) thread.join();
  for (const auto& g : got) CHECK(*g == *got[0]);
  CHECK(fresh.size() == 1);
}
