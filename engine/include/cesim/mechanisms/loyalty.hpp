#pragma once
#include <algorithm>

#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Loyalty follows satisfaction, trust and empowerment; empowerment decays; satisfaction, trust
/// and attitude drift back to their segment baselines.
void apply_loyalty(const step_view& v, agent_range range);

enum class nps_group { detractor, passive, promoter };

/// Where a customer's likelihood to recommend, R = round(10 * min(1, x / top_level)) on
/// Reichheld's 0-10 scale, puts them: promoters answer 9-10, detractors 0-6. Decided on the
/// unrounded level (R >= 9 exactly when 10 * min(1, x / top) >= 8.5, R <= 6 when it is < 6.5),
/// which spares the rounding call.
inline nps_group recommend_group(const compiled_model& m, float satisfaction, float loyalty) {
  const auto& lp = m.sc->loyalty;
  const double mix = lp.recommend_satisfaction_weight * satisfaction +
                     (1.0 - lp.recommend_satisfaction_weight) * loyalty;
  const double level = 10.0 * std::min(1.0, mix / lp.recommend_top_level);
  if (level >= 8.5) return nps_group::promoter;
  return level < 6.5 ? nps_group::detractor : nps_group::passive;
}

}  // namespace cesim::mechanisms
