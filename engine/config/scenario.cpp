#include "cesim/config/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>

#include "cesim/config/parameters.hpp"
#include "cesim/util/math.hpp"

namespace cesim {

distribution distribution::fixed_value(double v, double lo_, double hi_) {
  distribution d;
  d.kind = family::fixed;
  d.a = v;
  d.lo = lo_;
  d.hi = hi_;
  return d;
}

double distribution::quantile(double u) const {
  double x = 0;
  switch (kind) {
    case family::fixed:
      x = a;
      break;
    case family::uniform:
      x = a + (b - a) * u;
      break;
    case family::normal:
      x = a + b * normal_quantile(u);
      break;
    case family::beta:
      x = boost::math::ibeta_inv(a, b, u, math_policy{});
      break;
    case family::lognormal:
      x = std::exp(a + b * normal_quantile(u));
      break;
    case family::categorical: {
      const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
      x = values[static_cast<std::size_t>(std::min<std::ptrdiff_t>(
          it - cumulative.begin(), static_cast<std::ptrdiff_t>(values.size()) - 1))];
      break;
    }
  }
  return std::clamp(x, lo, hi);
}

double distribution::mean() const {
  switch (kind) {
    case family::fixed:
      return std::clamp(a, lo, hi);
    case family::uniform:
      return (a + b) / 2;
    case family::beta:
      return a / (a + b);
    case family::categorical: {
      double m = 0;
      double previous = 0;
      for (std::size_t i = 0; i < values.size(); ++i) {
        m += values[i] * (cumulative[i] - previous);
        previous = cumulative[i];
      }
      return m;
    }
    case family::normal: {
      if (b == 0) return std::clamp(a, lo, hi);
      // Mean of a normal clipped (not truncated) to [lo, hi]: the clipped mass sits at the bounds.
      const double alpha = (lo - a) / b;
      const double beta_ = (hi - a) / b;
      const double cdf_lo = normal_cdf(alpha);
      const double cdf_hi = normal_cdf(beta_);
      return lo * cdf_lo + hi * (1 - cdf_hi) + a * (cdf_hi - cdf_lo) +
             b * (normal_pdf(alpha) - normal_pdf(beta_));
    }
    case family::lognormal: {
      // Clipping has no closed form worth its complexity here; a fine midpoint rule is exact
      // enough.
      constexpr int points = 20000;
      double sum = 0;
      for (int i = 0; i < points; ++i) sum += quantile((i + 0.5) / points);
      return sum / points;
    }
  }
  return a;
}

std::string_view family_name(distribution::family f) {
  switch (f) {
    case distribution::family::fixed:
      return "fixed";
    case distribution::family::uniform:
      return "uniform";
    case distribution::family::normal:
      return "normal";
    case distribution::family::beta:
      return "beta";
    case distribution::family::lognormal:
      return "lognormal";
    case distribution::family::categorical:
      return "categorical";
  }
  return "?";
}

std::string distribution::describe() const {
  switch (kind) {
    case family::fixed:
      return format_number(a);
    case family::uniform:
      return fmt::format("uniform({}, {})", format_number(a), format_number(b));
    case family::normal:
      return fmt::format("normal(mean {}, sd {})", format_number(a), format_number(b));
    case family::beta:
      return fmt::format("beta(alpha {:.4g}, beta {:.4g})", a, b);
    case family::lognormal:
      return fmt::format("lognormal(mu {:.4g}, sigma {:.4g})", a, b);
    case family::categorical:
      return fmt::format("categorical({} values)", values.size());
  }
  return "?";
}

std::string_view to_string(touchpoint_kind k) {
  return k == touchpoint_kind::direct ? "direct" : "indirect";
}

std::string_view to_string(purchase_phase p) {
  switch (p) {
    case purchase_phase::pre_purchase:
      return "pre_purchase";
    case purchase_phase::purchase:
      return "purchase";
    case purchase_phase::post_purchase:
      return "post_purchase";
  }
  return "?";
}

std::string_view to_string(step_unit u) {
  switch (u) {
    case step_unit::day:
      return "day";
    case step_unit::week:
      return "week";
    case step_unit::month:
      return "month";
    case step_unit::quarter:
      return "quarter";
    case step_unit::year:
      return "year";
  }
  return "?";
}

}  // namespace cesim

namespace cesim {

std::string_view to_string(network_kind k) {
  switch (k) {
    case network_kind::well_mixed:
      return "well_mixed";
    case network_kind::erdos_renyi:
      return "erdos_renyi";
    case network_kind::watts_strogatz:
      return "watts_strogatz";
    case network_kind::barabasi_albert:
      return "barabasi_albert";
    case network_kind::block_model:
      return "block_model";
    case network_kind::edge_list:
      return "edge_list";
  }
  return "?";
}

std::vector<std::string> segment_names(const scenario& s) {
  std::vector<std::string> names;
  for (const auto& seg : s.segments) names.push_back(seg.name);
  return names;
}

}  // namespace cesim
