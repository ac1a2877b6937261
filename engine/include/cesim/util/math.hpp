#pragma once
/// Small numeric helpers shared by synthesis and the mechanisms.
#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>

namespace cesim {

/// Boost.Math computes in long double by default; double precision is all the model needs and
/// is several times faster.
using math_policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

/// Standard normal quantile. Inverse-CDF sampling keeps one uniform per value, so a change of a
/// mean shifts every draw monotonically: the tightest coupling for common random numbers.
inline double normal_quantile(double u) {
  return -1.4142135623730951 * boost::math::erfc_inv(2.0 * u, math_policy{});
}
inline double normal_cdf(double z) {
  return 0.5 * std::erfc(-z * 0.7071067811865476);
}
inline double normal_pdf(double z) {
  return 0.3989422804014327 * std::exp(-0.5 * z * z);
}

inline double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

/// A weekly probability over a step of `weeks` weeks: 1 - (1 - p)^weeks.
inline double weekly_to_step(double p_week, double weeks) {
  if (weeks == 1.0) return p_week;
  return -std::expm1(weeks * std::log1p(-std::min(p_week, 1.0 - 1e-15)));
}

inline float clamp01(float x) {
  return std::clamp(x, 0.0f, 1.0f);
}
inline double clamp01(double x) {
  return std::clamp(x, 0.0, 1.0);
}

}  // namespace cesim
