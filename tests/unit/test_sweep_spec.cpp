#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "cesim/analysis/compare.hpp"
#include "cesim/analysis/sweep_spec.hpp"
#include "cesim/io/yaml_tree.hpp"
#include "test_support.hpp"

using namespace cesim;
using namespace cesim::analysis;
namespace fs = std::filesystem;

namespace {

/// A temp folder with a scenario in scenarios/ and sweep files in sweeps/, as a project would
/// lay them out; the scenario is only checked to exist, never loaded, except where stated.
struct sweep_dir {
  test::temp_dir dir;
  sweep_dir() {
    fs::create_directories(dir / "sweeps");
    test::write_file(dir / "scenarios" / "base.yaml", test::small_scenario(2000, 10));
  }
  fs::path write(const std::string& yaml, const std::string& name = "study.yaml") const {
    const auto file = dir / "sweeps" / name;
    test::write_file(file, yaml);
    return file;
  }
};

/// Every problem as "line:column: key.path: message", the file name checked and cut off.
std::vector<std::string> problems_of(const fs::path& file) {
  return test::problems_in_file(file, [&] { load_sweep(file.string()); });
}

/// A valid sweep with `design` and `parameters` replaced.
std::string sweep_with(const std::string& design, const std::string& parameters) {
  return "sweep: 1\nscenario: ../scenarios/base.yaml\ndesign: " + design + "\nparameters:\n" +
         parameters;
}

const std::string two_ranges =
    "  - {path: touchpoints.website.reach, range: [0.1, 0.5]}\n"
    "  - {path: word_of_mouth.talk_scale, range: [0.01, 1], scale: log}\n";

std::vector<double> column(const std::vector<sweep_point>& design, std::size_t k) {
  std::vector<double> values;
  for (const auto& p : design) values.push_back(p.numbers[k]);
  return values;
}

}  // namespace

TEST_CASE("a valid sweep loads with every value", "[sweep]") {
  sweep_dir d;
  const auto file = d.write(R"(sweep: 1
name: contest_incentive
description: Does a bigger prize pay?
scenario: ../scenarios/base.yaml
seed: 42
replications: 3
metrics: [loyalty, nps, wom_reach]
design:
  type: lhs
  points: 64
set: {time.horizon: 13, "touchpoints.hotline.reach": 0.1}
parameters:
  - path: touchpoints.website.reach
    range: [0.1, 0.9]
  - path: touchpoints[2].quality.mean
    name: store_quality
    values: [0.5, 0.6, 'high', true]
  - path: word_of_mouth.talk_scale
    range: [0.05, 0.5]
    scale: log
  - path: population
    range: [1000, 5000]
    integer: true
  - path: market.conversion_base
    distribution: {dist: normal, mean: -3, sd: 0.5}
  - path: x
    distribution: {dist: lognormal, mean: 2, sd: 1}
  - path: y
    distribution: {dist: triangular, min: 0, mode: 1, max: 4}
)");
  const sweep_spec s = load_sweep(file.string());
  CHECK(s.file == file.string());
  CHECK(s.name == "contest_incentive");
  CHECK(s.description == "Does a bigger prize pay?");
  CHECK(fs::equivalent(s.scenario_file, d.dir / "scenarios" / "base.yaml"));
  CHECK(s.seed == 42);
  CHECK(s.replications == 3);
  CHECK(s.metrics == std::vector<std::string>{"loyalty", "nps", "wom_reach"});
  CHECK(s.design == design_type::lhs);
  CHECK(s.points == 64);
  REQUIRE(s.fixed.size() == 2);
  CHECK(s.fixed[0].path == "time.horizon");
  CHECK(s.fixed[0].value == "13");
  CHECK(s.fixed[0].origin == file.string() + ":11:7 (set)");
  CHECK(s.fixed[1].path == "touchpoints.hotline.reach");
  REQUIRE(s.parameters.size() == 7);

  const auto& reach = s.parameters[0];
  CHECK(reach.name == "touchpoints_website_reach");
  CHECK(reach.path == "touchpoints.website.reach");
  CHECK(reach.where.line == 13);
  CHECK(reach.kind == parameter_kind::range);
  CHECK(reach.low == 0.1);
  CHECK(reach.high == 0.9);
  CHECK(reach.scale == range_scale::linear);
  CHECK_FALSE(reach.integer);

  const auto& quality = s.parameters[1];
  CHECK(quality.name == "store_quality");
  CHECK(quality.kind == parameter_kind::values);
  CHECK(quality.values == std::vector<std::string>{"0.5", "0.6", "\"high\"", "true"});
  CHECK(quality.value_numbers[1] == 0.6);
  CHECK(std::isnan(quality.value_numbers[2]));
  CHECK(std::isnan(quality.value_numbers[3]));

  CHECK(s.parameters[2].scale == range_scale::log);
  CHECK(s.parameters[3].integer);
  const auto& conversion = s.parameters[4];
  CHECK(conversion.kind == parameter_kind::distribution);
  CHECK(conversion.distribution.family == distribution_family::normal);
  CHECK(conversion.distribution.mean == -3);
  CHECK(conversion.distribution.sd == 0.5);
  CHECK(s.parameters[5].distribution.family == distribution_family::lognormal);
  CHECK(s.parameters[6].distribution.mode == 1);
  CHECK(s.parameters[6].distribution.max == 4);
}

