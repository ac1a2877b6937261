// ABC-SMC against known answers: a posterior known in closed form, and a deterministic curve
// fit whose true parameters must be recovered through the observed-data path (CSV, distance).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cesim/analysis/calibration.hpp"
#include "test_support.hpp"

using namespace cesim;
using namespace cesim::analysis;

namespace {

/// Standard normal by Box-Muller, so the test data are the same on every standard library.
double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - static_cast<double>(rng() >> 11) * 0x1.0p-53;
  const double u2 = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// The normal-mean model: data are n = 20 draws of N(theta, 1), summarised by their mean, which
/// is sufficient, so the ABC posterior tends to the exact one as the tolerance goes to 0. With
/// a flat prior on [-5, 5] (far wider than the posterior) the exact posterior is
/// N(observed mean, 1 / sqrt(20)).
struct normal_mean_model {
  static constexpr int n = 20;
  double observed_mean = 0;
  std::uint64_t evaluations = 0;  ///< seeds each simulation: fresh noise, reproducible

  explicit normal_mean_model(double true_theta) {
    std::mt19937_64 rng(2024);
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += true_theta + standard_normal(rng);
    observed_mean = sum / n;
  }
  static double theta_of(double u) { return -5 + 10 * u; }

  std::vector<double> operator()(const std::vector<double>& points) {
    std::vector<double> d(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      std::mt19937_64 rng(1000003 + evaluations++);
      const double simulated_mean =
          theta_of(points[i]) + standard_normal(rng) / std::sqrt(double{n});
      d[i] = std::abs(simulated_mean - observed_mean);
    }
    return d;
  }
};

std::string rounds_text(const abc_result& result) {
  std::string text;
  for (const auto& r : result.rounds)
    text += "round: tolerance " + std::to_string(r.tolerance) + ", " +
            std::to_string(r.simulations) + " simulations, rate " +
            std::to_string(r.acceptance_rate) + ", ESS " + std::to_string(r.effective_sample_size) +
            (r.completed ? "\n" : ", abandoned\n");
  return text;
}

abc_result run_normal_mean(normal_mean_model& model, std::uint64_t seed) {
  abc_options options;
  options.particles = 1000;
  options.initial_draws = 4000;
  options.rounds = 5;
  options.seed = seed;
  return abc_smc(1, options, [&](const std::vector<double>& p) { return model(p); });
}

}  // namespace

TEST_CASE("ABC-SMC recovers the analytic posterior of a normal mean", "[calibration]") {
  normal_mean_model model(1.3);
  const auto result = run_normal_mean(model, 7);
  const double exact_sd = 1 / std::sqrt(20.0);
  const auto summary = summarize_posterior(
      result, [](std::size_t, double u) { return normal_mean_model::theta_of(u); })[0];
  INFO("observed mean " << model.observed_mean << ", posterior mean " << summary.mean << ", sd "
                        << summary.sd << " (exact " << exact_sd << "), final tolerance "
                        << result.tolerance << ", simulations " << result.simulations);
  INFO(rounds_text(result));
  REQUIRE(result.rounds.size() == 6);
  for (const auto& r : result.rounds) CHECK(r.completed);
  // Tolerances shrink round after round.
  for (std::size_t t = 1; t < result.rounds.size(); ++t)
    CHECK(result.rounds[t].tolerance < result.rounds[t - 1].tolerance);
  // Accepting |simulated - observed| <= eps widens the posterior to variance sd^2 + eps^2 / 3,
  // so a final tolerance well under the sd is needed for the sd check to be meaningful.
  CHECK(result.tolerance < 0.5 * exact_sd);
  CHECK(std::abs(summary.mean - model.observed_mean) < 0.05);
  CHECK(summary.sd == Approx(exact_sd).epsilon(0.25));
  // The central 95% interval: mean -+ 1.96 sd.
  CHECK(summary.q025 == Approx(model.observed_mean - 1.96 * exact_sd).margin(0.1));
  CHECK(summary.q975 == Approx(model.observed_mean + 1.96 * exact_sd).margin(0.1));
  CHECK(summary.median == Approx(model.observed_mean).margin(0.05));
  CHECK(std::abs(normal_mean_model::theta_of(result.best[0]) - model.observed_mean) <
        result.best_distance + 4 * exact_sd);
}

