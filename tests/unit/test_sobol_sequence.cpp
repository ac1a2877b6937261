#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "cesim/analysis/sobol_sequence.hpp"

using namespace cesim;

namespace {

std::vector<double> column(const std::vector<double>& points, std::size_t d, std::size_t j,
                           std::size_t n) {
  std::vector<double> c(n);
  for (std::size_t i = 0; i < n; ++i) c[i] = points[i * d + j];
  return c;
}

}  // namespace

TEST_CASE("Sobol points of the first dimensions match hand computations", "[sobol]") {
  // Gray-code order: point i is the XOR of the direction numbers v_k picked by i ^ (i >> 1).
  // Dimension 1: v_k = 2^-k (van der Corput). Dimension 2 (s = 1, m_1 = 1): m = 1, 3, 5, so
  // v = 0.1, 0.11, 0.101 in binary. Dimension 3 (s = 2, a = 1, m = 1, 3): m_3 = 2*3 ^ 4*1 ^ 1 =
  // 3, so v = 0.1, 0.11, 0.011.
  const std::vector<double> dim1{0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125};
  const std::vector<double> dim2{0, 0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625};
  const std::vector<double> dim3{0, 0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375};
  const auto points = analysis::sobol_points(8, 3);
  REQUIRE(points.size() == 24);
  CHECK(column(points, 3, 0, 8) == dim1);
  CHECK(column(points, 3, 1, 8) == dim2);
  CHECK(column(points, 3, 2, 8) == dim3);
  // A one-dimensional request is the same first column.
  CHECK(analysis::sobol_points(8, 1) == dim1);
}

TEST_CASE("Sobol points after a skip continue the sequence", "[sobol]") {
  const std::size_t d = analysis::sobol_max_dimensions();
  const auto all = analysis::sobol_points(300, d);
  for (std::uint64_t skip : {1u, 2u, 7u, 64u, 129u}) {
    const auto tail = analysis::sobol_points(300 - skip, d, skip);
    CHECK(
        std::equal(tail.begin(), tail.end(), all.begin() + static_cast<std::ptrdiff_t>(skip * d)));
  }
  CHECK(analysis::sobol_points(0, 3).empty());
}

TEST_CASE("Sobol coordinates lie in the unit interval, also far into the sequence", "[sobol]") {
  const std::size_t d = analysis::sobol_max_dimensions();
  CHECK(d >= 32);
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  for (std::uint64_t skip : {std::uint64_t{0}, std::uint64_t{1} << 40, max - 1000}) {
    const auto points = analysis::sobol_points(1000, d, skip);
    CHECK(std::all_of(points.begin(), points.end(), [](double x) { return x >= 0 && x < 1; }));
  }
}

TEST_CASE("every 1-D projection of the first 2^k Sobol points is the grid of multiples of 2^-k",
          "[sobol]") {
  const std::size_t d = analysis::sobol_max_dimensions();
  const std::size_t max_k = 12;
  const auto points = analysis::sobol_points(std::size_t{1} << max_k, d);
  for (std::size_t k = 0; k <= max_k; ++k) {
    const std::size_t n = std::size_t{1} << k;
    for (std::size_t j = 0; j < d; ++j) {
      auto c = column(points, d, j, n);
      std::sort(c.begin(), c.end());
      bool grid = true;
      for (std::size_t i = 0; i < n; ++i)
        grid = grid && c[i] * static_cast<double>(n) == static_cast<double>(i);
      INFO("k = " << k << ", dimension " << j + 1);
      CHECK(grid);
    }
  }
}

TEST_CASE("the first two Sobol dimensions form a 0-m-2 net", "[sobol]") {
  // Every box [a/2^p, (a+1)/2^p) x [b/2^q, (b+1)/2^q) with p + q = m holds exactly one of the
  // first 2^m points: the strongest 2-D balance a base-2 sequence can have.
  const std::size_t m = 10;
  const std::size_t n = std::size_t{1} << m;
  const auto points = analysis::sobol_points(n, 2);
  for (std::size_t p = 0; p <= m; ++p) {
    std::vector<int> count(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = static_cast<std::size_t>(points[2 * i] * static_cast<double>(1u << p));
      const auto b =
          static_cast<std::size_t>(points[2 * i + 1] * static_cast<double>(1u << (m - p)));
      ++count[(a << (m - p)) | b];
    }
    INFO("p = " << p);
    CHECK(std::all_of(count.begin(), count.end(), [](int c) { return c == 1; }));
  }
}

TEST_CASE("Sobol points integrate a smooth function better than random points", "[sobol]") {
  // E[xy] = 1/4 for independent uniforms. The standard error of a random sample of 4096 would be
  // sd(xy) / 64 = 0.0034; the Sobol error must be well below that.
  const std::size_t n = 4096;
  const auto points = analysis::sobol_points(n, 2);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += points[2 * i] * points[2 * i + 1];
  CHECK(std::abs(sum / static_cast<double>(n) - 0.25) < 1e-3);
}

TEST_CASE("Sobol points refuse unsupported dimensions and indices", "[sobol]") {
  CHECK_THROWS_AS(analysis::sobol_points(4, 0), std::invalid_argument);
  CHECK_THROWS_AS(analysis::sobol_points(4, analysis::sobol_max_dimensions() + 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(analysis::sobol_points(4, 2, std::numeric_limits<std::uint64_t>::max() - 2),
                  std::invalid_argument);
}
