#pragma once
/// Plain, immutable configuration produced by the loader and read by the engine. Everything
/// here is already validated and converted to per-step units; the engine never sees YAML.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cesim/error.hpp"
#include "cesim/network/network.hpp"

namespace cesim {

/// Persona traits, stored per customer.
enum class trait : std::uint8_t {
  participation,
  talkativeness,
  susceptibility,
  expectation,
  loss_aversion,
  price_sensitivity,
  margin,
};
inline constexpr std::size_t trait_count = 7;
inline constexpr std::array<std::string_view, trait_count> trait_names{
    "participation", "talkativeness",     "susceptibility", "expectation",
    "loss_aversion", "price_sensitivity", "margin"};
constexpr std::size_t index_of(trait t) {
  return static_cast<std::size_t>(t);
}

/// A marginal distribution of a trait or an initial state value, sampled by inverse CDF so that
/// one uniform gives one value (monotone coupling for common random numbers).
struct distribution {
  enum class family : std::uint8_t { fixed, uniform, normal, beta, lognormal, categorical };
  family kind = family::fixed;
  double a = 0;   ///< fixed: value; uniform: min; normal: mean; beta: alpha; lognormal: mu of log
  double b = 0;   ///< uniform: max; normal: sd; beta: beta; lognormal: sigma of log
  double lo = 0;  ///< draws are clipped to [lo, hi], the valid domain
  double hi = 1;
  std::vector<double> values;      ///< categorical
  std::vector<double> cumulative;  ///< categorical: normalised cumulative weights
  source_mark where;

