#include "cesim/analysis/statistics.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

namespace cesim::analysis {

double t_critical(std::size_t degrees_of_freedom, double confidence) {
  if (degrees_of_freedom == 0) return std::numeric_limits<double>::infinity();
  // Sweeps and comparisons summarise every metric of every step with a few distinct arguments;
  // the quantile inverts the incomplete beta function each time (5% of a sweep's cycles), so
  // the values are remembered (per thread: no lock, and the same bits either way).
  const auto compute = [&] {
    const boost::math::students_t dist(static_cast<double>(degrees_of_freedom));
    return boost::math::quantile(dist, 0.5 + confidence / 2);
  };
  if (!(confidence > 0 && confidence < 1)) return compute();  // NaN would break the map's order
  thread_local std::map<std::pair<std::size_t, double>, double> known;
  const auto [it, added] = known.try_emplace({degrees_of_freedom, confidence}, 0.0);
  if (added) it->second = compute();
  return it->second;
}

estimate summarize(std::span<const double> values, double confidence) {
  estimate e;
  double sum = 0;
  for (double v : values)
    if (!std::isnan(v)) {
      sum += v;
      ++e.n;
    }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (e.n == 0) return {nan, nan, nan, nan, 0};
  e.mean = sum / static_cast<double>(e.n);
  if (e.n == 1) {
    e.sd = nan;
    e.ci_low = e.ci_high = nan;
    return e;
  }
  double squares = 0;
  for (double v : values)
    if (!std::isnan(v)) squares += (v - e.mean) * (v - e.mean);
  e.sd = std::sqrt(squares / static_cast<double>(e.n - 1));
  const double half = t_critical(e.n - 1, confidence) * e.sd / std::sqrt(static_cast<double>(e.n));
  e.ci_low = e.mean - half;
  e.ci_high = e.mean + half;
  return e;
}

}  // namespace cesim::analysis
