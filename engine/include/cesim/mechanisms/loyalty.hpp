#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Loyalty follows satisfaction, trust and empowerment; empowerment decays; satisfaction, trust
/// and attitude drift back to their segment baselines.
void apply_loyalty(const step_view& v, agent_range range);

/// Likelihood to recommend on Reichheld's 0-10 scale.
int recommend_score(const compiled_model& m, float satisfaction, float loyalty);

}  // namespace cesim::mechanisms
