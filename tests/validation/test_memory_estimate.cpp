// The memory estimate against the peak resident memory the kernel reports for real runs: a
// refusal must not turn away runs that fit by much, and an accepted run must not need much more.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cesim/sim/memory.hpp"
#include "test_support.hpp"

using namespace cesim;

TEST_CASE("the memory estimate is within 25 percent of the measured peak", "[memory][heavy]") {
  struct setting {
    const char* label;
    int population;
    std::string network;
  };
  const std::vector<setting> settings{
      {"small world, mean degree 20", 500'000, ""},
      {"random graph, mean degree 30", 400'000, "network: {type: erdos_renyi, mean_degree: 30}\n"},
      {"preferential attachment with weak ties", 400'000,
       "network: {type: barabasi_albert, mean_degree: 16, ties: {strong_share: 0.5}}\n"},
      {"well mixed", 1'000'000, "network: {type: well_mixed, contacts_per_step: 5}\n"},
  };
  for (const auto& c : settings) {
    test::temp_dir dir;
    const auto file = dir / "scenario.yaml";
    test::write_file(file, test::small_scenario(c.population, 4, c.network));
    const auto estimate = estimate_memory(io::load_scenario(file.string())).total();
    const auto r = test::run_cesim(
        {"run", file.string(), "--threads", "2", "--quiet", "--out", (dir / "out").string()});
    REQUIRE(r.exit_code == 0);
    const double ratio = static_cast<double>(estimate) / static_cast<double>(r.peak_rss_bytes);
    INFO(fmt::format("{}: estimate {}, measured {}", c.label, format_bytes(estimate),
                     format_bytes(r.peak_rss_bytes)));
    CHECK(ratio > 0.9);
    CHECK(ratio < 1.25);
  }
}
