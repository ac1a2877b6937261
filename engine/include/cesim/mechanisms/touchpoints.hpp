#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Exposure, experience, expectation-disconfirmation with loss aversion, and the delight or
/// disappointment impulses that word of mouth carries on.
void apply_touchpoints(const step_view& v, agent_range range, block_tally& tally);

}  // namespace cesim::mechanisms
