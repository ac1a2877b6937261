#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cesim/analysis/calibration.hpp"
#include "cesim/error.hpp"
#include "test_support.hpp"

using namespace cesim;
using namespace cesim::analysis;
namespace fs = std::filesystem;

namespace {

/// Every problem as "line:column: key: message", the file name checked and cut off.
std::vector<std::string> problems_of(const fs::path& file,
                                     const observation_options& options = {}) {
  return test::problems_in_file(file, [&] { load_observations(file.string(), options); });
}

std::vector<std::string> problems_in(const std::string& csv,
                                     const observation_options& options = {}) {
  test::temp_dir dir;
  const auto file = dir / "observed.csv";
  test::write_file(file, csv);
  return problems_of(file, options);
}

observed_data observations_in(const test::temp_dir& dir, const std::string& csv,
                              const observation_options& options = {}) {
  const auto file = dir / "observed.csv";
  test::write_file(file, csv);
  return load_observations(file.string(), options);
}

using list = std::vector<std::string>;

}  // namespace

// ---- Parsing --------------------------------------------------------------------------------

TEST_CASE("observations load with steps, segments, comments and quotes", "[calibration]") {
  test::temp_dir dir;
  const auto data = observations_in(dir,
                                    "# weekly panel, exported 2024-03-01\r\n"
                                    "step, metric ,value,segment\r\n"
                                    "\r\n"
                                    "1,customers,120,total\r\n"
                                    "  # a comment between rows\r\n"
                                    "2,\"customers\",\"1.5e2\",\"young \"\"urban\"\"\"\r\n"
                                    "0,loyalty,+0.5,\r\n"
                                    "3,nps, -12.5 ,old\r\n");
  REQUIRE(data.rows.size() == 4);
  CHECK(data.file == (dir / "observed.csv").string());
  CHECK(data.step_key == "step");
  CHECK(data.step_column == 1);
  CHECK(data.segment_column == 4);
  CHECK(data.last_step() == 3);

  CHECK(data.rows[0].step == 1);
  CHECK(data.rows[0].metric == "customers");
  CHECK(data.rows[0].segment == "total");
  CHECK(data.rows[0].value == 120);
  CHECK(data.rows[0].line == 4);
  CHECK(data.rows[1].value == 150);
  CHECK(data.rows[1].segment == "young \"urban\"");
  CHECK(data.rows[2].step == 0);           // the initial state may be observed
  CHECK(data.rows[2].segment == "total");  // an empty segment cell means all segments
  CHECK(data.rows[2].value == 0.5);
  CHECK(data.rows[3].value == -12.5);
  CHECK(data.rows[3].segment == "old");
  CHECK(data.rows[3].line == 8);
}

TEST_CASE("a quoted cell may hold the separator", "[calibration]") {
  test::temp_dir dir;
  const auto data = observations_in(dir,
                                    "metric,\"step\",value,segment\n"
                                    "\"new_customers\",4,\"150\",\"north, coast\"\n");
  REQUIRE(data.rows.size() == 1);
  CHECK(data.rows[0].metric == "new_customers");
  CHECK(data.rows[0].step == 4);
  CHECK(data.rows[0].value == 150);
  CHECK(data.rows[0].segment == "north, coast");
  CHECK(data.step_column == 2);
}

TEST_CASE("dates become steps from the start date, rounded to the nearest step", "[calibration]") {
  test::temp_dir dir;
  observation_options weekly;
  weekly.start_date = "2024-02-26";
  weekly.days_per_step = 7;
  const auto data = observations_in(dir,
                                    "Date,Metric,Value\n"
                                    "2024-02-26,customers,100\n"
                                    "2024-03-04,customers,110\n"
                                    "2024-03-12,customers,125\n"    // 15 days: step 2
                                    "2024-03-14,new_customers,9\n"  // 17 days: step 2 (2.43)
                                    "2024-03-15,aware,900\n"        // 18 days: step 3 (2.57)
                                    "2025-02-24,customers,300\n",   // 364 days, across 29 February
                                    weekly);
  REQUIRE(data.rows.size() == 6);
  CHECK(data.step_key == "date");
  CHECK(data.segment_column == 0);
  CHECK(data.rows[0].step == 0);
  CHECK(data.rows[1].step == 1);
  CHECK(data.rows[2].step == 2);
  CHECK(data.rows[3].step == 2);
  CHECK(data.rows[4].step == 3);
  CHECK(data.rows[5].step == 52);
  CHECK(data.last_step() == 52);

  observation_options daily;
  daily.start_date = "2024-02-26";
  daily.days_per_step = 1;
  CHECK(observations_in(dir, "date,metric,value\n2024-03-01,customers,1\n", daily).rows[0].step ==
        4);
}

