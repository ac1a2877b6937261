#pragma once
/// Paired comparison of arms (a baseline and its variants) run with common random numbers, and
/// the touchpoint priorities built on it. Replication r of every arm shares the key (seed, r),
/// so the difference of arm and baseline in replication r is a paired observation: noise that
/// both share cancels, and the interval of the mean difference is far tighter than the
/// interval computed as if the runs were independent (both are reported).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cesim/analysis/statistics.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/sim/results.hpp"

namespace cesim::analysis {

/// A per-run outcome that arms are compared on.
struct outcome_metric {
  std::string_view name;
  std::string_view description;
  std::string_view unit;  ///< of the value as stored in JSON and CSV
  /// Shown in tables and the report as value * display_scale (shares as percentage points).
  double display_scale;
  bool per_segment;  ///< false: only for the whole market (costs are not split by segment)
  double (*value)(const run_result&, std::size_t segment);
};
/// customers, retention, loyalty, nps, wom_reach, revenue, customer_equity, clv, cost, value,
/// satisfaction, trust, aware_share, acquisitions, churned.
std::span<const outcome_metric> outcome_metrics();
const outcome_metric& outcome(std::string_view name);
/// The outcomes a comparison table shows, in the order a strategist reads them: customers,
/// retention, loyalty, nps, wom_reach, revenue, customer_equity, cost.
std::span<const std::string_view> headline_outcomes();
/// Position of an outcome metric in outcome_metrics(); throws like outcome() for a bad name.
std::size_t outcome_index(std::string_view name);

/// Touchpoint and campaign costs over the horizon (undiscounted).
double run_cost(const run_result& run);
/// Discounted margin over the horizon plus customer equity at the horizon, discounted to step 0.
double run_value(const run_result& run);

/// Student-t interval of the difference of two means as if the samples were independent
/// (Welch); `sd` is that of a difference of two independent draws.
estimate welch_difference(std::span<const double> variant, std::span<const double> baseline,
                          double confidence = 0.95);
/// Ratio of means sum(num)/sum(den) with a delta-method Student-t interval; NaN when the mean
/// denominator is zero.
estimate ratio_of_means(std::span<const double> numerator, std::span<const double> denominator,
                        double confidence = 0.95);

struct metric_difference {
  estimate baseline;
  estimate variant;
  estimate paired;    ///< of the per-replication differences variant - baseline
  estimate unpaired;  ///< Welch, ignoring the pairing
};

struct arm_comparison {
  std::string name;
  std::string description;
  /// [segment][metric]: segments in scenario order, then "total"; metrics as outcome_metrics()
  /// (whole-market metrics are NaN in segment rows).
  std::vector<std::vector<metric_difference>> metrics;
  estimate return_on_cost;  ///< delta value / delta cost
  estimate horizon_return;  ///< delta discounted margin over the horizon / delta cost
};

struct comparison {
  std::string baseline = "baseline";
  std::vector<std::string> segments;  ///< with "total" last
  std::uint32_t replications = 0;
  std::vector<arm_comparison> arms;  ///< the variants (the baseline is not compared to itself)
};

/// runs[0] is the baseline; runs[k] the arm named names[k]. All arms need the same segments and
/// the same number of replications.
comparison compare_runs(const std::vector<std::vector<run_result>>& runs,
                        const std::vector<std::string>& names,
                        const std::vector<std::string>& descriptions);

/// Index of a segment row ("total" is last).
std::size_t total_row(const comparison& c);

// ---- Touchpoint priorities ----------------------------------------------------------------

struct priority_options {
  double quality_step = 0.1;             ///< improvement of quality.mean (clipped at 1)
  std::vector<std::string> touchpoints;  ///< empty: all
  std::string rank_by = "loyalty";       ///< an outcome metric
};

/// The arms `cesim prioritize` runs: baseline, then per touchpoint "<name>:improve" (quality.mean
/// + step; none for review touchpoints, which show the public rating) and "<name>:remove".
struct priority_plan {
  std::vector<scenario> arms;
  std::vector<std::string> names;
  std::vector<std::string> descriptions;
};
/// Throws input_error for an unknown touchpoint name or metric.
priority_plan plan_priorities(const scenario& base, const priority_options& options);

struct touchpoint_priority {
  std::string touchpoint;
  std::string kind;   ///< direct or indirect
  std::string phase;  ///< pre_purchase, purchase, post_purchase
  double quality_mean = 0;
  double quality_after = 0;  ///< after the improvement
  /// Index into comparison::arms, or nullopt when not run.
  std::optional<std::size_t> improve_arm;
  std::size_t remove_arm = 0;
  double improvement_cost = 0;  ///< of the step taken (0: not known)
  /// Improvement cost per point (0.01) of mean loyalty gained, with the interval implied by the
  /// loyalty interval (open-ended above when that interval reaches zero); NaN when the cost is
  /// not known or the mean gain is not positive.
  estimate cost_per_loyalty_point;
  std::size_t rank = 0;  ///< 1 = fix first
};

struct priorities {
  priority_options options;
  comparison effects;
  std::vector<touchpoint_priority> touchpoints;  ///< in rank order
};

priorities rank_priorities(const scenario& base, const priority_options& options,
                           const priority_plan& plan,
                           const std::vector<std::vector<run_result>>& runs);

}  // namespace cesim::analysis
