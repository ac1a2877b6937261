// Global sensitivity analysis against theory: Sobol' indices of the Ishigami function, whose
// indices are known in closed form, and Morris elementary effects of functions whose effects are
// known exactly.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "cesim/analysis/sensitivity.hpp"
#include "cesim/analysis/sobol_sequence.hpp"

using namespace cesim;

namespace {

using unit_function = std::function<double(std::span<const double>)>;

/// One output per design row.
std::vector<double> evaluate(const std::vector<double>& points, std::size_t d,
                             const unit_function& f) {
  std::vector<double> outputs(points.size() / d);
  for (std::size_t k = 0; k < outputs.size(); ++k)
    outputs[k] = f(std::span<const double>(points.data() + k * d, d));
  return outputs;
}

constexpr double ishigami_a = 7;
constexpr double ishigami_b = 0.1;

/// f = sin x1 + a sin^2 x2 + b x3^4 sin x1 with x_i uniform on [-pi, pi], from unit inputs.
double ishigami(std::span<const double> u) {
  const double pi = std::numbers::pi;
  const double x1 = -pi + 2 * pi * u[0], x2 = -pi + 2 * pi * u[1], x3 = -pi + 2 * pi * u[2];
  const double s2 = std::sin(x2);
  return std::sin(x1) + ishigami_a * s2 * s2 + ishigami_b * std::pow(x3, 4) * std::sin(x1);
}

struct exact_indices {
  std::array<double, 3> first;
  std::array<double, 3> total;
};

/// Closed-form partial variances of the Ishigami function (Ishigami & Homma 1990; Saltelli et
/// al. 2008, Global Sensitivity Analysis: The Primer, sec. 4.8): V1 = (1 + b pi^4 / 5)^2 / 2,
/// V2 = a^2 / 8, V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50), and no other interactions.
exact_indices ishigami_exact(double a, double b) {
  const double pi4 = std::pow(std::numbers::pi, 4), pi8 = pi4 * pi4;
  const double v1 = 0.5 * (1 + b * pi4 / 5) * (1 + b * pi4 / 5);
  const double v2 = a * a / 8;
  const double v13 = b * b * pi8 * (1.0 / 18 - 1.0 / 50);
  const double v = v1 + v2 + v13;
  // The partial variances add up to the total variance a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2.
  CHECK(v == Approx(a * a / 8 + b * pi4 / 5 + b * b * pi8 / 18 + 0.5));
  return {{v1 / v, v2 / v, 0.0}, {(v1 + v13) / v, v2 / v, v13 / v}};
}

}  // namespace

// ---- Sobol' indices ------------------------------------------------------------------------

TEST_CASE("the Saltelli design is laid out as documented", "[sensitivity]") {
  const std::size_t d = 4, n = 16;
  const std::uint64_t skip = 3;
  const auto design = analysis::make_saltelli_design(d, n, skip);
  CHECK(design.dimensions == d);
  CHECK(design.base_samples == n);
  REQUIRE(design.points.size() == n * (d + 2) * d);
  const auto sobol = analysis::sobol_points(n, 2 * d, skip);
  auto at = [&](std::size_t row, std::size_t col) { return design.points[row * d + col]; };
  bool ok = true;
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t c = 0; c < d; ++c) {
      const double a = sobol[j * 2 * d + c], b = sobol[j * 2 * d + d + c];
      ok = ok && at(j, c) == a && at(n + j, c) == b;
      // AB_i is A with column i from B.
      for (std::size_t i = 0; i < d; ++i) ok = ok && at((2 + i) * n + j, c) == (c == i ? b : a);
    }
  CHECK(ok);
  CHECK(analysis::make_saltelli_design(d, n).points != design.points);  // default skip is 1
}