TEST_CASE("dates are checked as calendar dates", "[calibration]") {
  CHECK(parse_date("1970-01-01") == 0);
  CHECK(parse_date("1970-01-02") == 1);
  CHECK(parse_date("1969-12-31") == -1);
  CHECK(parse_date("2000-03-01").value() - parse_date("2000-02-28").value() == 2);  // leap
  CHECK(parse_date("1900-03-01").value() - parse_date("1900-02-28").value() == 1);  // not leap
  CHECK(parse_date("2024-02-29"));
  CHECK_FALSE(parse_date("2023-02-29"));
  CHECK_FALSE(parse_date("2024-04-31"));
  CHECK_FALSE(parse_date("2024-13-01"));
  CHECK_FALSE(parse_date("2024-00-10"));
  CHECK_FALSE(parse_date("2024-1-10"));
  CHECK_FALSE(parse_date("2024/01/10"));
  CHECK_FALSE(parse_date("2024-01-10T00:00"));
  CHECK_FALSE(parse_date(""));
}

// ---- Bad input: every problem names line, CSV column and the column's header ---------------

TEST_CASE("an unknown metric is reported with the closest name", "[calibration]") {
  CHECK(problems_in("step,metric,value\n1,custmers,5\n") ==
        list{"2:2: metric: unknown metric 'custmers' (did you mean 'customers'?)"});
  const auto far = problems_in("step,metric,value\n1,market_share_of_wallet,5\n");
  REQUIRE(far.size() == 1);
  CHECK(far[0].rfind("2:2: metric: unknown metric 'market_share_of_wallet' (known: population, "
                     "unaware, prospects, customers,",
                     0) == 0);
}

TEST_CASE("values must be finite numbers", "[calibration]") {
  CHECK(problems_in("step,metric,value\n1,customers,abc\n") ==
        list{"2:3: value: 'abc' is not a number"});
  CHECK(problems_in("step,metric,value\n1,customers,12 000\n") ==
        list{"2:3: value: '12 000' is not a number"});
  CHECK(problems_in("step,metric,value\n1,customers,\n") == list{"2:3: value: the value is empty"});
  CHECK(problems_in("step,metric,value\n1,customers,nan\n2,customers,-inf\n") ==
        list{"2:3: value: the value must be finite, not 'nan'",
             "3:3: value: the value must be finite, not '-inf'"});
}

TEST_CASE("steps must be whole numbers", "[calibration]") {
  CHECK(
      problems_in("metric,step,value\ncustomers,-1,5\ncustomers,1.5,5\ncustomers,4294967296,5\n") ==
      list{"2:2: step: '-1' is not a whole number >= 0",
           "3:2: step: '1.5' is not a whole number >= 0",
           "4:2: step: '4294967296' is not a whole number >= 0"});
}

TEST_CASE("a file has either a step or a date column", "[calibration]") {
  CHECK(problems_in("step,date,metric,value\n1,2024-01-01,customers,5\n") ==
        list{"1:2: date: give either a step or a date column, not both"});
  CHECK(problems_in("metric,value\ncustomers,5\n") ==
        list{"1:0: a step or a date column is required"});
  CHECK(problems_in("step,metric\n1,customers\n") == list{"1:0: a value column is required"});
}

