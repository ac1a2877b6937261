#pragma once
/// Participation campaigns: invitations, the participation decision, what taking part does,
/// observers, and the per-type rules (campaign_types.cpp).
#include <cstdint>
#include <limits>
#include <vector>

#include "cesim/mechanisms/context.hpp"

namespace cesim {

struct social_network;
struct campaign_gates;

/// What a campaign remembers across steps.
struct campaign_runtime {
  const campaign* def = nullptr;
  std::size_t index = 0;
  std::uint16_t origin = 0;
  std::vector<std::uint64_t> participated;  ///< bit per customer
  std::vector<std::uint8_t> choice;         ///< vote: option + 1; contest: 1 entrant, 2 voter
  std::vector<std::uint64_t> recruited;     ///< influencer: bit per recruit
  std::vector<double> participants_by_segment;
  double participants_total = 0;
  /// Per segment, what noticing the campaign adds to an observer this step (observe_campaign);
  /// follows the participants so far, which change only between steps.
  std::vector<double> observer_gain;
  /// With binding capacity: bit per applicant admitted in the pre-pass. Only they may take part,
  /// even if a touchpoint earlier in the step made someone else eligible.
  std::vector<std::uint64_t> admitted;
  bool capacity_binds = false;
  std::uint32_t close_step = 0;  ///< last active step, 0 when it runs to the horizon
  bool closed = false;
  int winner = -1;              ///< vote: winning option
  bool jury_overruled = false;  ///< contest: the jury did not pick the community's favourite
  std::vector<std::uint64_t> votes;
  /// Per persona, the invitation and observation probabilities (reach or visibility times the
  /// channel affinity) as gate thresholds (rng::gate_threshold): fixed for the run.
  std::vector<std::uint64_t> invite_threshold;
  std::vector<std::uint64_t> observe_threshold;
  bool observable = false;  ///< some persona can notice the campaign without taking part
  std::vector<std::uint8_t> segment_targeted;  ///< per segment, 1 if targeted

  [[nodiscard]] bool has(const std::vector<std::uint64_t>& bits, std::uint32_t i) const {
    return !bits.empty() && ((bits[i / 64] >> (i % 64)) & 1u);
  }
  [[nodiscard]] bool active(std::uint32_t step) const;
};

/// Everything a per-type rule may use for one customer in one step.
struct campaign_step {
  const step_view& v;
  campaign_runtime& rt;
  campaign_tally& tally;
  block_tally& block;
};

/// Shared by the per-type rules: a story from the campaign, and what seeing it does to a
/// non-participant (observer effect with identification).
void campaign_story(campaign_step& cs, std::uint32_t agent, int valence);
void observe_campaign(campaign_step& cs, std::uint32_t agent);

class campaign_engine {
 public:
  campaign_engine(const scenario& s, const compiled_model& m, std::uint32_t agents);

  /// Before a step's block pass: influencer recruitment and capacity cut-offs, which need the
  /// whole population.
  void prepare_step(const step_view& v, const social_network& net);
  /// In the block pass, after touchpoints.
  void apply(const step_view& v, agent_range range, block_tally& tally);
  /// After the block pass, with the step's totals: fixed costs, votes, closing decisions.
  void finish_step(std::uint32_t step, std::vector<campaign_tally>& totals, rng::key key);
  /// Origin index of campaign c's stories.
  [[nodiscard]] std::uint16_t origin(std::size_t c) const { return runtimes_[c].origin; }
  [[nodiscard]] std::size_t size() const { return runtimes_.size(); }
  [[nodiscard]] const campaign_runtime& runtime(std::size_t c) const { return runtimes_[c]; }
  void reset_tallies(block_tally& tally) const;
  void reset_tally_vector(std::vector<campaign_tally>& tallies) const;
  [[nodiscard]] std::size_t campaigns() const { return runtimes_.size(); }

 private:
  bool targeted(const step_view& v, const campaign_runtime& rt, std::uint32_t i) const;
  double participation_probability(const step_view& v, const campaign& c, std::uint32_t i) const;
  void recruit_influencers(const step_view& v, const social_network& net, campaign_runtime& rt);
  /// The agent pass of an influencer campaign (recruits post) and of all other types
  /// (invitations, participation, observers).
  void apply_recruited(campaign_step& cs, campaign_gates& gates, agent_range range) const;
  void invite_and_observe(campaign_step& cs, campaign_gates& gates, agent_range range) const;
  void take_part(campaign_step& cs, std::uint32_t i, double u_respond, double u_rule,
                 double u_share) const;

  const scenario& sc_;
  std::vector<campaign_runtime> runtimes_;
  std::vector<double> segment_share_;
};

}  // namespace cesim
