#pragma once
/// What every mechanism reads and writes during one step. Mechanisms are free functions over an
/// agent range: they touch only the agents in that range (plus read-only shared data), so blocks
/// run in parallel without locks.
#include <cstdint>
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
  std::vector<segment_baseline> baselines;
  bool has_purchase_touchpoints = false;

  explicit compiled_model(const scenario& s);
};

/// Impulses started in a step, one slot per agent. If several events happen to one agent in a
/// step, the one with the larger impact is kept: a customer tells one story per week.
struct impulse_outbox {
  std::vector<std::int8_t> valence;  ///< -1, 0 (none), +1
  std::vector<std::uint16_t> origin;
  std::vector<float> impact;

  void resize(std::size_t n);
  void clear(agent_range r);
  void record(std::uint32_t agent, std::int8_t v, std::uint16_t from, float magnitude) {
    if (valence[agent] != 0 && impact[agent] >= magnitude) return;
    valence[agent] = v;
    origin[agent] = from;
    impact[agent] = magnitude;
  }
};

/// Partial results of one block of agents in one step.
struct block_tally {
  std::vector<segment_tally> segments;
  std::vector<touchpoint_tally> touchpoints;
  void reset(std::size_t segment_count, std::size_t touchpoint_count);
};

struct step_view {
  const compiled_model& model;
  const population& people;
  agent_state& state;
  impulse_outbox& outbox;  ///< written this step, read by word of mouth next step
  rng::key key;
  std::uint32_t step = 0;
  double public_rating = 0;
};

}  // namespace cesim