TEST_CASE("a sweep's defaults", "[sweep]") {
  sweep_dir d;
  const auto file =
      d.write(sweep_with("{type: grid}", "  - {path: population, values: [1000, 2000]}\n"),
              "my sweep.yaml");
  const sweep_spec s = load_sweep(file.string());
  CHECK(s.name == "my_sweep");
  CHECK(s.seed == 1);
  CHECK(s.replications == 1);
  CHECK(s.levels == 3);
  CHECK(s.points == 2);
  CHECK(s.fixed.empty());
  std::vector<std::string> all;
  for (const auto& m : outcome_metrics()) all.emplace_back(m.name);
  CHECK(s.metrics == all);
}

TEST_CASE("every bad sweep gives its exact errors", "[sweep]") {
  sweep_dir d;
  struct bad_case {
    std::string yaml;
    std::vector<std::string> expected;
  };
  const std::vector<bad_case> cases = {
      {"sweep: 1\nscenario: ../scenarios/base.yaml\nreplication: 3\ndesign: {type: lhs, points: "
       "8}\nparameters:\n" +
           two_ranges,
       {"3:1: replication: unknown key 'replication' (did you mean 'replications'?)"}},
      {"sweep: 1\nscenario: ../scenarios/missing.yaml\ndesign: {type: lhs, points: 8}\n"
       "parameters:\n" +
           two_ranges,
       {"2:11: scenario: scenario file '../scenarios/missing.yaml' not found (looked for " +
        (d.dir / "scenarios" / "missing.yaml").string() +
        "; a relative path starts at the sweep file's folder)"}},
      {sweep_with("{type: lhs, points: 8}", "  - {path: population, range: [5000, 1000]}\n"),
       {"5:31: parameters[0].range: low must be below high, got [5000, 1000]"}},
      {sweep_with("{type: lhs, points: 8}",
                  "  - path: word_of_mouth.talk_scale\n    range: [0, 0.5]\n    scale: log\n"),
       {"6:12: parameters[0].range: scale: log needs low > 0, got [0, 0.5]"}},
      {sweep_with("{type: lhs, points: 8}",
                  "  - {path: population, range: [1000, 5000], values: [1000, 2000]}\n"),
       {"5:53: parameters[0].values: 'range' and 'values' cannot both be given; a parameter has "
        "exactly one of range, values, distribution"}},
      {sweep_with("{type: grid, levels: 4}",
                  "  - path: market.conversion_base\n"
                  "    distribution: {dist: normal, mean: -3, sd: 0.5}\n"),
       {"6:19: parameters[0].distribution: a grid cannot use a distribution (it has no levels); "
        "use 'range' or 'values', or a random, lhs or sobol design"}},
      {"sweep: 1\nscenario: ../scenarios/base.yaml\nmetrics: [loyalty, loyality, reach]\n"
       "design: {type: lhs, points: 8}\nparameters:\n" +
           two_ranges,
       {"3:20: metrics[1]: unknown outcome metric 'loyality' (did you mean 'loyalty'?)",
        "3:30: metrics[2]: unknown outcome metric 'reach' (known: customers, retention, loyalty, "
        "nps, wom_reach, revenue, customer_equity, clv, cost, value, satisfaction, trust, "
        "aware_share, acquisitions, churned)"}},
      {sweep_with("{type: lhs, points: 8}",
                  "  - {path: touchpoints.website.reach, name: reach, range: [0.1, 0.5]}\n"
                  "  - {path: touchpoints.store.reach, name: reach, range: [0.1, 0.5]}\n"),
       {"6:43: parameters[1].name: name 'reach' is already used by parameters[0] (line 5); give "
        "one of them another 'name'"}},
      {"sweep: 2\nscenario: ../scenarios/base.yaml\ndesign: {type: lhs, points: 8}\nparameters:\n" +
           two_ranges,
       {"1:8: sweep: must be 1 (the only sweep file version), got '2'"}},
      {"scenario: ../scenarios/base.yaml\ndesign: {type: lhs, points: 8}\nparameters:\n" +
           two_ranges,
       {"1:1: sweep: required key is missing: the sweep file version, 'sweep: 1'"}},
      {sweep_with("{type: sobol}", two_ranges),
       {"3:9: design.points: required key is missing: the number of points of the sobol design, "
        "e.g. points: 64"}},
      {sweep_with("{type: latin, points: 0}", two_ranges),
       {"3:16: design.type: must be one of grid, random, lhs, sobol, got 'latin'",
        "3:31: design.points: must be a whole number in [1, 1000000], got '0'"}},
      {sweep_with("{type: lhs, points: 8}",
                  "  - {path: population, range: [1000.5, 5000], integer: true}\n"
                  "  - {path: touchpoints..reach, values: [0.1]}\n"
                  "  - {path: word_of_mouth.talk_scale}\n"
                  "  - {path: touchpoints.website.reach, values: [0.1, 0.2], scale: log}\n"),
       {"5:31: parameters[0].range: integer: true needs whole-number ends (at most 2^53 in size), "
        "got [1000.5, 5000]",
        "6:12: parameters[1].path: not a valid key path: it has an empty key",
        "7:5: parameters[2]: needs one of 'range', 'values' or 'distribution'",
        "8:66: parameters[3].scale: only a range has a scale"}},
      {sweep_with("{type: random, points: 8}",
                  "  - path: x\n    distribution: {dist: triangular, min: 1, mode: 0, max: 2}\n"
                  "  - path: y\n    distribution: {dist: lognormal, mean: 0, sd: 1, median: 1}\n"),
       {"6:52: parameters[0].distribution.mode: must lie within [min, max] = [1, 2], got 0",
        "8:43: parameters[1].distribution.mean: must be above 0 for a lognormal (the mean of "
        "the value itself), got 0",
        "8:53: parameters[1].distribution.median: unknown key 'median' (did you mean 'mean'?)"}},
      {"sweep: 1\nscenario: ../scenarios/base.yaml\nreplications: 10\nset: {population: 2000}\n"
       "design: {type: grid, levels: 1000}\nparameters:\n"
       "  - {path: population, range: [1000, 100000]}\n"
       "  - {path: word_of_mouth.talk_scale, range: [0.01, 1]}\n",
       {"7:12: parameters[0].path: 'population' is also fixed by 'set' (line 4); the parameter "
        "would override it, so remove one",
        "5:9: design: 1000000 points x 10 replications = 10000000 runs, more than the limit of "
        "1000000"}},
      {"sweep: 1\nscenario: ../scenarios/base.yaml\ndesign: {type: lhs, points: 8}\n"
       "parameters:\n  - {path: population, range: [1000, 5000]}\n"
       "  - {path: population, range: [1000, 5000]}\n",
       {"6:12: parameters[1].path: 'population' is already varied by parameters[0] (line 5)"}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << ":\n" << cases[i].yaml);
    CHECK(problems_of(d.write(cases[i].yaml)) == cases[i].expected);
  }
}