TEST_CASE("dates need a start date and must not precede it", "[calibration]") {
  CHECK(problems_in("metric,date,value\ncustomers,2024-01-08,5\n") ==
        list{"1:2: date: dates need a start date (the date of step 0) to become steps"});
  observation_options options;
  options.start_date = "2024-01-01";
  CHECK(
      problems_in("metric,date,value\ncustomers,2023-12-31,5\ncustomers,2024-02-30,5\n", options) ==
      list{"2:2: date: 2023-12-31 is before the start date 2024-01-01 (step 0)",
           "3:2: date: '2024-02-30' is not a date YYYY-MM-DD"});
}

TEST_CASE("a repeated step, metric and segment is an error", "[calibration]") {
  CHECK(problems_in("step,metric,value\n1,customers,5\n2,customers,6\n1,customers,7\n") ==
        list{"4:1: step: step 1, metric 'customers', segment 'total' is already observed on "
             "line 2"});
  // Different segments, or total and a segment, are different series.
  test::temp_dir dir;
  CHECK(observations_in(dir,
                        "step,metric,value,segment\n1,customers,5,a\n1,customers,5,b\n"
                        "1,customers,10,\n")
            .rows.size() == 3);
  // Dates that round to the same step collide too.
  observation_options options;
  options.start_date = "2024-01-01";
  CHECK(problems_in("date,metric,value\n2024-01-08,nps,5\n2024-01-09,nps,6\n", options) ==
        list{"3:1: date: step 1, metric 'nps', segment 'total' is already observed on line 2"});
}

TEST_CASE("columns other than step, date, metric, value and segment are errors", "[calibration]") {
  CHECK(problems_in("step,metric,value,source\n1,customers,5,survey\n") ==
        list{"1:4: source: unexpected column (known: step, date, metric, value, segment)"});
  CHECK(problems_in("step,metric,vaule\n1,customers,5\n") ==
        list{"1:3: vaule: unexpected column (did you mean 'value'?)",
             "1:0: a value column is required"});
  CHECK(problems_in("step,metric,value,metric\n1,customers,5,nps\n") ==
        list{"1:4: metric: the column appears twice (also column 2)"});
}

TEST_CASE("malformed rows are reported and every problem is collected", "[calibration]") {
  CHECK(problems_in("step,metric,value\n"
                    "1,customers\n"
                    "2,customers,5,extra\n"
                    "3,\"customers,5\n"
                    "4,\"nps\"x,5\n"
                    "5,custmers,five\n") ==
        list{"2:3: the row has 2 cells but the header has 3",
             "3:4: the row has 4 cells but the header has 3",
             "4:2: the quote is not closed on this line", "5:2: text after the closing quote",
             "6:2: metric: unknown metric 'custmers' (did you mean 'customers'?)",
             "6:3: value: 'five' is not a number"});
}

TEST_CASE("a file without a header or without rows is an error", "[calibration]") {
  // A problem of the whole file has no line: "file: message".
  CHECK(problems_in("# nothing yet\n\n") ==
        list{" no header row (expected step or date, metric, value, segment)"});
  CHECK(problems_in("# header only\nstep,metric,value\n") ==
        list{"2:0: no observations after the header"});
}

TEST_CASE("a missing observation file is an input error naming it", "[calibration]") {
  test::temp_dir dir;
  const auto file = (dir / "missing.csv").string();
  try {
    load_observations(file);
    FAIL("no error");
  } catch (const input_error& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].to_string() ==
          file + ": cannot open observations: No such file or directory");
  }
}

TEST_CASE("bad options are programming errors", "[calibration]") {
  test::temp_dir dir;
  test::write_file(dir / "observed.csv", "step,metric,value\n1,customers,5\n");
  observation_options options;
  options.days_per_step = 0;
  CHECK_THROWS_AS(load_observations((dir / "observed.csv").string(), options),
                  std::invalid_argument);
  options.days_per_step = 7;
  options.start_date = "1 March 2024";
  CHECK_THROWS_AS(load_observations((dir / "observed.csv").string(), options),
                  std::invalid_argument);
}

