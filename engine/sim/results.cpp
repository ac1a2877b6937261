#include "cesim/sim/results.hpp"

#include <array>
#include <stdexcept>

namespace cesim {

void segment_tally::add(const segment_tally& o) {
  population += o.population;
  unaware += o.unaware;
  prospects += o.prospects;
  customers += o.customers;
  lapsed += o.lapsed;
  new_customers += o.new_customers;
  new_referred += o.new_referred;
  win_backs += o.win_backs;
  newly_aware += o.newly_aware;
  churned += o.churned;
  promoters += o.promoters;
  detractors += o.detractors;
  exposures += o.exposures;
  delights += o.delights;
  disappointments += o.disappointments;
  wom_positive += o.wom_positive;
  wom_negative += o.wom_negative;
  ratings += o.ratings;
  heard_positive += o.heard_positive;
  heard_negative += o.heard_negative;
  newly_reached += o.newly_reached;
  satisfaction_sum += o.satisfaction_sum;
  trust_sum += o.trust_sum;
  empowerment_sum += o.empowerment_sum;
  loyalty_sum += o.loyalty_sum;
  attitude_sum += o.attitude_sum;
  rating_sum += o.rating_sum;
  revenue += o.revenue;
  touchpoint_cost += o.touchpoint_cost;
}

void touchpoint_tally::add(const touchpoint_tally& o) {
  exposures += o.exposures;
  delights += o.delights;
  disappointments += o.disappointments;
  experience_sum += o.experience_sum;
  cost += o.cost;
}

void campaign_tally::add(const campaign_tally& o) {
  invited += o.invited;
  participants += o.participants;
  new_participants += o.new_participants;
  observers += o.observers;
  acted_on += o.acted_on;
  ignored += o.ignored;
  stories_positive += o.stories_positive;
  stories_negative += o.stories_negative;
  referral_conversions += o.referral_conversions;
  cost += o.cost;
  if (votes.size() < o.votes.size()) votes.resize(o.votes.size(), 0);
  for (std::size_t k = 0; k < o.votes.size(); ++k) votes[k] += o.votes[k];
  if (participants_by_segment.size() < o.participants_by_segment.size())
    participants_by_segment.resize(o.participants_by_segment.size(), 0);
  for (std::size_t k = 0; k < o.participants_by_segment.size(); ++k)
    participants_by_segment[k] += o.participants_by_segment[k];
}

segment_tally run_result::total_at(std::uint32_t step) const {
  segment_tally total;
  for (std::size_t s = 0; s < segment_names.size(); ++s) total.add(at(step, s));
  return total;
}

namespace {

double per(double sum, std::uint64_t count) {
  return count == 0 ? not_available : sum / static_cast<double>(count);
}
double count(std::uint64_t c) {
  return static_cast<double>(c);
}

constexpr std::array series_table{
    series_metric{"population", "customers simulated in the segment",
                  [](const segment_tally& t) { return count(t.population); }},
    series_metric{"unaware", "not aware of the firm",
                  [](const segment_tally& t) { return count(t.unaware); }},
    series_metric{"prospects", "aware, never a customer",
                  [](const segment_tally& t) { return count(t.prospects); }},
    series_metric{"customers", "current customers",
                  [](const segment_tally& t) { return count(t.customers); }},
    series_metric{"lapsed", "former customers",
                  [](const segment_tally& t) { return count(t.lapsed); }},
    series_metric{"aware", "everyone but the unaware",
                  [](const segment_tally& t) { return count(t.population - t.unaware); }},
    series_metric{"new_customers", "conversions this step",
                  [](const segment_tally& t) { return count(t.new_customers); }},
    series_metric{"new_referred", "conversions of referred prospects this step",
                  [](const segment_tally& t) { return count(t.new_referred); }},
    series_metric{"win_backs", "conversions of former customers this step",
                  [](const segment_tally& t) { return count(t.win_backs); }},
    series_metric{"newly_aware", "customers who became aware this step",
                  [](const segment_tally& t) { return count(t.newly_aware); }},
    series_metric{"churned", "customers lost this step",
                  [](const segment_tally& t) { return count(t.churned); }},
    series_metric{"satisfaction", "mean satisfaction S of customers",
                  [](const segment_tally& t) { return per(t.satisfaction_sum, t.customers); }},
    series_metric{"trust", "mean trust T of customers",
                  [](const segment_tally& t) { return per(t.trust_sum, t.customers); }},
    series_metric{"empowerment", "mean empowerment E of customers",
                  [](const segment_tally& t) { return per(t.empowerment_sum, t.customers); }},
    series_metric{"loyalty", "mean loyalty L of customers",
                  [](const segment_tally& t) { return per(t.loyalty_sum, t.customers); }},
    series_metric{
        "attitude", "mean attitude A of non-customers",
        [](const segment_tally& t) { return per(t.attitude_sum, t.population - t.customers); }},
    series_metric{"nps", "net promoter score of customers, -100..100",
                  [](const segment_tally& t) {
                    return t.customers == 0 ? not_available
                                            : 100.0 * (count(t.promoters) - count(t.detractors)) /
                                                  count(t.customers);
                  }},
    series_metric{"promoters", "customers with R >= 9",
                  [](const segment_tally& t) { return count(t.promoters); }},
    series_metric{"detractors", "customers with R <= 6",
                  [](const segment_tally& t) { return count(t.detractors); }},
    series_metric{"exposures", "touchpoint contacts this step",
                  [](const segment_tally& t) { return count(t.exposures); }},
    series_metric{"delights", "contacts that delighted",
                  [](const segment_tally& t) { return count(t.delights); }},
    series_metric{"disappointments", "contacts that disappointed",
                  [](const segment_tally& t) { return count(t.disappointments); }},
    series_metric{"wom_positive", "customers telling a positive story (own or retold) this step",
                  [](const segment_tally& t) { return count(t.wom_positive); }},
    series_metric{"wom_negative", "customers telling a negative story (own or retold) this step",
                  [](const segment_tally& t) { return count(t.wom_negative); }},
    series_metric{"heard_positive", "customers who heard a positive story this step",
                  [](const segment_tally& t) { return count(t.heard_positive); }},
    series_metric{"heard_negative", "customers who heard a negative story this step",
                  [](const segment_tally& t) { return count(t.heard_negative); }},
    series_metric{"newly_reached", "customers reached by word of mouth for the first time",
                  [](const segment_tally& t) { return count(t.newly_reached); }},
    series_metric{"ratings", "public ratings posted",
                  [](const segment_tally& t) { return count(t.ratings); }},
    series_metric{"revenue", "margin earned this step",
                  [](const segment_tally& t) { return t.revenue; }},
    series_metric{"touchpoint_cost", "cost of touchpoint contacts this step",
                  [](const segment_tally& t) { return t.touchpoint_cost; }},
};

constexpr std::array summary_table{
    summary_metric{"population", "customers simulated", &segment_summary::population},
    summary_metric{"customers_start", "customers at step 0", &segment_summary::customers_start},
    summary_metric{"customers_end", "customers at the horizon", &segment_summary::customers_end},
    summary_metric{"aware_share", "share aware of the firm at the horizon",
                   &segment_summary::aware_share},
    summary_metric{"retention",
                   "share of step-0 customers still customers at the horizon, never having left",
                   &segment_summary::retention},
    summary_metric{"satisfaction", "mean satisfaction of customers at the horizon",
                   &segment_summary::satisfaction},
    summary_metric{"trust", "mean trust of customers at the horizon", &segment_summary::trust},
    summary_metric{"empowerment", "mean empowerment of customers at the horizon",
                   &segment_summary::empowerment},
    summary_metric{"loyalty", "predicted loyalty: mean loyalty of customers at the horizon",
                   &segment_summary::loyalty},
    summary_metric{"nps", "net promoter score at the horizon", &segment_summary::nps},
    summary_metric{"acquisitions", "conversions over the horizon", &segment_summary::acquisitions},
    summary_metric{"referred_acquisitions", "conversions of referred prospects",
                   &segment_summary::referred_acquisitions},
    summary_metric{"churned", "customers lost over the horizon", &segment_summary::churned},
    summary_metric{"revenue", "margin earned over the horizon", &segment_summary::revenue},
    summary_metric{"revenue_discounted", "margin earned, discounted to step 0",
                   &segment_summary::revenue_discounted},
    summary_metric{"clv", "mean expected lifetime value m*r/(1+d-r) of a customer at the horizon",
                   &segment_summary::clv},
    summary_metric{"customer_equity", "sum of customers' lifetime values at the horizon",
                   &segment_summary::customer_equity},
    summary_metric{"wom_positive", "positive word-of-mouth impulses over the horizon",
                   &segment_summary::wom_positive},
    summary_metric{"wom_negative", "negative word-of-mouth impulses over the horizon",
                   &segment_summary::wom_negative},
    summary_metric{"wom_reach",
                   "word-of-mouth reach: share of customers who heard a story (any origin)",
                   &segment_summary::wom_reach},
    summary_metric{"touchpoint_cost", "cost of touchpoint contacts over the horizon",
                   &segment_summary::touchpoint_cost},
};

constexpr std::array touchpoint_table{
    touchpoint_metric{"exposures", "contacts",
                      [](const touchpoint_tally& t) { return count(t.exposures); }},
    touchpoint_metric{"delights", "contacts that delighted",
                      [](const touchpoint_tally& t) { return count(t.delights); }},
    touchpoint_metric{"disappointments", "contacts that disappointed",
                      [](const touchpoint_tally& t) { return count(t.disappointments); }},
    touchpoint_metric{"experience", "mean experienced quality",
                      [](const touchpoint_tally& t) { return per(t.experience_sum, t.exposures); }},
    touchpoint_metric{"cost", "cost of contacts", [](const touchpoint_tally& t) { return t.cost; }},
};

}  // namespace

std::span<const series_metric> series_metrics() {
  return series_table;
}
std::span<const summary_metric> summary_metrics() {
  return summary_table;
}
std::size_t summary_metric_index(std::string_view name) {
  for (std::size_t i = 0; i < summary_table.size(); ++i)
    if (summary_table[i].name == name) return i;
  throw std::out_of_range("no summary metric named " + std::string(name));
}
std::span<const touchpoint_metric> touchpoint_metrics() {
  return touchpoint_table;
}

}  // namespace cesim
