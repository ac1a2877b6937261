#include "cesim/analysis/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "cesim/analysis/writers.hpp"
#include "cesim/error.hpp"

namespace cesim::analysis {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double summary_field(const run_result& run, std::size_t segment, double segment_summary::*field) {
  return run.summary[segment].*field;
}

bool is_total(const run_result& run, std::size_t segment) {
  return segment + 1 == run.summary.size();
}

const std::array<outcome_metric, 15> metrics{{
    {"customers", "customers at the horizon", "customers", 1, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::customers_end);
     }},
    {"retention", "share of the step-0 customers still customers at the horizon", "share", 100,
     true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::retention);
     }},
    {"loyalty", "mean loyalty of customers at the horizon (0..1; shown in points of 0.01)", "0..1",
     100, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::loyalty);
     }},
    {"nps", "net promoter score at the horizon", "points", 1, true,
     [](const run_result& r, std::size_t s) { return summary_field(r, s, &segment_summary::nps); }},
    {"wom_reach", "share of the market reached by word of mouth over the horizon", "share", 100,
     true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::wom_reach);
     }},
    {"revenue", "margin over the horizon, discounted to step 0", "currency", 1, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::revenue_discounted);
     }},
    {"customer_equity", "sum of customers' lifetime values at the horizon", "currency", 1, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::customer_equity);
     }},
    {"clv", "mean lifetime value of a customer at the horizon", "currency", 1, true,
     [](const run_result& r, std::size_t s) { return summary_field(r, s, &segment_summary::clv); }},
    {"cost", "touchpoint and campaign costs over the horizon", "currency", 1, false,
     [](const run_result& r, std::size_t s) { return is_total(r, s) ? run_cost(r) : nan; }},
    {"value",
     "discounted margin over the horizon plus customer equity at the horizon, discounted to "
     "step 0",
     "currency", 1, false,
     [](const run_result& r, std::size_t s) { return is_total(r, s) ? run_value(r) : nan; }},
    {"satisfaction", "mean satisfaction of customers at the horizon", "0..1", 100, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::satisfaction);
     }},
    {"trust", "mean trust of customers at the horizon", "0..1", 100, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::trust);
     }},
    {"aware_share", "share of the market aware of the firm at the horizon", "share", 100, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::aware_share);
     }},
    {"acquisitions", "conversions over the horizon", "customers", 1, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::acquisitions);
     }},
    {"churned", "customers lost over the horizon", "customers", 1, true,
     [](const run_result& r, std::size_t s) {
       return summary_field(r, s, &segment_summary::churned);
     }},
}};

std::vector<double> values_of(const std::vector<run_result>& runs, std::size_t segment,
                              const outcome_metric& m) {
  std::vector<double> v;
  v.reserve(runs.size());
  for (const auto& run : runs) v.push_back(m.value(run, segment));
  return v;
}

double t_quantile(double degrees_of_freedom, double confidence) {
  if (!(degrees_of_freedom > 0)) return std::numeric_limits<double>::infinity();
  const boost::math::students_t dist(degrees_of_freedom);
  return boost::math::quantile(dist, 0.5 + confidence / 2);
}

}  // namespace

std::span<const outcome_metric> outcome_metrics() {
  return metrics;
}

const outcome_metric& outcome(std::string_view name) {
  for (const auto& m : metrics)
    if (m.name == name) return m;
  std::string known;
  for (const auto& m : metrics) known += (known.empty() ? "" : ", ") + std::string(m.name);
  throw input_error(source_mark::named("--rank-by"), "",
                    fmt::format("unknown metric '{}' (known: {})", name, known));
}

std::span<const std::string_view> headline_outcomes() {
  static constexpr std::array<std::string_view, 8> names{
      "customers", "retention", "loyalty",         "nps",
      "wom_reach", "revenue",   "customer_equity", "cost"};
  return names;
}

