#include <array>
#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;

TEST_CASE("counts add up and every flow balances, every step", "[invariants]") {
  test::temp_dir dir;
  const scenario s = test::load_text(dir, test::small_scenario(30000, 40));
  run_options o;
  o.check_invariants = true;  // every state value finite and in [0, 1] after every step
  const run_result r = run_replication(s, o);
  REQUIRE(r.series.size() == (s.time.horizon + 1) * s.segments.size());
  for (std::size_t seg = 0; seg < s.segments.size(); ++seg) {
    for (std::uint32_t t = 0; t <= r.steps; ++t) {
      const auto& now = r.at(t, seg);
      INFO("segment " << seg << " step " << t);
      CHECK(now.population == s.segments[seg].count);
      CHECK(now.unaware + now.prospects + now.customers + now.lapsed == now.population);
      CHECK(now.promoters + now.detractors <= now.customers);
      for (const auto& m : series_metrics()) {
        const double v = m.value(now);
        // Means are undefined (NaN) only where there is nobody to average over.
        if (std::isnan(v))
          CHECK((now.customers == 0 || now.customers == now.population));
        else
          CHECK(std::isfinite(v));
      }
      if (t == 0) continue;
      const auto& before = r.at(t - 1, seg);
      CHECK(now.customers == before.customers + now.new_customers - now.churned);
      CHECK(now.lapsed == before.lapsed + now.churned - now.win_backs);
      CHECK(now.unaware == before.unaware - now.newly_aware);
      CHECK(now.prospects ==
            before.prospects + now.newly_aware - (now.new_customers - now.win_backs));
      CHECK(now.new_referred <= now.new_customers);
    }
  }
  // The summary agrees with the series it was computed from.
  const auto& total = r.summary.back();
  double revenue = 0, acquisitions = 0, churned = 0;
  for (std::uint32_t t = 1; t <= r.steps; ++t) {
    const auto row = r.total_at(t);
    revenue += row.revenue;
    acquisitions += static_cast<double>(row.new_customers);
    churned += static_cast<double>(row.churned);
  }
  CHECK(total.revenue == Approx(revenue));
  CHECK(total.acquisitions == acquisitions);
  CHECK(total.churned == churned);
  CHECK(total.customers_end == total.customers_start + acquisitions - churned);
  CHECK(total.retention > 0);
  CHECK(total.retention <= 1);
  CHECK(total.revenue_discounted < total.revenue);
  // Per-touchpoint exposures add up to the segments' exposures.
  for (std::uint32_t t = 1; t <= r.steps; ++t) {
    std::uint64_t by_touchpoint = 0;
    for (std::size_t k = 0; k < s.touchpoints.size(); ++k)
      by_touchpoint += r.touchpoint_series[(t - 1) * s.touchpoints.size() + k].exposures;
    CHECK(by_touchpoint == r.total_at(t).exposures);
  }
}

TEST_CASE("each touchpoint meets only its audience", "[invariants][touchpoints]") {
  // Prospects meet the pre-purchase touchpoint, customers the post-purchase one and, on a
  // purchase occasion (probability 0.25 a week), the purchase one. Each exposure is a gate of
  // reach (1.0) times the persona's phone affinity (0.5), decided on the status at the start of
  // step 1.
  test::temp_dir dir;
  const auto exposures_at_step_1 = [&](double customers) {
    const std::string yaml = R"(
population: 20000
time: {horizon: 1}
network: {type: well_mixed, contacts_per_step: 1}
channels: [phone]
segments:
  - {name: all, share: 1.0, personas: loyal_regular, initial: {aware: 1.0, customers: )" +
                             std::to_string(customers) + R"(}}
touchpoints:
  - {name: advert, phase: pre_purchase, channel: phone, reach: 1.0}
  - {name: till, phase: purchase, channel: phone, reach: 1.0}
  - {name: invoice, phase: post_purchase, channel: phone, reach: 1.0}
)";
    const scenario s = test::load_text(dir, yaml);
    REQUIRE(s.personas.front().channel_affinity[0] == 0.5);
    REQUIRE(s.market.purchase_probability == 0.25);
    const run_result r = run_replication(s);
    const auto& start = r.total_at(0);
    std::array<double, 5> out{};
    for (std::size_t k = 0; k < 3; ++k)
      out[k] = static_cast<double>(r.touchpoint_series[k].exposures);
    out[3] = static_cast<double>(start.customers);
    out[4] = static_cast<double>(start.population - start.customers);
    return out;
  };
  // Nobody a customer: only the pre-purchase touchpoint meets anyone.
  auto e = exposures_at_step_1(0.0);
  CHECK(e[0] > 0);
  CHECK(e[1] == 0);
  CHECK(e[2] == 0);
  // Everybody a customer: never the pre-purchase one.
  e = exposures_at_step_1(1.0);
  CHECK(e[0] == 0);
  CHECK(e[1] > 0);
  CHECK(e[2] > 0);
  // Half and half: binomial counts within 5 standard errors of their means.
  e = exposures_at_step_1(0.5);
  const auto within = [](double count, double n, double p) {
    return std::fabs(count - n * p) <= 5 * std::sqrt(n * p * (1 - p));
  };
  INFO("advert " << e[0] << ", till " << e[1] << ", invoice " << e[2] << ", customers " << e[3]);
  CHECK(within(e[0], e[4], 0.5));
  CHECK(within(e[1], e[3], 0.25 * 0.5));
  CHECK(within(e[2], e[3], 0.5));
}