TEST_CASE("ABC-SMC is deterministic for a seed", "[calibration]") {
  normal_mean_model first(1.3);
  normal_mean_model second(1.3);
  normal_mean_model other(1.3);
  const auto a = run_normal_mean(first, 11);
  const auto b = run_normal_mean(second, 11);
  const auto c = run_normal_mean(other, 12);
  CHECK(a.particles == b.particles);
  CHECK(a.weights == b.weights);
  CHECK(a.distances == b.distances);
  CHECK(a.simulations == b.simulations);
  CHECK(a.best == b.best);
  REQUIRE(a.rounds.size() == b.rounds.size());
  for (std::size_t t = 0; t < a.rounds.size(); ++t) {
    CHECK(a.rounds[t].tolerance == b.rounds[t].tolerance);
    CHECK(a.rounds[t].simulations == b.rounds[t].simulations);
  }
  // Round 0 does not use the seed; later rounds do.
  CHECK(a.rounds[0].tolerance == c.rounds[0].tolerance);
  CHECK(a.particles != c.particles);
}

namespace {

/// The discrete Bass model F_t = F_{t-1} + (p + q F_{t-1}) (1 - F_{t-1}), F_0 = 0, as a run of
/// one segment of a million people: customers = adopters, new_customers = adoptions.
run_result bass_run(double p, double q, std::uint32_t steps) {
  constexpr double people = 1e6;
  run_result run;
  run.steps = steps;
  run.segment_names = {"market"};
  run.series.resize(steps + 1);
  double f = 0;
  std::uint64_t previous = 0;
  for (std::uint32_t t = 0; t <= steps; ++t) {
    if (t > 0) f += (p + q * f) * (1 - f);
    auto& tally = run.series[t];
    tally.population = static_cast<std::uint64_t>(people);
    tally.customers = static_cast<std::uint64_t>(std::llround(people * f));
    tally.new_customers = tally.customers - previous;
    previous = tally.customers;
  }
  return run;
}

constexpr double p_low = 0.001, p_high = 0.05;
constexpr double q_low = 0.05, q_high = 0.8;
double p_of(double u) {
  return p_low + u * (p_high - p_low);
}
double q_of(double u) {
  return q_low + u * (q_high - q_low);
}

}  // namespace

TEST_CASE("ABC-SMC recovers the Bass diffusion parameters from observed series", "[calibration]") {
  constexpr double true_p = 0.01, true_q = 0.4;
  constexpr std::uint32_t steps = 40;
  // Observations as a user would give them: a CSV of two series in different units.
  const run_result truth = bass_run(true_p, true_q, steps);
  std::string csv = "step,metric,value,segment\n";
  for (std::uint32_t t = 1; t <= steps; ++t) {
    csv +=
        std::to_string(t) + ",customers," + std::to_string(truth.series[t].customers) + ",total\n";
    csv += std::to_string(t) + ",new_customers," + std::to_string(truth.series[t].new_customers) +
           ",market\n";
  }
  test::temp_dir dir;
  test::write_file(dir / "adoption.csv", csv);
  const auto data = load_observations((dir / "adoption.csv").string());
  REQUIRE(data.rows.size() == 2 * steps);
  check_segments(data, truth.segment_names);
  check_steps(data, steps);

  abc_options options;
  options.particles = 500;
  options.initial_draws = 2000;
  options.rounds = 6;
  options.seed = 3;
  const auto result = abc_smc(2, options, [&](const std::vector<double>& points) {
    std::vector<double> d(points.size() / 2);
    for (std::size_t i = 0; i < d.size(); ++i) {
      const run_result run = bass_run(p_of(points[2 * i]), q_of(points[2 * i + 1]), steps);
      d[i] = distance({&run}, data);
    }
    return d;
  });
  const auto summary = summarize_posterior(
      result, [](std::size_t k, double u) { return k == 0 ? p_of(u) : q_of(u); });
  const auto& p = summary[0];
  const auto& q = summary[1];
  INFO("p: median " << p.median << " [" << p.q025 << ", " << p.q975 << "]; q: median " << q.median
                    << " [" << q.q025 << ", " << q.q975 << "]; tolerance " << result.tolerance
                    << ", simulations " << result.simulations);
  INFO(rounds_text(result));
  REQUIRE(result.rounds.size() == 7);
  CHECK(result.rounds.back().completed);
  CHECK(p.median == Approx(true_p).epsilon(0.10));
  CHECK(q.median == Approx(true_q).epsilon(0.10));
  CHECK(p.q025 <= true_p);
  CHECK(true_p <= p.q975);
  CHECK(q.q025 <= true_q);
  CHECK(true_q <= q.q975);
  // The best point ever seen is close to the truth: the model is deterministic.
  CHECK(p_of(result.best[0]) == Approx(true_p).epsilon(0.05));
  CHECK(q_of(result.best[1]) == Approx(true_q).epsilon(0.05));
}
