#include "cesim/analysis/statistics.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

namespace cesim::analysis {

double t_critical(std::size_t degrees_of_freedom, double confidence) {
  if (degrees_of_freedom == 0) return std::numeric_limits<double>::infinity();
  const boost::math::students_t dist(static_cast<double>(degrees_of_freedom));
  return boost::math::quantile(dist, 0.5 + confidence / 2);
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