TEST_CASE("Sobol' indices of the Ishigami function match the analytic values", "[sensitivity]") {
  const auto exact = ishigami_exact(ishigami_a, ishigami_b);
  // The rounded values published by Saltelli et al. (2008).
  CHECK(exact.first[0] == Approx(0.3139).margin(1e-4));
  CHECK(exact.first[1] == Approx(0.4424).margin(1e-4));
  CHECK(exact.total[0] == Approx(0.5576).margin(1e-4));
  CHECK(exact.total[2] == Approx(0.2437).margin(1e-4));

  struct level {
    std::size_t n;
    double tolerance;
    bool intervals;
  };
  for (const level l : {level{1u << 13, 0.02, true}, level{1u << 10, 0.06, false}}) {
    const auto design = analysis::make_saltelli_design(3, l.n);
    const auto outputs = evaluate(design.points, 3, ishigami);
    const auto indices = analysis::sobol_indices(design, outputs);
    REQUIRE(indices.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& s = indices[i];
      INFO("N = " << l.n << ", x" << i + 1 << ": S = " << s.first << " [" << s.first_ci_low << ", "
                  << s.first_ci_high << "] (exact " << exact.first[i] << "), ST = " << s.total
                  << " [" << s.total_ci_low << ", " << s.total_ci_high << "] (exact "
                  << exact.total[i] << ")");
      CHECK(std::abs(s.first - exact.first[i]) < l.tolerance);
      CHECK(std::abs(s.total - exact.total[i]) < l.tolerance);
      CHECK(s.first_ci_low <= s.first);
      CHECK(s.first <= s.first_ci_high);
      CHECK(s.total_ci_low <= s.total);
      CHECK(s.total <= s.total_ci_high);
      if (l.intervals) {
        CHECK(s.first_ci_low <= exact.first[i]);
        CHECK(exact.first[i] <= s.first_ci_high);
        CHECK(s.total_ci_low <= exact.total[i]);
        CHECK(exact.total[i] <= s.total_ci_high);
      }
    }
  }
}

TEST_CASE("Sobol' indices are deterministic and ignore a constant offset", "[sensitivity]") {
  const auto design = analysis::make_saltelli_design(3, 1024);
  const auto outputs = evaluate(design.points, 3, ishigami);
  const auto first = analysis::sobol_indices(design, outputs, 200, 5);
  const auto again = analysis::sobol_indices(design, outputs, 200, 5);
  const auto other_seed = analysis::sobol_indices(design, outputs, 200, 6);
  auto shifted = outputs;
  for (double& y : shifted) y += 1e6;
  const auto offset = analysis::sobol_indices(design, shifted, 200, 5);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(again[i].first == first[i].first);
    CHECK(again[i].first_ci_low == first[i].first_ci_low);
    CHECK(again[i].total_ci_high == first[i].total_ci_high);
    // The seed moves only the intervals.
    CHECK(other_seed[i].first == first[i].first);
    CHECK(other_seed[i].first_ci_low != first[i].first_ci_low);
    // Centring keeps a large mean from cancelling: the offset changes nothing but rounding.
    CHECK(offset[i].first == Approx(first[i].first).margin(1e-6));
    CHECK(offset[i].total == Approx(first[i].total).margin(1e-6));
    CHECK(offset[i].first_ci_high == Approx(first[i].first_ci_high).margin(1e-6));
  }
  // Without resamples there are no intervals.
  const auto bare = analysis::sobol_indices(design, outputs, 0);
  CHECK(bare[0].first == first[0].first);
  CHECK(std::isnan(bare[0].first_ci_low));
  CHECK(std::isnan(bare[0].total_ci_high));
}

TEST_CASE("Sobol' indices of an additive function have no interactions", "[sensitivity]") {
  // f = sum c_i u_i: S_i = ST_i = c_i^2 / sum c^2; an unused input has S = ST = 0.
  const std::array<double, 4> c{3, -2, 1, 0};
  const auto design = analysis::make_saltelli_design(4, 1024);
  const auto outputs = evaluate(design.points, 4, [&](std::span<const double> u) {
    return c[0] * u[0] + c[1] * u[1] + c[2] * u[2];
  });
  const auto indices = analysis::sobol_indices(design, outputs, 0);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(indices[i].first == Approx(c[i] * c[i] / 14).margin(0.01));
    CHECK(indices[i].total == Approx(c[i] * c[i] / 14).margin(0.01));
  }
  CHECK(indices[3].total == 0);  // f(AB_3) = f(A) exactly
}

