#include "cesim/analysis/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "cesim/analysis/sobol_sequence.hpp"

namespace cesim::analysis {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// Uniform on 0..n-1 without modulo bias. Written out because std::uniform_int_distribution is
/// implementation-defined, and designs and intervals must not change with the standard library.
std::size_t below(std::mt19937_64& rng, std::size_t n) {
  // Values under 2^64 mod n are rejected, so the rest is a whole number of copies of 0..n-1.
  const std::uint64_t range = n;
  const std::uint64_t reject_under = (std::uint64_t{0} - range) % range;
  for (;;) {
    const std::uint64_t x = rng();
    if (x >= reject_under) return static_cast<std::size_t>(x % range);
  }
}

/// Percentile q of the values (linear interpolation between order statistics, Hyndman & Fan
/// 1996 type 7, as R's and NumPy's defaults). Sorts the values.
double percentile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

constexpr double ci_low_q = 0.025;
constexpr double ci_high_q = 0.975;

void check_outputs(const char* who, std::span<const double> outputs, std::size_t rows) {
  if (outputs.size() != rows)
    throw std::invalid_argument(std::string(who) + ": the design has " + std::to_string(rows) +
                                " rows but there are " + std::to_string(outputs.size()) +
                                " outputs");
  for (std::size_t k = 0; k < rows; ++k)
    if (!std::isfinite(outputs[k]))
      throw std::invalid_argument(std::string(who) + ": the output of design row " +
                                  std::to_string(k) + " is " +
                                  (std::isnan(outputs[k]) ? "NaN" : "infinite"));
}

}  // namespace

// ---- Morris --------------------------------------------------------------------------------

morris_design make_morris_design(std::size_t dimensions, std::size_t trajectories,
                                 std::size_t levels, std::uint64_t seed) {
  if (dimensions == 0) throw std::invalid_argument("make_morris_design: no dimensions");
  if (trajectories == 0) throw std::invalid_argument("make_morris_design: no trajectories");
  // Only an even p makes Delta = p / (2 (p - 1)) a whole number (p / 2) of grid steps, which
  // gives every level the same probability (Morris 1991).
  if (levels < 2 || levels % 2 != 0)
    throw std::invalid_argument("make_morris_design: levels must be even and at least 2, not " +
                                std::to_string(levels));
  const std::size_t d = dimensions;
  const std::size_t half = levels / 2;  // Delta in grid steps
  const auto grid = static_cast<double>(levels - 1);

  morris_design design{dimensions, trajectories, levels, {}};
  design.points.resize(trajectories * (d + 1) * d);
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> level(d);
  std::vector<bool> up(d);
  std::vector<std::size_t> order(d);
  for (std::size_t t = 0; t < trajectories; ++t) {
    for (std::size_t i = 0; i < d; ++i) level[i] = below(rng, half);
    for (std::size_t i = 0; i < d; ++i) {
      up[i] = (rng() >> 63) != 0;
      // Going down starts at the upper end of the step, so both ends stay on the grid.
      if (!up[i]) level[i] += half;
    }
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t i = d; i > 1; --i) std::swap(order[i - 1], order[below(rng, i)]);

    double* row = design.points.data() + t * (d + 1) * d;
    for (std::size_t k = 0; k <= d; ++k, row += d) {
      if (k > 0) {
        const std::size_t i = order[k - 1];
        level[i] = up[i] ? level[i] + half : level[i] - half;
      }
      for (std::size_t i = 0; i < d; ++i) row[i] = static_cast<double>(level[i]) / grid;
    }
  }
  return design;
}