TEST_CASE("a scenario file is not a sweep", "[sweep]") {
  sweep_dir d;
  const auto file = d.dir / "scenarios" / "base.yaml";
  CHECK(problems_of(file) ==
        std::vector<std::string>{
            "1:1: this is a scenario file, not a sweep; name it in a sweep's 'scenario'"});
}

TEST_CASE("a grid is the full factorial, last parameter fastest", "[sweep]") {
  sweep_dir d;
  const sweep_spec s =
      load_sweep(d.write(sweep_with("{type: grid, levels: 3}",
                                    "  - {path: a, range: [0, 1]}\n"
                                    "  - {path: b, values: [x, 'y z']}\n"
                                    "  - {path: c, range: [1, 100], scale: log}\n"))
                     .string());
  CHECK(s.points == 18);
  const auto design = make_design(s);
  REQUIRE(design.size() == 18);
  CHECK(design[0].values == std::vector<std::string>{"0", "x", "1"});
  CHECK(design[1].values == std::vector<std::string>{"0", "x", "10"});
  CHECK(design[2].values == std::vector<std::string>{"0", "x", "100"});
  CHECK(design[3].values == std::vector<std::string>{"0", "\"y z\"", "1"});
  CHECK(design[6].values == std::vector<std::string>{"0.5", "x", "1"});
  CHECK(design[17].values == std::vector<std::string>{"1", "\"y z\"", "100"});
  CHECK(std::isnan(design[17].numbers[1]));
  CHECK(design[1].numbers[2] == Approx(10));
  for (std::size_t i = 0; i < design.size(); ++i) CHECK(design[i].index == i);

  // An integer range has no more levels than whole numbers, so none repeats.
  const sweep_spec few =
      load_sweep(d.write(sweep_with("{type: grid, levels: 5}",
                                    "  - {path: rounds, range: [1, 3], integer: true}\n"
                                    "  - {path: size, range: [0, 10], integer: true}\n"))
                     .string());
  CHECK(few.points == 15);
  const auto grid = make_design(few);
  REQUIRE(grid.size() == 15);
  CHECK(column(grid, 0) == std::vector<double>{1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3});
  CHECK(grid[1].values[1] == "3");  // 2.5 rounds to 3
  CHECK(grid[4].values[1] == "10");
}