std::size_t outcome_index(std::string_view name) {
  return static_cast<std::size_t>(&outcome(name) - metrics.data());
}

double run_cost(const run_result& run) {
  double cost = run.summary.back().touchpoint_cost;
  for (const auto& c : run.campaign_series) cost += c.cost;
  return cost;
}

double run_value(const run_result& run) {
  const auto& total = run.summary.back();
  return total.revenue_discounted + total.customer_equity * run.horizon_discount;
}

estimate welch_difference(std::span<const double> variant, std::span<const double> baseline,
                          double confidence) {
  const estimate v = summarize(variant, confidence);
  const estimate b = summarize(baseline, confidence);
  estimate d;
  d.n = std::min(v.n, b.n);
  d.mean = v.mean - b.mean;
  if (v.n < 2 || b.n < 2) {
    d.sd = d.ci_low = d.ci_high = nan;
    return d;
  }
  const double var_v = v.sd * v.sd / static_cast<double>(v.n);
  const double var_b = b.sd * b.sd / static_cast<double>(b.n);
  const double se = std::sqrt(var_v + var_b);
  d.sd = std::sqrt(v.sd * v.sd + b.sd * b.sd);
  // Welch-Satterthwaite degrees of freedom; equal variances of zero leave the interval a point.
  const double df = se == 0 ? static_cast<double>(v.n + b.n - 2)
                            : (var_v + var_b) * (var_v + var_b) /
                                  (var_v * var_v / static_cast<double>(v.n - 1) +
                                   var_b * var_b / static_cast<double>(b.n - 1));
  const double half = t_quantile(df, confidence) * se;
  d.ci_low = d.mean - half;
  d.ci_high = d.mean + half;
  return d;
}

estimate ratio_of_means(std::span<const double> numerator, std::span<const double> denominator,
                        double confidence) {
  estimate e;
  const std::size_t n = std::min(numerator.size(), denominator.size());
  e.n = n;
  if (n == 0) return {nan, nan, nan, nan, 0};
  const double num =
      std::accumulate(numerator.begin(), numerator.begin() + static_cast<long>(n), 0.0) /
      static_cast<double>(n);
  const double den =
      std::accumulate(denominator.begin(), denominator.begin() + static_cast<long>(n), 0.0) /
      static_cast<double>(n);
  // A cost change below a cent per replication is no cost change: the ratio means nothing.
  if (std::abs(den) < 1e-2 || std::isnan(num) || std::isnan(den)) return {nan, nan, nan, nan, n};
  e.mean = num / den;
  if (n < 2) {
    e.sd = e.ci_low = e.ci_high = nan;
    return e;
  }
  // Delta method: the ratio's error is that of the residuals num_r - R den_r, scaled by 1/den.
  double squares = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const double residual = numerator[r] - e.mean * denominator[r];
    squares += residual * residual;
  }
  const double sd_residual = std::sqrt(squares / static_cast<double>(n - 1));
  e.sd = sd_residual / std::abs(den);
  const double half = t_critical(n - 1, confidence) * e.sd / std::sqrt(static_cast<double>(n));
  e.ci_low = e.mean - half;
  e.ci_high = e.mean + half;
  return e;
}

