#include "cesim/mechanisms/loyalty.hpp"

#include <algorithm>
#include <cmath>

#include "cesim/util/math.hpp"

namespace cesim::mechanisms {

int recommend_score(const compiled_model& m, float satisfaction, float loyalty) {
  const auto& lp = m.sc->loyalty;
  const double mix = lp.recommend_satisfaction_weight * satisfaction +
                     (1.0 - lp.recommend_satisfaction_weight) * loyalty;
  return static_cast<int>(std::lround(10.0 * std::min(1.0, mix / lp.recommend_top_level)));
}

void apply_loyalty(const step_view& v, agent_range range) {
  const auto& lp = v.model.sc->loyalty;
  auto& st = v.state;
  const auto eta = static_cast<float>(lp.rate);
  const auto ws = static_cast<float>(lp.weight_satisfaction);
  const auto wt = static_cast<float>(lp.weight_trust);
  const auto we = static_cast<float>(lp.weight_empowerment);
  const auto keep_empowerment = static_cast<float>(1.0 - lp.empowerment_decay);
  const auto trust_back = static_cast<float>(lp.trust_reversion);
  const auto satisfaction_back = static_cast<float>(lp.satisfaction_reversion);
  const auto attitude_back = static_cast<float>(lp.attitude_reversion);

  for (std::uint32_t i = range.begin; i < range.end; ++i) {
    const auto& base = v.model.baselines[v.people.segment[i]];
    if (st.status[i] == customer_status::customer) {
      const float target = ws * st.satisfaction[i] + wt * st.trust[i] + we * st.empowerment[i];
      st.loyalty[i] = clamp01(st.loyalty[i] + eta * (target - st.loyalty[i]));
      st.satisfaction[i] = clamp01(st.satisfaction[i] +
                                   satisfaction_back * (base.satisfaction - st.satisfaction[i]));
    } else {
      st.attitude[i] = clamp01(st.attitude[i] + attitude_back * (base.attitude - st.attitude[i]));
    }
    st.empowerment[i] *= keep_empowerment;
    st.trust[i] = clamp01(st.trust[i] + trust_back * (base.trust - st.trust[i]));
  }
}

}  // namespace cesim::mechanisms