TEST_CASE("a Latin hypercube has one point in each stratum of every dimension", "[sweep]") {
  sweep_dir d;
  const sweep_spec s =
      load_sweep(d.write(sweep_with("{type: lhs, points: 50}", two_ranges)).string());
  const auto u = unit_design(design_type::lhs, 50, 3, s.seed);
  REQUIRE(u.size() == 150);
  for (std::size_t j = 0; j < 3; ++j) {
    std::vector<int> hits(50, 0);
    for (std::size_t i = 0; i < 50; ++i) {
      const double x = u[i * 3 + j];
      REQUIRE(x >= 0);
      REQUIRE(x < 1);
      ++hits[static_cast<std::size_t>(std::floor(x * 50))];
    }
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  }
  // Mapped through a linear range the strata carry over to the values.
  const auto design = make_design(s);
  REQUIRE(design.size() == 50);
  std::vector<int> hits(50, 0);
  for (double x : column(design, 0))
    ++hits[std::min<std::size_t>(49, static_cast<std::size_t>((x - 0.1) / 0.4 * 50))];
  CHECK(std::count(hits.begin(), hits.end(), 1) >= 48);  // rounding at stratum edges
}

TEST_CASE("sampling designs are deterministic for a seed", "[sweep]") {
  sweep_dir d;
  for (const std::string type : {"random", "lhs", "sobol"}) {
    INFO(type);
    const auto with_seed = [&](int seed) {
      return load_sweep(d.write("seed: " + std::to_string(seed) + "\n" +
                                sweep_with("{type: " + type + ", points: 16}", two_ranges))
                            .string());
    };
    const auto a = make_design(with_seed(5));
    const auto again = make_design(with_seed(5));
    const auto other = make_design(with_seed(6));
    REQUIRE(a.size() == 16);
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].values == again[i].values);
      CHECK(a[i].numbers == again[i].numbers);
    }
    const bool differs = column(a, 0) != column(other, 0);
    // Sobol points are not random: the seed does not change them.
    CHECK(differs == (type != "sobol"));
    for (double x : column(a, 0)) CHECK((x >= 0.1 && x <= 0.5));
    for (double x : column(a, 1)) CHECK((x >= 0.01 && x <= 1));
  }
  // A random design's point i does not depend on the number of points.
  const auto few = unit_design(design_type::random, 4, 2, 9);
  const auto many = unit_design(design_type::random, 8, 2, 9);
  CHECK(std::equal(few.begin(), few.end(), many.begin()));
  // Sobol skips the origin: the first point is the centre of the cube.
  CHECK(unit_design(design_type::sobol, 1, 2, 0) == std::vector<double>{0.5, 0.5});
}

