#pragma once
/// What a run produces: a per-step x per-segment table of tallies, per-touchpoint tallies and a
/// summary at the horizon. Means and rates are derived from the tallies by the metric tables
/// below, which writers, replication statistics and the docs all use.
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cesim {

/// Sums over the customers of one segment in one step. Counts are exact; sums of floats are
/// accumulated in double per block and combined in block order (deterministic).
struct segment_tally {
  std::uint64_t population = 0;
  std::uint64_t unaware = 0;
  std::uint64_t prospects = 0;  ///< aware, never a customer
  std::uint64_t customers = 0;
  std::uint64_t lapsed = 0;
  std::uint64_t new_customers = 0;
  std::uint64_t new_referred = 0;
  std::uint64_t win_backs = 0;  ///< new customers who had been customers before
  std::uint64_t newly_aware = 0;
  std::uint64_t churned = 0;
  std::uint64_t promoters = 0;
  std::uint64_t detractors = 0;
  std::uint64_t exposures = 0;
  std::uint64_t delights = 0;
  std::uint64_t disappointments = 0;
  std::uint64_t wom_positive = 0;  ///< impulses started this step
  std::uint64_t wom_negative = 0;
  std::uint64_t ratings = 0;
  std::uint64_t heard_positive = 0;  ///< customers who heard at least one positive story
  std::uint64_t heard_negative = 0;
  std::uint64_t newly_reached = 0;  ///< first reached by word of mouth of any origin
  double satisfaction_sum = 0;      ///< over customers
  double trust_sum = 0;             ///< over customers
  double empowerment_sum = 0;       ///< over customers
  double loyalty_sum = 0;           ///< over customers
  double attitude_sum = 0;          ///< over non-customers
  double rating_sum = 0;
  double revenue = 0;
  double touchpoint_cost = 0;

  void add(const segment_tally& o);
};

struct touchpoint_tally {
  std::uint64_t exposures = 0;
  std::uint64_t delights = 0;
  std::uint64_t disappointments = 0;
  double experience_sum = 0;
  double cost = 0;

  void add(const touchpoint_tally& o);
};

/// Counts of one campaign in one step (or block).
struct campaign_tally {
  std::uint64_t invited = 0;
  std::uint64_t participants = 0;
  std::uint64_t new_participants = 0;  ///< taking part in this campaign for the first time
  std::uint64_t observers = 0;
  std::uint64_t acted_on = 0;
  std::uint64_t ignored = 0;
  std::uint64_t stories_positive = 0;
  std::uint64_t stories_negative = 0;
  std::uint64_t referral_conversions = 0;
  double cost = 0;
  std::vector<std::uint64_t> votes;  ///< vote: per option
  std::vector<std::uint64_t> participants_by_segment;

  void add(const campaign_tally& o);
};

/// Horizon summary of one segment (or of all).
struct segment_summary {
  std::string segment;  ///< "total" for all segments
  double population = 0;
  double customers_start = 0;
  double customers_end = 0;
  double aware_share = 0;
  double retention =
      0;  ///< share of the step-0 customers who are customers at the end and never left
  double satisfaction = 0;
  double trust = 0;
  double empowerment = 0;
  double loyalty = 0;
  double nps = 0;
  double acquisitions = 0;
  double referred_acquisitions = 0;
  double churned = 0;
  double revenue = 0;             ///< sum over steps
  double revenue_discounted = 0;  ///< discounted to step 0
  double clv = 0;                 ///< mean expected lifetime value of a customer at the end
  double customer_equity = 0;     ///< sum of those lifetime values
  double wom_positive = 0;
  double wom_negative = 0;
  double wom_reach = 0;  ///< share of the segment reached by word of mouth (any origin)
  double touchpoint_cost = 0;
};

struct run_result {
  std::uint64_t replication = 0;
  std::uint64_t seed = 0;
  std::uint32_t steps = 0;
  std::vector<std::string> segment_names;
  std::vector<std::string> touchpoint_names;
  /// series[step * segments + s], step 0 is the initial state.
  std::vector<segment_tally> series;
  /// touchpoint_series[(step - 1) * touchpoints + k] for steps 1..horizon.
  std::vector<touchpoint_tally> touchpoint_series;
  std::vector<double> public_rating;  ///< per step, 0..horizon
  /// Word-of-mouth origins (organic, churn, each touchpoint) and, per step 1..horizon, the
  /// customers each first reached: origin_series[(step - 1) * origins + o].
  std::vector<std::string> origin_names;
  std::vector<std::uint64_t> origin_series;
  /// First reaches by hop (1 = heard from the originator), origins x (max_hops + 1).
  std::vector<std::uint64_t> hop_histogram;
  /// Campaigns: names and, per step 1..horizon, campaign_series[(step - 1) * campaigns + c].
  std::vector<std::string> campaign_names;
  std::vector<campaign_tally> campaign_series;
  std::vector<std::uint64_t> campaign_unique_participants;
  std::vector<int> vote_winner;      ///< per campaign, -1 if none
  std::vector<bool> jury_overruled;  ///< per campaign
  /// Network facts for the manifest and report.
  std::uint64_t network_edges = 0;
  double network_mean_degree = 0;
  std::vector<segment_summary> summary;  ///< per segment, then "total"
  /// 1 / (1 + d)^horizon: brings values at the horizon (customer equity) back to step 0.
  double horizon_discount = 1;
  double wall_seconds = 0;

  [[nodiscard]] const segment_tally& at(std::uint32_t step, std::size_t segment) const {
    return series[step * segment_names.size() + segment];
  }
  [[nodiscard]] segment_tally total_at(std::uint32_t step) const;
};

/// A column of the time series: a value derived from a tally.
struct series_metric {
  std::string_view name;
  std::string_view description;
  double (*value)(const segment_tally&);
};
std::span<const series_metric> series_metrics();

/// A summary metric.
struct summary_metric {
  std::string_view name;
  std::string_view description;
  double segment_summary::*field;
};
std::span<const summary_metric> summary_metrics();
/// Position of a summary metric by name; throws std::out_of_range for an unknown name.
std::size_t summary_metric_index(std::string_view name);

struct touchpoint_metric {
  std::string_view name;
  std::string_view description;
  double (*value)(const touchpoint_tally&);
};
std::span<const touchpoint_metric> touchpoint_metrics();

inline constexpr double not_available = std::numeric_limits<double>::quiet_NaN();

}  // namespace cesim