std::vector<morris_index> morris_indices(const morris_design& design,
                                         std::span<const double> outputs, std::size_t bootstrap,
                                         std::uint64_t seed) {
  const std::size_t d = design.dimensions;
  const std::size_t r = design.trajectories;
  if (d == 0 || r == 0) throw std::invalid_argument("morris_indices: empty design");
  const std::size_t rows = r * (d + 1);
  if (design.points.size() != rows * d)
    throw std::invalid_argument("morris_indices: the design has " +
                                std::to_string(design.points.size()) + " coordinates, not " +
                                std::to_string(rows * d));
  check_outputs("morris_indices", outputs, rows);

  // ee[t * d + i]: the elementary effect of parameter i in trajectory t.
  std::vector<double> ee(r * d, nan);
  for (std::size_t t = 0; t < r; ++t)
    for (std::size_t k = 1; k <= d; ++k) {
      const std::size_t row = t * (d + 1) + k;
      const double* x = design.points.data() + row * d;
      const double* prev = x - d;
      std::size_t moved = d;
      for (std::size_t i = 0; i < d; ++i)
        if (x[i] != prev[i]) {
          if (moved != d)
            throw std::invalid_argument("morris_indices: design row " + std::to_string(row) +
                                        " differs from the previous row in more than one "
                                        "coordinate");
          moved = i;
        }
      if (moved == d || !std::isnan(ee[t * d + moved]))
        throw std::invalid_argument("morris_indices: design row " + std::to_string(row) +
                                    " does not move a coordinate not yet moved in its trajectory");
      ee[t * d + moved] = (outputs[row] - outputs[row - 1]) / (x[moved] - prev[moved]);
    }

  std::vector<morris_index> result(d);
  const auto rd = static_cast<double>(r);
  for (std::size_t i = 0; i < d; ++i) {
    double sum = 0, sum_abs = 0;
    for (std::size_t t = 0; t < r; ++t) {
      sum += ee[t * d + i];
      sum_abs += std::abs(ee[t * d + i]);
    }
    morris_index& m = result[i];
    m.mu = sum / rd;
    m.mu_star = sum_abs / rd;
    double squares = 0;
    for (std::size_t t = 0; t < r; ++t) squares += (ee[t * d + i] - m.mu) * (ee[t * d + i] - m.mu);
    m.sigma = r > 1 ? std::sqrt(squares / (rd - 1)) : nan;
    m.mu_star_ci_low = m.mu_star_ci_high = nan;
  }
  if (bootstrap == 0) return result;

  // Whole trajectories are resampled: a trajectory's effects share its random base point.
  std::mt19937_64 rng(seed);
  std::vector<std::vector<double>> mu_star(d, std::vector<double>(bootstrap));
  std::vector<double> sum_abs(d);
  for (std::size_t b = 0; b < bootstrap; ++b) {
    std::fill(sum_abs.begin(), sum_abs.end(), 0.0);
    for (std::size_t draw = 0; draw < r; ++draw) {
      const std::size_t t = below(rng, r);
      for (std::size_t i = 0; i < d; ++i) sum_abs[i] += std::abs(ee[t * d + i]);
    }
    for (std::size_t i = 0; i < d; ++i) mu_star[i][b] = sum_abs[i] / rd;
  }
  for (std::size_t i = 0; i < d; ++i) {
    result[i].mu_star_ci_low = percentile(mu_star[i], ci_low_q);
    result[i].mu_star_ci_high = percentile(mu_star[i], ci_high_q);
  }
  return result;
}

// ---- Sobol' indices ------------------------------------------------------------------------

saltelli_design make_saltelli_design(std::size_t dimensions, std::size_t base_samples,
                                     std::uint64_t skip) {
  const std::size_t max = sobol_max_dimensions() / 2;
  if (dimensions == 0 || dimensions > max)
    throw std::invalid_argument("make_saltelli_design: dimensions must be 1.." +
                                std::to_string(max) + ", not " + std::to_string(dimensions));
  if (base_samples < 2)
    throw std::invalid_argument("make_saltelli_design: at least 2 base samples are needed");
  const std::size_t d = dimensions;
  const std::size_t n = base_samples;
  const std::vector<double> sobol = sobol_points(n, 2 * d, skip);

  saltelli_design design{dimensions, base_samples, {}};
  design.points.resize(n * (d + 2) * d);
  for (std::size_t j = 0; j < n; ++j) {
    const double* a = sobol.data() + j * 2 * d;
    const double* b = a + d;
    std::copy(a, a + d, design.points.begin() + static_cast<std::ptrdiff_t>(j * d));
    std::copy(b, b + d, design.points.begin() + static_cast<std::ptrdiff_t>((n + j) * d));
    for (std::size_t i = 0; i < d; ++i) {
      const auto ab = design.points.begin() + static_cast<std::ptrdiff_t>(((2 + i) * n + j) * d);
      std::copy(a, a + d, ab);
      ab[static_cast<std::ptrdiff_t>(i)] = b[i];
    }
  }
  return design;
}