comparison compare_runs(const std::vector<std::vector<run_result>>& runs,
                        const std::vector<std::string>& names,
                        const std::vector<std::string>& descriptions) {
  comparison out;
  if (runs.empty() || runs.front().empty()) return out;
  const auto& base = runs.front();
  out.baseline = names.front();
  out.replications = static_cast<std::uint32_t>(base.size());
  for (const auto& s : base.front().summary) out.segments.push_back(s.segment);
  const std::size_t rows = out.segments.size();
  for (std::size_t a = 1; a < runs.size(); ++a) {
    const auto& arm = runs[a];
    if (arm.size() != base.size() || arm.front().summary.size() != rows)
      throw std::invalid_argument(fmt::format(
          "arm '{}' cannot be paired with the baseline: it has other segments or replications",
          names[a]));
    arm_comparison c;
    c.name = names[a];
    c.description = a < descriptions.size() ? descriptions[a] : std::string();
    c.metrics.resize(rows);
    for (std::size_t seg = 0; seg < rows; ++seg) {
      for (const auto& m : metrics) {
        const auto b = values_of(base, seg, m);
        const auto v = values_of(arm, seg, m);
        std::vector<double> d(b.size());
        for (std::size_t r = 0; r < b.size(); ++r) d[r] = v[r] - b[r];
        c.metrics[seg].push_back(
            {summarize(b), summarize(v), summarize(d), welch_difference(v, b)});
      }
    }
    const std::size_t total = rows - 1;
    std::vector<double> d_cost, d_value, d_revenue;
    for (std::size_t r = 0; r < base.size(); ++r) {
      d_cost.push_back(run_cost(arm[r]) - run_cost(base[r]));
      d_value.push_back(run_value(arm[r]) - run_value(base[r]));
      d_revenue.push_back(arm[r].summary[total].revenue_discounted -
                          base[r].summary[total].revenue_discounted);
    }
    // A return is reported only for a variant that changes the spending by at least 1% of the
    // baseline's: dividing by a near-zero cost change gives enormous ratios that mean nothing.
    double base_cost = 0, mean_change = 0;
    for (std::size_t r = 0; r < base.size(); ++r) {
      base_cost += run_cost(base[r]) / static_cast<double>(base.size());
      mean_change += d_cost[r] / static_cast<double>(base.size());
    }
    if (std::abs(mean_change) >= 0.01 * std::abs(base_cost)) {
      c.return_on_cost = ratio_of_means(d_value, d_cost);
      c.horizon_return = ratio_of_means(d_revenue, d_cost);
    } else {
      c.return_on_cost = c.horizon_return = {nan, nan, nan, nan, base.size()};
    }
    out.arms.push_back(std::move(c));
  }
  return out;
}

std::size_t total_row(const comparison& c) {
  return c.segments.empty() ? 0 : c.segments.size() - 1;
}

priority_plan plan_priorities(const scenario& base, const priority_options& options) {
  (void)outcome(options.rank_by);  // an unknown metric fails before anything runs
  if (!(options.quality_step > 0 && options.quality_step <= 1))
    throw input_error(source_mark::named("--step"), "",
                      fmt::format("must be in (0, 1], got {}", options.quality_step));
  for (const auto& wanted : options.touchpoints) {
    const bool known = std::any_of(base.touchpoints.begin(), base.touchpoints.end(),
                                   [&](const touchpoint& tp) { return tp.name == wanted; });
    if (!known) {
      std::string names;
      for (const auto& tp : base.touchpoints) names += (names.empty() ? "" : ", ") + tp.name;
      throw input_error(source_mark::named("--touchpoint"), "",
                        fmt::format("scenario '{}' has no touchpoint '{}' (known: {})", base.name,
                                    wanted, names.empty() ? "none" : names));
    }
  }
  priority_plan plan;
  plan.arms.push_back(base);
  plan.names.emplace_back("baseline");
  plan.descriptions.emplace_back("the scenario as written");
  for (std::size_t k = 0; k < base.touchpoints.size(); ++k) {
    const auto& tp = base.touchpoints[k];
    if (!options.touchpoints.empty() &&
        std::find(options.touchpoints.begin(), options.touchpoints.end(), tp.name) ==
            options.touchpoints.end())
      continue;
    // Arms are edited copies of the loaded scenario rather than re-loaded files, so that
    // touchpoints a contest generates can be prioritised too. Random streams are keyed by
    // touchpoint name, so the other touchpoints draw exactly as in the baseline.
    if (!tp.shows_public_rating) {
      scenario improved = base;
      auto& t = improved.touchpoints[k];
      t.quality_mean = std::min(1.0, t.quality_mean + options.quality_step);
      plan.arms.push_back(std::move(improved));
      plan.names.push_back(tp.name + ":improve");
      plan.descriptions.push_back(
          fmt::format("{} quality.mean {:.2f} -> {:.2f}", tp.name, tp.quality_mean,
                      std::min(1.0, tp.quality_mean + options.quality_step)));
    }
    scenario removed = base;
    removed.touchpoints.erase(removed.touchpoints.begin() + static_cast<long>(k));
    plan.arms.push_back(std::move(removed));
    plan.names.push_back(tp.name + ":remove");
    plan.descriptions.push_back(fmt::format("without {}", tp.name));
  }
  return plan;
}

