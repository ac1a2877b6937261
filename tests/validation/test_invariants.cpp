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