TEST_CASE("segments and steps are checked against the scenario", "[calibration]") {
  test::temp_dir dir;
  const auto data = observations_in(dir,
                                    "segment,step,metric,value\n"
                                    "young,1,customers,5\n"
                                    "total,2,customers,5\n"
                                    "yuong,3,customers,5\n"
                                    "retired,12,customers,5\n");
  const std::string prefix = (dir / "observed.csv").string() + ":";
  CHECK_NOTHROW(check_segments(data, {"young", "yuong", "retired"}));
  try {
    check_segments(data, {"young", "old"});
    FAIL("no error");
  } catch (const input_error& e) {
    REQUIRE(e.problems().size() == 2);
    CHECK(e.problems()[0].to_string() ==
          prefix + "4:1: segment: the scenario has no segment 'yuong' (did you mean 'young'?)");
    CHECK(e.problems()[1].to_string() ==
          prefix +
              "5:1: segment: the scenario has no segment 'retired' (known: young, old, total)");
  }
  CHECK_NOTHROW(check_steps(data, 12));
  try {
    check_steps(data, 10);
    FAIL("no error");
  } catch (const input_error& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].to_string() ==
          prefix + "5:2: step: step 12 is beyond the horizon of the simulation (10 steps)");
  }
}

// ---- Simulated values and distance ----------------------------------------------------------

namespace {

/// Two segments, a and b, over steps 0..2.
run_result two_segment_run(std::uint64_t a1, double loyalty_a1, std::uint64_t b1, double loyalty_b1,
                           std::uint64_t a2, std::uint64_t b2) {
  run_result run;
  run.steps = 2;
  run.segment_names = {"a", "b"};
  run.series.resize(3 * 2);
  const auto set = [&](std::uint32_t step, std::size_t seg, std::uint64_t customers,
                       double loyalty_sum) {
    auto& t = run.series[step * 2 + seg];
    t.population = 100;
    t.customers = customers;
    t.loyalty_sum = loyalty_sum;
  };
  set(0, 0, 0, 0);
  set(0, 1, 0, 0);
  set(1, 0, a1, loyalty_a1);
  set(1, 1, b1, loyalty_b1);
  set(2, 0, a2, 0);
  set(2, 1, b2, 0);
  return run;
}

observation obs(std::uint32_t step, std::string metric, std::string segment, double value,
                int line = 0) {
  return observation{step, std::move(metric), std::move(segment), value, line};
}

}  // namespace

TEST_CASE("simulated values are read per segment and summed for total", "[calibration]") {
  const auto run = two_segment_run(10, 6, 20, 8, 15, 30);
  CHECK(simulated_value(run, obs(1, "customers", "a", 0)) == 10);
  CHECK(simulated_value(run, obs(1, "customers", "b", 0)) == 20);
  CHECK(simulated_value(run, obs(1, "customers", "total", 0)) == 30);
  CHECK(simulated_value(run, obs(2, "customers", "total", 0)) == 45);
  // Means of the total come from summed tallies: (6 + 8) / (10 + 20).
  CHECK(simulated_value(run, obs(1, "loyalty", "total", 0)) == Approx(14.0 / 30));
  CHECK(simulated_value(run, obs(1, "aware", "total", 0)) == 200);
  CHECK(std::isnan(simulated_value(run, obs(0, "loyalty", "a", 0))));  // no customers
  try {
    simulated_value(run, obs(3, "customers", "total", 0, 17));
    FAIL("no error");
  } catch (const std::out_of_range& e) {
    CHECK(std::string(e.what()) ==
          "the observation of line 17 is at step 3, but the run ends at step 2");
  }
  CHECK_THROWS_AS(simulated_value(run, obs(1, "customers", "c", 0)), std::invalid_argument);
  CHECK_THROWS_AS(simulated_value(run, obs(1, "clients", "a", 0)), std::invalid_argument);
}

