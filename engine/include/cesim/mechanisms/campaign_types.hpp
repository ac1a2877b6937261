#pragma once
/// The participation instruments: one row per type with its defaults, its distinctive rule and
/// its sources. Adding a type means one more row here, its rule in campaign_types.cpp, and its
/// docs and tests.
#include <cstdint>
#include <span>
#include <string_view>

#include "cesim/config/scenario.hpp"

namespace cesim {

/// Defaults of the common campaign fields for one type (all tunable starting points).
struct campaign_defaults {
  double invite_reach;
  double effort;
  double incentive;
  double responsiveness;
  double visibility;
  double share_probability;
  double gain;
  std::uint64_t capacity;
  std::uint32_t interval;
};

struct campaign_step;
struct campaign_runtime;

/// A type's distinctive rule, as hooks into the common mechanics (campaigns.cpp). Null: none.
struct campaign_hooks {
  /// After a customer decides to take part; returns the share of `gain` they get now (0 when
  /// ownership comes with the result, as in votes). `acted`: the firm acts on their input.
  double (*on_participate)(campaign_step& cs, std::uint32_t agent, bool acted, double u) = nullptr;
  /// Once, after the last active step, for the whole campaign.
  void (*on_close)(campaign_runtime& rt, double u) = nullptr;
  /// In the step after the close, for every customer.
  void (*after_close)(campaign_step& cs, std::uint32_t agent) = nullptr;
  /// Participants share through the hook, not through the common talk rule.
  bool own_sharing = false;
  /// Recruits the best-connected customers instead of inviting (influencer programmes).
  bool recruits_by_degree = false;
  /// Stories of this campaign refer the prospects who hear them (referral programmes).
  bool refers = false;
};

struct campaign_type_info {
  campaign_type type;
  std::string_view name;
  std::string_view rule;    ///< the distinctive rule, in one sentence
  std::string_view source;  ///< literature behind the rule and defaults
  campaign_defaults defaults;
  campaign_hooks hooks;
};

std::span<const campaign_type_info> campaign_types();
const campaign_type_info& campaign_info(campaign_type t);

}  // namespace cesim
