#include "cesim/mechanisms/touchpoints.hpp"

#include <cmath>
#include <vector>

#include "cesim/util/math.hpp"

namespace cesim::mechanisms {

void start_story(const step_view& v, std::uint32_t agent, std::int8_t valence, std::uint16_t from,
                 double impact, float strength) {
  // The teller counts as touched by the story's origin: they are not "reached" by it later, and
  // do not pass it on again (one-shot retelling).
  v.reach.touch(from, agent);
  v.reach.touch_any(agent);
  v.outbox.record(agent, valence, from, 0, strength, static_cast<float>(1.0 + std::fabs(impact)));
}

void apply_touchpoints(const step_view& v, agent_range range, block_tally& tally) {
  const auto& sc = *v.model.sc;
  if (sc.touchpoints.empty()) return;
  const auto& ex = sc.experience;
  const auto& expectation = v.people.trait_values(trait::expectation);
  const auto& loss_aversion = v.people.trait_values(trait::loss_aversion);
  const auto& talkativeness = v.people.trait_values(trait::talkativeness);
  auto& st = v.state;
  const std::size_t personas = v.model.personas;
  const double purchase_probability = sc.market.purchase_probability;

  // The touchpoints open this step, each with its exposure gate (see rng::gate_draws), split by
  // audience so each agent loops only over those it can meet: prospects meet pre-purchase
  // touchpoints, customers the purchase and post-purchase ones, in the scenario's order.
  struct open_touchpoint {
    std::size_t index;
    const touchpoint* tp;
    bool needs_occasion;
    rng::gate_draws exposure_gate;
  };
  std::vector<open_touchpoint> for_prospects, for_customers;
  for (std::size_t k = 0; k < sc.touchpoints.size(); ++k) {
    const auto& tp = sc.touchpoints[k];
    if (v.step < tp.start || (tp.end != 0 && v.step > tp.end)) continue;
    auto& list = tp.phase == purchase_phase::pre_purchase ? for_prospects : for_customers;
    list.push_back({k, &tp, tp.phase == purchase_phase::purchase,
                    rng::gate_draws(v.key, v.step, rng::stream::touchpoint, tp.stream_tag)});
  }
  if (for_prospects.empty() && for_customers.empty()) return;
  rng::gate_draws purchase_gate(v.key, v.step, rng::stream::purchase);

  for (std::uint32_t i = range.begin; i < range.end; ++i) {
    // Eligibility is judged on the status at the start of the step.
    const bool customer = st.status[i] == customer_status::customer;
    const bool purchase_occasion = customer && v.model.has_purchase_touchpoints &&
                                   purchase_gate.uniform(i) < purchase_probability;
    const std::size_t persona = v.people.persona[i];
    auto& seg_tally = tally.segments[v.people.segment[i]];

    for (auto& o : customer ? for_customers : for_prospects) {
      if (o.needs_occasion && !purchase_occasion) continue;
      const std::size_t k = o.index;
      const auto& tp = *o.tp;
      const float exposure = v.model.exposure_probability[k * personas + persona];
      if (exposure <= 0.0f || o.exposure_gate.uniform(i) >= exposure) continue;
      // The experience and the urge to talk come from the touchpoint's own stream, keyed by its
      // name: changing one touchpoint never shifts another's random numbers (common random
      // numbers across variants).
      rng::counter_stream draw(v.key, i, v.step, rng::stream::touchpoint, tp.stream_tag);
      const double centre = tp.shows_public_rating ? v.public_rating : tp.quality_mean;
      const double experience = clamp01(centre + tp.quality_sd * normal_quantile(draw.uniform()));
      const double talk_draw = draw.uniform();

      // Expectation-disconfirmation (Oliver 1980); losses weigh loss_aversion times more.
      const double disconfirmation = experience - expectation[i];
      const double impact =
          tp.weight * (disconfirmation >= 0 ? disconfirmation : loss_aversion[i] * disconfirmation);
      if (customer) {
        st.satisfaction[i] =
            static_cast<float>(clamp01(st.satisfaction[i] + ex.satisfaction_rate * impact));
        st.trust[i] = static_cast<float>(clamp01(st.trust[i] + ex.trust_rate * impact));
      } else {
        move_non_customer(st, i, ex.attitude_rate * impact, seg_tally);
      }

      auto& tp_tally = tally.touchpoints[k];
      ++tp_tally.exposures;
      tp_tally.experience_sum += experience;
      tp_tally.cost += tp.cost_per_contact;
      ++seg_tally.exposures;
      seg_tally.touchpoint_cost += tp.cost_per_contact;
      const auto from = static_cast<std::uint16_t>(origin::first_touchpoint + k);
      if (disconfirmation >= ex.delight_threshold) {
        ++tp_tally.delights;
        ++seg_tally.delights;
        if (talk_draw < talkativeness[i]) start_story(v, i, +1, from, impact);
      } else if (disconfirmation <= -ex.disappointment_threshold) {
        ++tp_tally.disappointments;
        ++seg_tally.disappointments;
        if (talk_draw < std::min(1.0, ex.negativity_bias * talkativeness[i]))
          start_story(v, i, -1, from, impact);
      }
    }
  }
}

}  // namespace cesim::mechanisms