TEST_CASE("the distance matches a hand computation", "[calibration]") {
  const auto rep1 = two_segment_run(10, 6, 20, 8, 15, 30);
  const auto rep2 = two_segment_run(14, 7, 20, 10, 25, 40);
  observed_data data;
  data.rows = {obs(1, "customers", "total", 30), obs(2, "customers", "total", 50),
               obs(2, "customers", "a", 18), obs(1, "loyalty", "total", 0.5)};
  // customers/total: simulated means 32 and 55, errors 2 and 5, RMSE^2 = 29/2; scale = sd of
  //   (30, 50) = sqrt(200): e^2 = 14.5 / 200.
  // customers/a: mean 20, error 2; one observation, so scale = |18|: e^2 = 4 / 324.
  // loyalty/total: means of 14/30 and 17/34 = 0.4833.., error -1/60; scale 0.5: e^2 = 1/900.
  const double expected = std::sqrt((14.5 / 200 + 4.0 / 324 + 1.0 / 900) / 3);
  CHECK(distance({&rep1, &rep2}, data) == Approx(expected).epsilon(1e-12));

  // An observed series of zeros has scale 1: churned is 0 in the runs, observed 3.
  data.rows.push_back(obs(1, "churned", "total", 0));
  data.rows.push_back(obs(2, "churned", "total", 0));
  data.rows.push_back(obs(1, "churned", "b", 3));
  // churned/total: errors 0 (scale 1, e^2 0); churned/b: error -3, scale 3, e^2 = 1.
  const double with_zeros = std::sqrt((14.5 / 200 + 4.0 / 324 + 1.0 / 900 + 0 + 1) / 5);
  CHECK(distance({&rep1, &rep2}, data) == Approx(with_zeros).epsilon(1e-12));

  // A perfect fit is 0, whatever the units.
  observed_data exact;
  exact.rows = {obs(1, "customers", "total", 30), obs(2, "customers", "total", 45),
                obs(1, "loyalty", "a", 0.6)};
  CHECK(distance({&rep1}, exact) == 0);
}

TEST_CASE("NaN replications are skipped, and all-NaN values make the distance infinite",
          "[calibration]") {
  const auto with_customers = two_segment_run(10, 6, 20, 8, 15, 30);
  const auto without = two_segment_run(0, 0, 20, 8, 15, 30);
  observed_data data;
  data.rows = {obs(1, "loyalty", "a", 0.5)};
  // Only the first replication has customers in a: its loyalty 0.6 is the mean, error 0.1.
  CHECK(distance({&with_customers, &without}, data) == Approx(0.1 / 0.5));
  CHECK(distance({&without}, data) == std::numeric_limits<double>::infinity());
  CHECK_THROWS_AS(distance({}, data), std::invalid_argument);
  CHECK_THROWS_AS(distance({&without}, observed_data{}), std::invalid_argument);
  data.rows = {obs(3, "customers", "a", 1)};
  CHECK_THROWS_AS(distance({&with_customers}, data), std::out_of_range);
}

// ---- ABC mechanics and posterior summaries --------------------------------------------------