  static distribution fixed_value(double v, double lo, double hi);
  /// Exact quantile (beta through Boost.Math: accurate but slow; synthesis tabulates it).
  [[nodiscard]] double quantile(double u) const;
  /// Mean of the clipped distribution, by numerical integration of the quantile where needed.
  [[nodiscard]] double mean() const;
  [[nodiscard]] std::string describe() const;
};

std::string_view family_name(distribution::family f);

struct persona {
  std::string name;
  std::string description;
  std::string file;  ///< where it was defined ("" for inline personas: see where)
  source_mark where;
  std::array<distribution, trait_count> traits;
  std::vector<double> channel_affinity;  ///< by scenario channel index
  double degree_weight = 1.0;            ///< network hint: relative number of contacts
};

/// Gaussian copula over some traits of a segment.
struct correlation_spec {
  std::vector<trait> traits;
  std::vector<double> matrix;  ///< row-major, traits.size() squared, Gaussian-copula correlation
  source_mark where;
  [[nodiscard]] bool empty() const { return traits.empty(); }
};

struct segment {
  std::string name;
  std::string description;
  source_mark where;
  double share = 0;         ///< of the population
  std::uint64_t count = 0;  ///< customers, derived from share and population
  std::vector<std::size_t> persona_index;
  std::vector<double> persona_weight;  ///< normalised to sum 1
  std::array<std::optional<distribution>, trait_count> trait_overrides;
  correlation_spec correlation;
  double initial_aware = 0;
  double initial_customers = 0;
  distribution initial_satisfaction;
  distribution initial_trust;
  distribution initial_loyalty;
  distribution initial_attitude;
};

enum class touchpoint_kind : std::uint8_t { direct, indirect };
enum class purchase_phase : std::uint8_t { pre_purchase, purchase, post_purchase };
std::string_view to_string(touchpoint_kind k);
std::string_view to_string(purchase_phase p);

struct touchpoint {
  std::string name;
  std::string description;
  source_mark where;
  touchpoint_kind kind = touchpoint_kind::direct;
  purchase_phase phase = purchase_phase::pre_purchase;
  std::size_t channel = 0;
  double reach = 0;  ///< per step
  double quality_mean = 0;
  double quality_sd = 0;
  double weight = 1;
  double cost_per_contact = 0;
  /// Cost of raising quality.mean by 0.1, for `cesim prioritize` (0: not known).
  double improvement_cost = 0;
  bool shows_public_rating = false;  ///< an indirect review touchpoint showing the public rating
  std::uint32_t start = 1;           ///< first step it is active
  std::uint32_t end = 0;             ///< last step it is active (0: to the horizon)
  std::uint32_t stream_tag = 0;      ///< random stream id from the name, stable across variants
};

enum class step_unit : std::uint8_t { day, week, month, quarter, year };
std::string_view to_string(step_unit u);

struct time_config {
  step_unit unit = step_unit::week;
  std::uint32_t horizon = 52;
  double weeks_per_step = 1;
  double discount_rate_per_year = 0.1;
  double discount_per_step = 0;
};

struct experience_params {
  double satisfaction_rate = 0;
  double attitude_rate = 0;
  double trust_rate = 0;
  double delight_threshold = 0;
  double disappointment_threshold = 0;
  double negativity_bias = 0;
};

struct market_params {
  double purchase_probability = 0;  ///< per step
  double conversion_base = 0;       ///< logit per week
  double conversion_attitude = 0;
  double conversion_referred = 0;
  double conversion_lapsed = 0;
  double conversion_recommendation = 0;  ///< per step in which a recommendation was heard
  double churn_base = 0;                 ///< logit per week
  double churn_loyalty = 0;
  double churn_price_sensitivity = 0;
  double churn_referred = 0;
  double churn_warn_probability = 0;
};

struct loyalty_params {
  double rate = 0;  ///< per step
  double weight_satisfaction = 0;
  double weight_trust = 0;
  double weight_empowerment = 0;
  double empowerment_decay = 0;
  double trust_reversion = 0;
  double satisfaction_reversion = 0;
  double attitude_reversion = 0;
  double recommend_satisfaction_weight = 0;
  double recommend_top_level = 0;
};

enum class network_kind : std::uint8_t {
  well_mixed,
  erdos_renyi,
  watts_strogatz,
  barabasi_albert,
  block_model,
  edge_list
};
std::string_view to_string(network_kind k);

/// How tie strengths are given: at random by share, or by structure (ring-lattice ties and ties
/// within a segment are strong; rewired shortcuts and ties across segments are weak).
enum class tie_assignment : std::uint8_t { random, structural };

struct network_config {
  network_kind kind = network_kind::watts_strogatz;
  double mean_degree = 20;
  double rewiring = 0.1;
  std::vector<double> mixing;  ///< block model: segments x segments, row s = where s's ties go
  tie_assignment ties = tie_assignment::random;
  double strong_share = 1;
  double strong_strength = 1;
  double weak_strength = 0.3;
  std::uint32_t contacts_per_step = 0;  ///< well-mixed
  edge_list_options edge_list;
};

/// The nine participation instruments. Each has its defaults and its distinctive rule in
/// engine/mechanisms/campaign_types.cpp.
enum class campaign_type : std::uint8_t {
  survey,
  vote,
  feedback_system,
  company_blog,
  innovation_workshop,
  co_creation_contest,
  crowdsourcing,
  influencer_program,
  referral_program,
};
inline constexpr std::size_t campaign_type_count = 9;

/// Who may be invited: segments (empty = all), statuses (bits of 1 << customer_status), loyalty.
struct campaign_target {
  std::vector<bool> segments;
  std::uint8_t statuses = 0;
  double min_loyalty = 0;
};

/// The winning design of a co-creation contest, sold as a temporary touchpoint.
struct featured_product {
  std::uint32_t steps = 0;  ///< feature window after the contest closes (0: no feature)
  std::size_t channel = 0;
  double reach = 0;  ///< per step
  double quality_mean = 0;
  double quality_sd = 0;
  double weight = 1;
  double publicity = 0;  ///< per step: non-customers who see the launch become aware
};

struct campaign {
  std::string name;
  std::string description;
  source_mark where;
  campaign_type type = campaign_type::survey;
  std::size_t channel = 0;
  std::uint32_t start = 1;
  std::uint32_t end = 0;  ///< last active step (0: the horizon)
  std::uint32_t interval =
      0;  ///< scheduled events: active every `interval` steps from start (0: every step)
  campaign_target target;
  double invite_reach = 0;  ///< per step: a targeted customer is invited (times channel affinity)
  double effort = 0;
  double incentive = 0;
  std::uint64_t capacity = 0;  ///< participants per active step (0: no limit)
  double responsiveness = 0;   ///< the firm visibly acts on a participant's input
  double visibility = 0;       ///< per step: a non-participant sees the campaign (times affinity)
  double share_probability = 0;
  double gain = 0;  ///< empowerment gain of a participant: E <- E + gain (1 - E)
  double cost_fixed = 0;
  double cost_per_invitation = 0;
  double cost_per_participant = 0;
  // Type-specific; unused ones stay at their defaults.
  std::uint32_t options = 0;       ///< vote: options to choose from
  double losing_gain_factor = 0;   ///< vote: gain of voters whose option lost, as a share
  double entry_share = 0;          ///< contest: share of participants who enter a design
  double jury_agreement = 1;       ///< contest: chance the jury picks the community's favourite
  featured_product feature;        ///< contest: the winner on sale
  double credibility = 1;          ///< influencer: weight of sponsored stories
  double sponsored_talk = 0;       ///< influencer: chance per step a recruit posts about the firm
  double reward_per_referral = 0;  ///< referral: cost per referred customer who converts
  std::uint32_t stream_tag = 0;
};

std::string_view to_string(campaign_type t);

/// How invited customers decide and how participation moves them (global to all campaigns).
struct campaign_params {
  double base = 0;
  double propensity = 0;
  double loyalty = 0;
  double incentive = 0;
  double effort = 0;
  double acted_trust = 0;
  double acted_satisfaction = 0;
  double ignored_trust = 0;
  double ignored_satisfaction = 0;
  double observer_gain = 0;
  double observer_identification = 0;
};

struct word_of_mouth_params {
  double talk_scale = 0;           ///< hearing: talk_scale * talkativeness(sender) * tie strength
  double forward_probability = 0;  ///< times talkativeness(receiver)
  double decay = 0;                ///< message strength kept per hop
  double negativity_weight = 0;    ///< negative messages: effect and forwarding multiplier
  double effect = 0;               ///< alpha_W
  double organic_rate = 0;         ///< per step, times talkativeness
  std::uint32_t max_hops = 0;
};

struct review_params {
  double rating_probability = 0;  ///< per step
  double update_rate = 0;         ///< per step
};

/// An input file that went into a scenario, for the run manifest.
struct input_file {
  std::string path;
  std::string sha256;
  std::string role;  ///< "scenario" or "persona"
};

/// A key-path override applied before validation (`--set`, `--population`, variants, sweeps).
struct override_spec {
  std::string path;
  std::string value;   ///< YAML flow text
  std::string origin;  ///< shown in errors, e.g. "--set"
};

/// A named set of key-path overrides declared in a scenario's `variants`, compared against the
/// scenario itself (the baseline) by `cesim compare`.
struct variant {
  std::string name;
  std::string description;
  source_mark where;
  std::vector<override_spec> overrides;
};

struct scenario {
  std::string name;
  std::string description;
  std::string file;
  std::vector<input_file> inputs;
  std::vector<override_spec> overrides;
  std::uint64_t seed = 1;
  std::uint64_t population = 0;
  time_config time;
  std::vector<std::string> channels;
  std::vector<persona> personas;
  std::vector<segment> segments;
  std::vector<touchpoint> touchpoints;
  std::vector<campaign> campaigns;
  campaign_params campaign_response;
  network_config network;
  word_of_mouth_params word_of_mouth;
  experience_params experience;
  market_params market;
  loyalty_params loyalty;
  review_params review;
  std::vector<variant> variants;
};

/// The segments' names, in scenario order.
std::vector<std::string> segment_names(const scenario& s);

}  // namespace cesim
