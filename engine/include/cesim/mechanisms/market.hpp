#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Conversion of aware non-customers and former customers, churn of customers, revenue.
void apply_market(const step_view& v, agent_range range, block_tally& tally);

/// Probability per step that customer i churns, given the current state.
double churn_probability(const compiled_model& m, const population& people,
                         const agent_state& state, std::uint32_t i);

}  // namespace cesim::mechanisms
