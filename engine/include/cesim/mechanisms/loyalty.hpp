#pragma once
#include <algorithm>

#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Loyalty follows satisfaction, trust and empowerment; empowerment decays; satisfaction, trust
/// and attitude drift back to their segment baselines.
void apply_loyalty(const step_view& v, agent_range range);

enum class nps_group { detractor, passive, promoter };

/// The level on Reichheld's 0-10 scale of a recommendation mix x: 10 * min(1, x / top_level).
inline double recommend_level(double mix, double top_level) {
  return 10.0 * std::min(1.0, mix / top_level);
}

/// Where a customer's likelihood to recommend, R = round(recommend_level(x)), puts them:
/// promoters answer 9-10, detractors 0-6. R >= 9 exactly when the level is >= 8.5, R <= 6 when
/// it is < 6.5. The level rises monotonically with the mix x (each operation of it is
/// correctly rounded and monotone), so these are x >= promoter_mix and x < passive_mix, with
/// bounds the compiled model finds once (lowest_mix_reaching); no division or rounding per
/// customer.
inline double recommend_mix(const compiled_model& m, float satisfaction, float loyalty) {
  const auto& lp = m.sc->loyalty;
  return lp.recommend_satisfaction_weight * satisfaction +
         (1.0 - lp.recommend_satisfaction_weight) * loyalty;
}
inline nps_group recommend_group(const compiled_model& m, float satisfaction, float loyalty) {
  const double mix = recommend_mix(m, satisfaction, loyalty);
  if (mix >= m.promoter_mix) return nps_group::promoter;
  return mix < m.passive_mix ? nps_group::detractor : nps_group::passive;
}

/// The smallest double x with recommend_level(x, top_level) >= level.
double lowest_mix_reaching(double level, double top_level);

}  // namespace cesim::mechanisms
