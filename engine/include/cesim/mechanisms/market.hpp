#pragma once
#include "cesim/mechanisms/context.hpp"
#include "cesim/util/math.hpp"

namespace cesim::mechanisms {

/// Conversion of aware non-customers and former customers, churn of customers, revenue.
void apply_market(const step_view& v, agent_range range, block_tally& tally);

/// Log-odds that customer i churns in a week, given the current state.
inline double churn_logit(const compiled_model& m, const population& people,
                          const agent_state& state, std::uint32_t i) {
  const auto& mk = m.sc->market;
  const bool referred = (state.flags[i] & agent_flag::referred) != 0;
  return mk.churn_base - mk.churn_loyalty * state.loyalty[i] +
         mk.churn_price_sensitivity * people.trait_values(trait::price_sensitivity)[i] -
         (referred ? mk.churn_referred : 0.0);
}

/// Probability per step that customer i churns, given the current state.
inline double churn_probability(const compiled_model& m, const population& people,
                                const agent_state& state, std::uint32_t i) {
  return weekly_to_step(logistic(churn_logit(m, people, state, i)), m.sc->time.weeks_per_step);
}

}  // namespace cesim::mechanisms
