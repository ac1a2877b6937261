#include <catch2/catch.hpp>

#include "cesim/analysis/replicate.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

struct outcome {
  double loyalty = 0;
  double nps = 0;
  double satisfaction = 0;
  double retention = 0;
};

outcome run_quality(double hotline_quality, double store_quality) {
  test::temp_dir dir;
  io::load_options o;
  o.overrides.push_back(
      {"touchpoints.hotline.quality.mean", std::to_string(hotline_quality), "test"});
  o.overrides.push_back({"touchpoints.store.quality.mean", std::to_string(store_quality), "test"});
  const scenario s = test::load_text(dir, test::small_scenario(40000, 26), o);
  analysis::replication_options ro;
  ro.replications = 3;
  ro.concurrent = 1;
  const auto r = analysis::run_replications(s, ro);
  const auto& total = r.summary.back().metrics;
  auto mean_of = [&](std::string_view name) { return total[summary_metric_index(name)].mean; };
  return {mean_of("loyalty"), mean_of("nps"), mean_of("satisfaction"), mean_of("retention")};
}

}  // namespace

TEST_CASE("better touchpoint quality raises loyalty and NPS; worse lowers them", "[directions]") {
  // Same seeds for all three: common random numbers make the comparison sharp.
  const auto worse = run_quality(0.3, 0.55);
  const auto base = run_quality(0.5, 0.68);
  const auto better = run_quality(0.8, 0.8);
  CHECK(better.satisfaction > base.satisfaction + 0.01);
  CHECK(better.loyalty > base.loyalty + 0.005);
  CHECK(better.nps > base.nps + 3);
  CHECK(worse.satisfaction < base.satisfaction - 0.01);
  CHECK(worse.loyalty < base.loyalty - 0.005);
  CHECK(worse.nps < base.nps - 3);
  CHECK(better.retention > worse.retention);
}
