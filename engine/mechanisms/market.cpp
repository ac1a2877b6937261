#include "cesim/mechanisms/market.hpp"

#include "cesim/mechanisms/touchpoints.hpp"
#include "cesim/util/math.hpp"

namespace cesim::mechanisms {

double churn_probability(const compiled_model& m, const population& people,
                         const agent_state& state, std::uint32_t i) {
  const auto& mk = m.sc->market;
  const bool referred = (state.flags[i] & agent_flag::referred) != 0;
  const double logit =
      mk.churn_base - mk.churn_loyalty * state.loyalty[i] +
      mk.churn_price_sensitivity * people.trait_values(trait::price_sensitivity)[i] -
      (referred ? mk.churn_referred : 0.0);
  return weekly_to_step(logistic(logit), m.sc->time.weeks_per_step);
}

void apply_market(const step_view& v, agent_range range, block_tally& tally) {
  const auto& mk = v.model.sc->market;
  const double weeks = v.model.sc->time.weeks_per_step;
  const auto& margin = v.people.trait_values(trait::margin);
  const auto& talkativeness = v.people.trait_values(trait::talkativeness);
  auto& st = v.state;
  rng::gate_draws decisions(v.key, v.step, rng::stream::market);

  for (std::uint32_t i = range.begin; i < range.end; ++i) {
    const auto status = st.status[i];
    const auto segment = v.people.segment[i];
    auto& seg_tally = tally.segments[segment];
    const bool referred = (st.flags[i] & agent_flag::referred) != 0;

    if (status == customer_status::aware || status == customer_status::lapsed) {
      const double logit = mk.conversion_base + mk.conversion_attitude * st.attitude[i] +
                           (referred ? mk.conversion_referred : 0.0) +
                           (status == customer_status::lapsed ? mk.conversion_lapsed : 0.0);
      // A heard recommendation is a second, independent reason to buy (Bass's imitation).
      double p = weekly_to_step(logistic(logit), weeks);
      if ((v.heard[i] & 1u) != 0) p = 1.0 - (1.0 - p) * (1.0 - mk.conversion_recommendation);
      if (decisions.uniform(i) < p) {
        st.status[i] = customer_status::customer;
        st.satisfaction[i] =
            st.attitude[i];  // a new customer's satisfaction starts at their attitude
        st.loyalty[i] = v.model.baselines[segment].loyalty;
        ++seg_tally.new_customers;
        if (referred) ++seg_tally.new_referred;
        if (v.referred_by[i] != 0) {
          // The referrer's reward is paid when the referred prospect converts.
          auto& ct = tally.campaigns[v.referred_by[i] - 1u];
          ++ct.referral_conversions;
          ct.cost += v.model.sc->campaigns[v.referred_by[i] - 1u].reward_per_referral;
          v.referred_by[i] = 0;  // one reward per referral; the referred flag stays (lower churn)
        }
        if (status == customer_status::lapsed) ++seg_tally.win_backs;
      }
    } else if (status == customer_status::customer) {
      if (decisions.uniform(i) < churn_probability(v.model, v.people, st, i)) {
        st.status[i] = customer_status::lapsed;
        st.attitude[i] = st.satisfaction[i];
        st.flags[i] |= agent_flag::churned;
        ++seg_tally.churned;
        // Whether a churner warns others: drawn only for the few who churn.
        rng::counter_stream warn(v.key, i, v.step, rng::stream::market);
        if (warn.uniform() < mk.churn_warn_probability * talkativeness[i])
          start_story(v, i, -1, origin::churn, 0.0);
      }
    }
    if (st.status[i] == customer_status::customer) seg_tally.revenue += margin[i];
  }
}

}  // namespace cesim::mechanisms
