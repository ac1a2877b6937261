#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

/// Everyone a customer, a constant churn probability per step, no way back, fixed margin 1.
std::string constant_retention(double churn_per_step, const std::string& step, int horizon,
                               int population) {
  const double weeks = step == "year" ? 52.0 : 1.0;
  const double weekly = 1 - std::pow(1 - churn_per_step, 1 / weeks);
  const double logit = std::log(weekly / (1 - weekly));
  return fmt::format(R"(
population: {}
time: {{step: {}, horizon: {}, discount_rate: 0.10}}
personas:
  steady: {{traits: {{margin: {}}}}}
segments:
  - {{name: all, share: 1.0, personas: steady, initial: {{aware: 1, customers: 1}}}}
market:
  conversion: {{base: -30, lapsed: -30}}
  churn: {{base: {:.17g}, loyalty: 0, price_sensitivity: 0}}
)",
                     population, step, horizon, step == "year" ? 1.0 / 52 : 1.0, logit);
}

}  // namespace

TEST_CASE("lifetime value follows CLV = m r / (1 + d - r) (Gupta & Lehmann)", "[clv]") {
  test::temp_dir dir;
  // Yearly steps, d = 10 %: r = 0.8 gives 2.67 m and r = 0.9 gives 4.50 m.
  for (auto [r, expected] : {std::pair{0.8, 2.6667}, std::pair{0.9, 4.5}}) {
    const scenario s = test::load_text(dir, constant_retention(1 - r, "year", 1, 1000));
    const auto result = run_replication(s);
    CHECK(result.summary.back().clv == Approx(expected).margin(0.001));
  }
}

TEST_CASE("simulated discounted revenue converges to the closed form", "[clv]") {
  test::temp_dir dir;
  const double r = 0.98;  // weekly retention
  const int n = 100000;
  const scenario s = test::load_text(dir, constant_retention(1 - r, "week", 600, n));
  const auto result = run_replication(s);
  const double d = s.time.discount_per_step;
  const double horizon_factor = 1 - std::pow(r / (1 + d), 600);
  const double expected = r / (1 + d - r) * horizon_factor;
  const double simulated = result.summary.back().revenue_discounted / n;
  // Per-customer value has a coefficient of variation near 1: the standard error is about
  // 0.3 % at n = 100,000; 1.5 % is five of them.
  CHECK(simulated == Approx(expected).epsilon(0.015));
  CHECK(result.summary.back().retention == Approx(std::pow(r, 600)).margin(0.001));
}