priorities rank_priorities(const scenario& base, const priority_options& options,
                           const priority_plan& plan,
                           const std::vector<std::vector<run_result>>& runs) {
  priorities out;
  out.options = options;
  out.effects = compare_runs(runs, plan.names, plan.descriptions);
  const std::size_t total = total_row(out.effects);
  const std::size_t rank_metric = outcome_index(options.rank_by);
  const std::size_t loyalty = outcome_index("loyalty");
  auto arm_named = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t a = 0; a < out.effects.arms.size(); ++a)
      if (out.effects.arms[a].name == name) return a;
    return std::nullopt;
  };
  for (const auto& tp : base.touchpoints) {
    const auto remove = arm_named(tp.name + ":remove");
    if (!remove) continue;
    touchpoint_priority p;
    p.touchpoint = tp.name;
    p.kind = std::string(to_string(tp.kind));
    p.phase = std::string(to_string(tp.phase));
    p.quality_mean = tp.quality_mean;
    p.quality_after = std::min(1.0, tp.quality_mean + options.quality_step);
    p.improve_arm = arm_named(tp.name + ":improve");
    p.remove_arm = *remove;
    p.cost_per_loyalty_point = {nan, nan, nan, nan, 0};
    if (p.improve_arm && tp.improvement_cost > 0) {
      // Costs scale with the step actually taken (less when clipped at 1).
      const double step =
          p.quality_after < 1.0 ? options.quality_step : p.quality_after - p.quality_mean;
      p.improvement_cost = tp.improvement_cost * step * 10;
      const estimate& gain = out.effects.arms[*p.improve_arm].metrics[total][loyalty].paired;
      // Points of loyalty are hundredths of the 0..1 scale. Only a gain whose interval
      // excludes zero has a finite cost per point; its interval is the gain's, inverted.
      const double points = 100 * gain.mean;
      if (points > 0) {
        p.cost_per_loyalty_point.mean = p.improvement_cost / points;
        p.cost_per_loyalty_point.n = gain.n;
        p.cost_per_loyalty_point.ci_low = p.improvement_cost / (100 * gain.ci_high);
        p.cost_per_loyalty_point.ci_high =
            gain.ci_low > 0 ? p.improvement_cost / (100 * gain.ci_low) : nan;
      }
    }
    out.touchpoints.push_back(std::move(p));
  }
  // Fix first what an equal quality step helps most; touchpoints that cannot be improved (review
  // portals) rank by what removing them would do, after all improvable ones.
  auto key = [&](const touchpoint_priority& p) {
    const auto& arm = out.effects.arms[p.improve_arm ? *p.improve_arm : p.remove_arm];
    return arm.metrics[total][rank_metric].paired.mean;
  };
  std::stable_sort(out.touchpoints.begin(), out.touchpoints.end(),
                   [&](const touchpoint_priority& a, const touchpoint_priority& b) {
                     if (a.improve_arm.has_value() != b.improve_arm.has_value())
                       return a.improve_arm.has_value();
                     return key(a) > key(b);
                   });
  for (std::size_t k = 0; k < out.touchpoints.size(); ++k) out.touchpoints[k].rank = k + 1;
  return out;
}

}  // namespace cesim::analysis
