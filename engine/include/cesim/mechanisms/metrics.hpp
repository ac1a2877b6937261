#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Adds the state of the agents in range to the per-segment tallies.
void collect_metrics(const step_view& v, agent_range range, block_tally& tally);

}  // namespace cesim::mechanisms