TEST_CASE("Sobol' indices refuse mismatched or non-finite outputs", "[sensitivity]") {
  const auto design = analysis::make_saltelli_design(2, 8);
  std::vector<double> outputs(8 * 4, 1.0);
  outputs[3] = 2;
  CHECK_THROWS_AS(analysis::sobol_indices(design, std::span(outputs).first(31)),
                  std::invalid_argument);
  auto bad = outputs;
  bad[17] = std::nan("");
  CHECK_THROWS_WITH(analysis::sobol_indices(design, bad),
                    Catch::Contains("row 17") && Catch::Contains("NaN"));
  bad[17] = HUGE_VAL;
  CHECK_THROWS_WITH(analysis::sobol_indices(design, bad), Catch::Contains("row 17"));
  auto truncated = design;
  truncated.points.pop_back();
  CHECK_THROWS_AS(analysis::sobol_indices(truncated, outputs), std::invalid_argument);
  // A constant output has no variance to share out.
  const std::vector<double> constant(8 * 4, 5.0);
  const auto none = analysis::sobol_indices(design, constant, 10);
  CHECK(std::isnan(none[0].first));
  CHECK(std::isnan(none[1].total_ci_high));

  CHECK_THROWS_AS(analysis::make_saltelli_design(0, 8), std::invalid_argument);
  CHECK_THROWS_AS(analysis::make_saltelli_design(analysis::sobol_max_dimensions() / 2 + 1, 8),
                  std::invalid_argument);
  CHECK_THROWS_AS(analysis::make_saltelli_design(2, 1), std::invalid_argument);
  CHECK(analysis::make_saltelli_design(analysis::sobol_max_dimensions() / 2, 4).points.size() ==
        4 * (analysis::sobol_max_dimensions() / 2 + 2) * (analysis::sobol_max_dimensions() / 2));
}

// ---- Morris --------------------------------------------------------------------------------