TEST_CASE("weighted posterior summaries", "[calibration]") {
  const std::vector<double> values{4, 1, 3, 2};
  const auto equal = summarize_weighted(values, std::vector<double>{1, 1, 1, 1});
  CHECK(equal.mean == Approx(2.5));
  CHECK(equal.sd == Approx(std::sqrt(5.0 / 3)));  // the sample sd
  // Positions of 1, 2, 3, 4 at 1/8, 3/8, 5/8, 7/8: the median is halfway between 2 and 3.
  CHECK(equal.median == Approx(2.5));
  CHECK(equal.q025 == 1);  // below the first position
  CHECK(equal.q975 == 4);
  const auto skewed = summarize_weighted(values, std::vector<double>{0, 1, 0, 3});
  // 1 with weight 1/4 (position 1/8), 2 with 3/4 (position 5/8); 4 and 3 carry no weight.
  CHECK(skewed.mean == Approx(1.75));
  CHECK(skewed.median == Approx(1 + (0.5 - 0.125) / 0.5));
  CHECK(skewed.sd == Approx(std::sqrt(0.1875 / (1 - 0.625))));
  CHECK(summarize_weighted(std::vector<double>{7}, std::vector<double>{2}).sd == 0);
  CHECK_THROWS_AS(summarize_weighted(values, std::vector<double>{1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(summarize_weighted(values, std::vector<double>{0, 0, 0, 0}),
                  std::invalid_argument);
  CHECK_THROWS_AS(summarize_weighted(values, std::vector<double>{1, -1, 1, 1}),
                  std::invalid_argument);
}

TEST_CASE("ABC keeps the best prior draws in round 0", "[calibration]") {
  abc_options options;
  options.particles = 10;
  options.initial_draws = 64;
  options.rounds = 0;
  std::size_t calls = 0;
  const auto result = abc_smc(2, options, [&](const std::vector<double>& points) {
    ++calls;
    std::vector<double> d(points.size() / 2);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = std::abs(points[2 * i] - 0.3);
    return d;
  });
  CHECK(calls == 1);
  CHECK(result.simulations == 64);
  REQUIRE(result.size() == 10);
  REQUIRE(result.rounds.size() == 1);
  CHECK(result.rounds[0].simulations == 64);
  CHECK(result.rounds[0].acceptance_rate == Approx(10.0 / 64));
  CHECK(result.tolerance == result.rounds[0].tolerance);
  for (std::size_t i = 0; i < 10; ++i) {
    CHECK(result.weights[i] == Approx(0.1));
    CHECK(result.distances[i] <= result.tolerance);
    CHECK(result.distances[i] == Approx(std::abs(result.at(i, 0) - 0.3)));
  }
  CHECK(result.best_distance == result.distances[0]);
  CHECK(result.best[0] == result.at(0, 0));
  // With 64 Sobol' points the first coordinate is every multiple of 1/64: 0.296875 is nearest.
  CHECK(result.best_distance == Approx(0.3 - 0.296875));
  const auto summary = summarize_posterior(result, [](std::size_t, double u) { return 10 * u; });
  REQUIRE(summary.size() == 2);
  CHECK(summary[0].mean == Approx(3).margin(0.1));
}

TEST_CASE("an ABC round that runs out of budget ends the algorithm with the last population",
          "[calibration]") {
  abc_options options;
  options.particles = 20;
  options.initial_draws = 100;
  options.rounds = 3;
  options.round_budget = 50;
  std::size_t evaluated = 0;
  const auto result = abc_smc(1, options, [&](const std::vector<double>& points) {
    std::vector<double> d(points.size());
    // After round 0 nothing fits any more (and NaN counts as infinitely far).
    for (std::size_t i = 0; i < d.size(); ++i)
      d[i] = evaluated < 100 ? points[i] : std::numeric_limits<double>::quiet_NaN();
    evaluated += d.size();
    return d;
  });
  REQUIRE(result.rounds.size() == 2);
  CHECK(result.rounds[0].completed);
  CHECK_FALSE(result.rounds[1].completed);
  CHECK(result.rounds[1].accepted == 0);
  CHECK(result.rounds[1].simulations == 50);
  CHECK(result.simulations == 150);
  CHECK(evaluated == 150);
  CHECK(result.tolerance == result.rounds[0].tolerance);
  CHECK(result.size() == 20);
}

TEST_CASE("ABC refuses bad options and wrong answers", "[calibration]") {
  const auto fine = [](const std::vector<double>& p) { return std::vector<double>(p.size(), 1); };
  abc_options options;
  options.particles = 10;
  options.initial_draws = 20;
  CHECK_THROWS_AS(abc_smc(0, options, fine), std::invalid_argument);
  CHECK_THROWS_AS(abc_smc(65, options, fine), std::invalid_argument);
  auto bad = options;
  bad.initial_draws = 5;
  CHECK_THROWS_AS(abc_smc(1, bad, fine), std::invalid_argument);
  bad = options;
  bad.quantile = 1;
  CHECK_THROWS_AS(abc_smc(1, bad, fine), std::invalid_argument);
  bad = options;
  bad.particles = 1;
  bad.initial_draws = 1;
  CHECK_THROWS_AS(abc_smc(1, bad, fine), std::invalid_argument);
  CHECK_THROWS_AS(
      abc_smc(1, options,
              [](const std::vector<double>& p) { return std::vector<double>(p.size() + 1, 1); }),
      std::invalid_argument);
  // Too few finite distances among the prior draws.
  CHECK_THROWS_AS(abc_smc(1, options,
                          [](const std::vector<double>& p) {
                            return std::vector<double>(p.size(),
                                                       std::numeric_limits<double>::infinity());
                          }),
                  std::runtime_error);
}