TEST_CASE("value_at maps the unit interval onto each kind of parameter", "[sweep]") {
  const double near_one = std::nextafter(1.0, 0.0);
  sweep_parameter range;
  range.low = 0.1;
  range.high = 0.9;
  CHECK(value_at(range, 0) == std::pair<std::string, double>{"0.1", 0.1});
  CHECK(value_at(range, near_one).second == Approx(0.9));
  CHECK(value_at(range, 0.5).first == "0.5");

  sweep_parameter log = range;
  log.low = 0.01;
  log.high = 100;
  log.scale = range_scale::log;
  CHECK(value_at(log, 0).second == 0.01);
  CHECK(value_at(log, 0.5).second == Approx(1));
  CHECK(value_at(log, near_one).second == Approx(100));

  sweep_parameter whole;
  whole.low = 1;
  whole.high = 4;
  whole.integer = true;
  CHECK(value_at(whole, 0) == std::pair<std::string, double>{"1", 1});
  CHECK(value_at(whole, near_one) == std::pair<std::string, double>{"4", 4});
  // Each whole number gets a quarter of the unit interval.
  CHECK(value_at(whole, 0.24).second == 1);
  CHECK(value_at(whole, 0.26).second == 2);
  CHECK(value_at(whole, 0.74).second == 3);
  CHECK(value_at(whole, 0.76).second == 4);
  whole.low = 10000;
  whole.high = 50000;
  CHECK(value_at(whole, 0.123456789).first == "14938");

  sweep_parameter values;
  values.kind = parameter_kind::values;
  values.values = {"a", "b", "c"};
  values.value_numbers = {std::nan(""), std::nan(""), std::nan("")};
  CHECK(value_at(values, 0).first == "a");
  CHECK(value_at(values, 0.34).first == "b");
  CHECK(value_at(values, near_one).first == "c");

  sweep_parameter normal;
  normal.kind = parameter_kind::distribution;
  normal.distribution = {distribution_family::normal, -3, 0.5, 0, 0, 0};
  CHECK(value_at(normal, 0.5).second == Approx(-3));
  CHECK(value_at(normal, 0.975).second == Approx(-3 + 1.959964 * 0.5));
  CHECK(std::isfinite(value_at(normal, 0).second));
  sweep_parameter lognormal = normal;
  lognormal.distribution = {distribution_family::lognormal, 2, 1, 0, 0, 0};
  // Median of a lognormal with mean 2 and sd 1: 2 / sqrt(1 + 1/4).
  CHECK(value_at(lognormal, 0.5).second == Approx(2 / std::sqrt(1.25)));
  sweep_parameter triangular = normal;
  triangular.distribution = {distribution_family::triangular, 0, 0, 0, 1, 4};
  CHECK(value_at(triangular, 0).second == Approx(0).margin(1e-6));
  CHECK(value_at(triangular, 0.25).second == Approx(1));
  CHECK(value_at(triangular, near_one).second == Approx(4).margin(1e-6));
  triangular.integer = true;
  CHECK(value_at(triangular, 0.25).first == "1");
}

TEST_CASE("point overrides carry the fixed set, then each value, and read back", "[sweep]") {
  sweep_dir d;
  const auto file = d.write(sweep_with("{type: random, points: 20}",
                                       "  - {path: touchpoints.website.reach, range: [0.1, 0.3]}\n"
                                       "  - {path: population, range: [1000, 3000], integer: "
                                       "true}\n"
                                       "  - {path: description, values: ['first run', second]}\n") +
                            "set: {time.horizon: 8}\n");
  const sweep_spec s = load_sweep(file.string());
  const auto design = make_design(s);
  REQUIRE(design.size() == 20);
  for (const auto& point : design) {
    const auto overrides = point_overrides(s, point);
    REQUIRE(overrides.size() == 4);
    CHECK(overrides[0].path == "time.horizon");
    CHECK(overrides[0].value == "8");
    for (std::size_t k = 0; k < 2; ++k) {
      const auto& o = overrides[k + 1];
      CHECK(o.path == s.parameters[k].path);
      const auto node = io::parse_override_value(o.value, {});
      double x = 0;
      REQUIRE(io::scalar_to_double(node, x));
      CHECK(x == point.numbers[k]);
    }
    CHECK(overrides[3].value == point.values[2]);
    CHECK(std::isnan(point.numbers[2]));
  }
  CHECK(point_overrides(s, design[17])[2].origin ==
        file.string() + ":6:5 (point 17, parameters[1])");

  // The scenario loader takes them like --set.
  io::load_options options;
  options.overrides = point_overrides(s, design[3]);
  const scenario loaded = io::load_scenario(s.scenario_file, options);
  CHECK(loaded.population == static_cast<std::uint64_t>(design[3].numbers[1]));
  CHECK(loaded.touchpoints[0].reach == design[3].numbers[0]);
  CHECK(loaded.time.horizon == 8);
}