std::vector<sobol_index> sobol_indices(const saltelli_design& design,
                                       std::span<const double> outputs, std::size_t bootstrap,
                                       std::uint64_t seed) {
  const std::size_t d = design.dimensions;
  const std::size_t n = design.base_samples;
  if (d == 0 || n == 0) throw std::invalid_argument("sobol_indices: empty design");
  const std::size_t rows = n * (d + 2);
  if (design.points.size() != rows * d)
    throw std::invalid_argument("sobol_indices: the design has " +
                                std::to_string(design.points.size()) + " coordinates, not " +
                                std::to_string(rows * d));
  check_outputs("sobol_indices", outputs, rows);

  const double* f_a = outputs.data();
  const double* f_b = f_a + n;
  std::vector<double> first(d), total(d);
  // The estimators over the base rows pick[0..n-1] (with repeats when resampling). Outputs are
  // centred on the mean of f_A and f_B first: the estimators' expectations do not change, but a
  // large mean no longer cancels in f_B (f_ABi - f_A), so the indices do not depend on it.
  auto estimate = [&](auto pick) {
    double mean = 0;
    for (std::size_t j = 0; j < n; ++j) mean += f_a[pick(j)] + f_b[pick(j)];
    mean /= static_cast<double>(2 * n);
    double variance = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double a = f_a[pick(j)] - mean, b = f_b[pick(j)] - mean;
      variance += a * a + b * b;
    }
    variance /= static_cast<double>(2 * n);
    for (std::size_t i = 0; i < d; ++i) {
      const double* f_ab = f_a + (2 + i) * n;
      double v_first = 0, v_total = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t k = pick(j);
        const double diff = f_ab[k] - f_a[k];
        v_first += (f_b[k] - mean) * diff;
        v_total += diff * diff;
      }
      // Zero variance: the indices are undefined, not zero.
      first[i] = variance > 0 ? v_first / static_cast<double>(n) / variance : nan;
      total[i] = variance > 0 ? v_total / static_cast<double>(2 * n) / variance : nan;
    }
  };

  estimate([](std::size_t j) { return j; });
  std::vector<sobol_index> result(d);
  for (std::size_t i = 0; i < d; ++i) result[i] = {first[i], nan, nan, total[i], nan, nan};
  if (bootstrap == 0) return result;

  std::mt19937_64 rng(seed);
  std::vector<std::size_t> picks(n);
  std::vector<std::vector<double>> first_b(d, std::vector<double>(bootstrap));
  std::vector<std::vector<double>> total_b(d, std::vector<double>(bootstrap));
  for (std::size_t b = 0; b < bootstrap; ++b) {
    for (auto& p : picks) p = below(rng, n);
    estimate([&picks](std::size_t j) { return picks[j]; });
    for (std::size_t i = 0; i < d; ++i) {
      first_b[i][b] = first[i];
      total_b[i][b] = total[i];
    }
  }
  for (std::size_t i = 0; i < d; ++i) {
    // A resample without variance has NaN indices; it is left out of the percentiles.
    for (auto* values : {&first_b[i], &total_b[i]})
      values->erase(
          std::remove_if(values->begin(), values->end(), [](double v) { return std::isnan(v); }),
          values->end());
    if (!first_b[i].empty()) {
      result[i].first_ci_low = percentile(first_b[i], ci_low_q);
      result[i].first_ci_high = percentile(first_b[i], ci_high_q);
    }
    if (!total_b[i].empty()) {
      result[i].total_ci_low = percentile(total_b[i], ci_low_q);
      result[i].total_ci_high = percentile(total_b[i], ci_high_q);
    }
  }
  return result;
}

}  // namespace cesim::analysis
