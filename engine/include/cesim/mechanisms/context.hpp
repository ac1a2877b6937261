#pragma once
/// What every mechanism reads and writes during one step. Mechanisms are free functions over an
/// agent range: they touch only the agents in that range (plus read-only shared data), so blocks
/// run in parallel without locks.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/population/population.hpp"
#include "cesim/rng/philox.hpp"
#include "cesim/sim/blocks.hpp"
#include "cesim/sim/results.hpp"

namespace cesim {

/// Levels that satisfaction, trust and attitude return to, and new customers' loyalty.
struct segment_baseline {
  float satisfaction = 0;
  float trust = 0;
  float loyalty = 0;
  float attitude = 0;
};

/// Word-of-mouth origins: organic talk, churn, then one per touchpoint (campaigns follow).
namespace origin {
inline constexpr std::uint16_t organic = 0;
inline constexpr std::uint16_t churn = 1;
inline constexpr std::uint16_t first_touchpoint = 2;
}  // namespace origin

/// Per-run constants derived once from the scenario.
struct compiled_model {
  const scenario* sc = nullptr;
  std::size_t personas = 0;
  std::size_t segments = 0;
  std::size_t touchpoints = 0;
  /// exposure_probability[k * personas + p] = min(1, reach_k * affinity_p(channel_k))
  std::vector<float> exposure_probability;
  /// The same as gate thresholds (rng::gate_threshold): exposed iff gate bits < threshold.
  std::vector<std::uint64_t> exposure_threshold;
  std::vector<segment_baseline> baselines;
  bool has_purchase_touchpoints = false;
  std::vector<std::string> origin_names;  ///< organic, churn, each touchpoint, each campaign
  std::vector<float> affinity;            ///< personas x channels
  std::size_t channels = 0;
  /// Per origin: index + 1 of the referral programme whose stories it carries, else 0.
  std::vector<std::uint16_t> referral_campaign;
  std::size_t hop_slots = 1;  ///< max_hops + 1
  /// The recommendation mix (see recommend_group) at and above which a customer is a promoter,
  /// and below which a detractor: the level comparisons decided on the mix, without dividing.
  double promoter_mix = 0;
  double passive_mix = 0;

  explicit compiled_model(const scenario& s);
};

/// Stories customers tell in a step, one slot per agent: started (a delight, a disappointment,
/// churn, organic talk) or passed on. If several compete, the one with the highest priority is
/// told: own experiences (priority 1 + |impact|) before retold stories (priority = strength < 1).
struct impulse_outbox {
  std::vector<std::int8_t> valence;  ///< -1, 0 (nothing to tell), +1
  std::vector<std::uint16_t> origin;
  std::vector<std::uint8_t> hops;  ///< 0: own story; n: heard n retellings away from its origin
  std::vector<float> strength;     ///< 1 at the origin, times decay per retelling
  std::vector<float> priority;

  void resize(std::size_t n);
  void clear(agent_range r);
  void record(std::uint32_t agent, std::int8_t v, std::uint16_t from, std::uint8_t hop,
              float message_strength, float message_priority) {
    if (valence[agent] != 0 && priority[agent] >= message_priority) return;
    valence[agent] = v;
    origin[agent] = from;
    hops[agent] = hop;
    strength[agent] = message_strength;
    priority[agent] = message_priority;
  }
};

/// Which customers each origin's stories have touched (told or heard), one bit per customer and
/// origin, plus one set for any origin. Blocks own whole 64-bit words (4096 agents = 64 words), so
/// parallel blocks never write the same word.
class reach_tracker {
 public:
  void reset(std::size_t origins, std::uint32_t agents);
  /// Marks agent as touched by origin; true if it was not before.
  bool touch(std::size_t origin, std::uint32_t agent) {
    return set(bits_, origin * words_ + agent / 64, agent);
  }
  bool touch_any(std::uint32_t agent) { return set(any_, agent / 64, agent); }
  [[nodiscard]] bool touched(std::size_t origin, std::uint32_t agent) const {
    return (bits_[origin * words_ + agent / 64] >> (agent % 64)) & 1u;
  }
  [[nodiscard]] std::size_t origins() const { return origins_; }

 private:
  static bool set(std::vector<std::uint64_t>& v, std::size_t word, std::uint32_t agent) {
    const std::uint64_t mask = std::uint64_t{1} << (agent % 64);
    if (v[word] & mask) return false;
    v[word] |= mask;
    return true;
  }
  std::size_t origins_ = 0;
  std::size_t words_ = 0;
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint64_t> any_;
};

/// Partial results of one block of agents in one step.
struct block_tally {
  std::vector<segment_tally> segments;
  std::vector<touchpoint_tally> touchpoints;
  std::vector<std::uint64_t> origin_reached;  ///< per origin: customers first reached this step
  std::vector<std::uint64_t> hops;            ///< origins x (max_hops + 1): first reaches by hop
  std::vector<campaign_tally> campaigns;
  void reset(std::size_t segment_count, std::size_t touchpoint_count, std::size_t origin_count,
             std::size_t hop_slots);
};

/// A non-customer's attitude moves by `change` and, if unaware, they become aware: what every
/// contact with the firm (touchpoint, story, campaign) does to someone who is not a customer.
inline void move_non_customer(agent_state& st, std::uint32_t i, double change,
                              segment_tally& tally) {
  st.attitude[i] = static_cast<float>(std::clamp(st.attitude[i] + change, 0.0, 1.0));
  if (st.status[i] == customer_status::unaware) {
    st.status[i] = customer_status::aware;
    ++tally.newly_aware;
  }
}

struct social_network;

struct step_view {
  const compiled_model& model;
  const population& people;
  agent_state& state;
  impulse_outbox& outbox;       ///< written this step, read by word of mouth next step
  const impulse_outbox& inbox;  ///< what was told last step
  /// One bit per customer: told a story last step. Far smaller than the inbox, so the scan of
  /// every contact's bit stays in cache; the inbox is read only for actual tellers.
  const std::vector<std::uint64_t>& tellers;
  const social_network& network;
  reach_tracker& reach;
  std::vector<std::uint8_t>& heard;  ///< bit 1: heard a positive story this step, bit 2: negative
  std::vector<std::uint16_t>&
      referred_by;  ///< referral programme index + 1 that referred the customer
  rng::key key;
  std::uint32_t step = 0;
  double public_rating = 0;
  /// Pushed delivery: every (hearer << 32 | teller) whose hearing draw succeeded this step,
  /// sorted; null when hearers pull from their contacts instead.
  const std::vector<std::uint64_t>* hearings = nullptr;
};

}  // namespace cesim
