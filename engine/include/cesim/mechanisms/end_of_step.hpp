#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// The end of a step for a block of agents: market, loyalty, ratings, organic talk and metrics,
/// all five for one agent before the next. Each reads and writes only the agent's own state and
/// adds to block tallies no other of the five adds to, so this gives exactly what the five loops
/// (apply_market, apply_loyalty, post_ratings, organic_talk, collect_metrics) give one after the
/// other, with one pass over the block's state instead of five.
void finish_step(const step_view& v, agent_range range, block_tally& tally);

}  // namespace cesim::mechanisms