TEST_CASE("Morris trajectories move one coordinate at a time by Delta on the grid",
          "[sensitivity]") {
  const std::size_t d = 5, r = 20, p = 4;
  const auto design = analysis::make_morris_design(d, r, p, 7);
  CHECK(design.dimensions == d);
  CHECK(design.trajectories == r);
  CHECK(design.levels == p);
  REQUIRE(design.points.size() == r * (d + 1) * d);
  const double delta = static_cast<double>(p) / (2.0 * static_cast<double>(p - 1));  // 2/3
  bool on_grid = true, one_step = true;
  for (double x : design.points) {
    const double level = x * static_cast<double>(p - 1);
    on_grid = on_grid && x >= 0 && x <= 1 && std::abs(level - std::round(level)) < 1e-12;
  }
  for (std::size_t t = 0; t < r; ++t) {
    std::vector<int> moves(d, 0);
    for (std::size_t k = 1; k <= d; ++k) {
      const double* x = design.points.data() + (t * (d + 1) + k) * d;
      const double* prev = x - d;
      int changed = 0;
      for (std::size_t i = 0; i < d; ++i)
        if (x[i] != prev[i]) {
          ++changed;
          ++moves[i];
          one_step = one_step && std::abs(std::abs(x[i] - prev[i]) - delta) < 1e-12;
        }
      one_step = one_step && changed == 1;
    }
    one_step = one_step && std::all_of(moves.begin(), moves.end(), [](int m) { return m == 1; });
  }
  CHECK(on_grid);
  CHECK(one_step);

  CHECK(analysis::make_morris_design(d, r, p, 7).points == design.points);
  CHECK(analysis::make_morris_design(d, r, p, 8).points != design.points);
  // Two levels: Delta = 1, every coordinate at 0 or 1.
  const auto corners = analysis::make_morris_design(3, 4, 2, 1);
  CHECK(std::all_of(corners.points.begin(), corners.points.end(),
                    [](double x) { return x == 0 || x == 1; }));
  CHECK_THROWS_AS(analysis::make_morris_design(3, 4, 5, 1), std::invalid_argument);
  CHECK_THROWS_AS(analysis::make_morris_design(3, 4, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(analysis::make_morris_design(0, 4, 4, 1), std::invalid_argument);
  CHECK_THROWS_AS(analysis::make_morris_design(3, 0, 4, 1), std::invalid_argument);
}

TEST_CASE("Morris effects of a linear function are its coefficients", "[sensitivity]") {
  // Every elementary effect of f = sum c_i u_i is c_i: mu = c_i, mu* = |c_i|, sigma = 0, and the
  // bootstrap interval collapses onto mu*. The last input is not used: its effects are exactly 0.
  const std::array<double, 4> c{2, -1, 0.5, 0};
  const auto design = analysis::make_morris_design(4, 10, 4, 11);
  const auto outputs = evaluate(design.points, 4, [&](std::span<const double> u) {
    return c[0] * u[0] + c[1] * u[1] + c[2] * u[2];
  });
  const auto indices = analysis::morris_indices(design, outputs, 100, 3);
  REQUIRE(indices.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("x" << i + 1);
    CHECK(indices[i].mu == Approx(c[i]).margin(1e-12));
    CHECK(indices[i].mu_star == Approx(std::abs(c[i])).margin(1e-12));
    CHECK(indices[i].sigma == Approx(0).margin(1e-12));
    CHECK(indices[i].mu_star_ci_low == Approx(std::abs(c[i])).margin(1e-12));
    CHECK(indices[i].mu_star_ci_high == Approx(std::abs(c[i])).margin(1e-12));
  }
  CHECK(indices[3].mu_star == 0);
  CHECK(indices[3].sigma == 0);
  CHECK(indices[3].mu_star_ci_high == 0);
}

TEST_CASE("Morris sigma reveals interactions and only those", "[sensitivity]") {
  // f = u1 + 3 u2 u3: the effect of u1 is always 1; that of u2 is 3 u3 and that of u3 is 3 u2,
  // which vary with the other input. Every row's coordinates are uniform on the 4 levels, so
  // mu* of u2 tends to 3 E[u] = 1.5 and sigma to 3 sd(u) = 3 sqrt(5/36) = 1.118. u4 is unused.
  const std::size_t r = 200;
  const auto design = analysis::make_morris_design(4, r, 4, 21);
  const auto outputs =
      evaluate(design.points, 4, [](std::span<const double> u) { return u[0] + 3 * u[1] * u[2]; });
  const auto indices = analysis::morris_indices(design, outputs, 500, 2);
  CHECK(indices[0].mu_star == Approx(1).margin(1e-12));
  CHECK(indices[0].sigma == Approx(0).margin(1e-12));
  for (std::size_t i : {1u, 2u}) {
    INFO("x" << i + 1 << ": mu* " << indices[i].mu_star << ", sigma " << indices[i].sigma);
    CHECK(indices[i].mu_star == Approx(1.5).margin(0.3));
    CHECK(indices[i].mu == indices[i].mu_star);  // all effects are >= 0
    CHECK(indices[i].sigma == Approx(3 * std::sqrt(5.0 / 36)).margin(0.3));
    CHECK(indices[i].mu_star_ci_low < indices[i].mu_star);
    CHECK(indices[i].mu_star < indices[i].mu_star_ci_high);
  }
  CHECK(indices[3].mu_star == 0);
  CHECK(indices[3].sigma == 0);
  // Deterministic for a seed.
  const auto again = analysis::morris_indices(design, outputs, 500, 2);
  CHECK(again[1].mu_star_ci_low == indices[1].mu_star_ci_low);
  CHECK(again[2].mu_star_ci_high == indices[2].mu_star_ci_high);
}

TEST_CASE("Morris indices refuse mismatched designs and non-finite outputs", "[sensitivity]") {
  const auto design = analysis::make_morris_design(3, 5, 4, 1);
  const std::vector<double> outputs(5 * 4, 1.0);
  CHECK_THROWS_AS(analysis::morris_indices(design, std::span(outputs).first(19)),
                  std::invalid_argument);
  auto bad = outputs;
  bad[6] = std::nan("");
  CHECK_THROWS_WITH(analysis::morris_indices(design, bad),
                    Catch::Contains("row 6") && Catch::Contains("NaN"));
  // A row that moves two coordinates at once is not a Morris step.
  auto tampered = design;
  tampered.points[1 * 3 + 0] = 0.123;
  tampered.points[1 * 3 + 1] = 0.456;
  tampered.points[1 * 3 + 2] = 0.789;
  CHECK_THROWS_WITH(analysis::morris_indices(tampered, outputs), Catch::Contains("row 1"));
  auto truncated = design;
  truncated.points.pop_back();
  CHECK_THROWS_AS(analysis::morris_indices(truncated, outputs), std::invalid_argument);
  // A single trajectory has no spread, and no interval without resamples.
  const auto one = analysis::make_morris_design(3, 1, 4, 1);
  const auto single = analysis::morris_indices(one, std::vector<double>(4, 0.0), 0);
  CHECK(std::isnan(single[0].sigma));
  CHECK(std::isnan(single[0].mu_star_ci_low));
}
