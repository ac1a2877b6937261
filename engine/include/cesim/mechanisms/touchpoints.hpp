#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Exposure, experience, expectation-disconfirmation with loss aversion, and the delight or
/// disappointment impulses that word of mouth carries on.
void apply_touchpoints(const step_view& v, agent_range range, block_tally& tally);

/// Starts a story (word-of-mouth impulse) told next step; shared by every mechanism that makes
/// customers talk (touchpoints, churn, organic talk, campaigns).
void start_story(const step_view& v, std::uint32_t agent, std::int8_t valence, std::uint16_t from,
                 double impact, float strength = 1.0f);

}  // namespace cesim::mechanisms
