#include "cesim/mechanisms/touchpoints.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "cesim/mechanisms/exposure_gates.hpp"
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
  if (sc.touchpoints.empty() || range.begin == range.end) return;
  const auto& ex = sc.experience;
  const auto& expectation = v.people.trait_values(trait::expectation);
  const auto& loss_aversion = v.people.trait_values(trait::loss_aversion);
  const auto& talkativeness = v.people.trait_values(trait::talkativeness);
  auto& st = v.state;
  const std::size_t personas = v.model.personas;

  // The touchpoints open this step in the scenario's order, each with its exposure gate (see
  // rng::gate_draws). Prospects meet the pre-purchase ones, customers the post-purchase ones
  // and, on a purchase occasion, the purchase ones.
  struct open_touchpoint {
    std::size_t index;
    const touchpoint* tp;
    rng::gate_scan exposure_gate;
  };
  std::vector<open_touchpoint> open;
  for (std::size_t k = 0; k < sc.touchpoints.size(); ++k) {
    const auto& tp = sc.touchpoints[k];
    if (v.step < tp.start || (tp.end != 0 && v.step > tp.end)) continue;
    open.push_back(
        {k, &tp, rng::gate_scan(range.end, v.key, v.step, rng::stream::touchpoint, tp.stream_tag)});
  }
  if (open.empty()) return;

  // Exposure depends only on the status at the start of the step, the persona and the gates,
  // not on what earlier touchpoints did. So it is decided first, for eight agents at a time and
  // without a branch per gate: gate numbers against thresholds per audience and persona (exact
  // integer forms of `uniform < probability`; 0 where the audience cannot meet the touchpoint).
  enum audience : unsigned { prospect = 0, customer = 1, customer_on_occasion = 2, audiences = 3 };
  std::vector<std::uint64_t> threshold(audiences * personas * open.size(), 0);
  for (std::size_t j = 0; j < open.size(); ++j) {
    const auto phase = open[j].tp->phase;
    const bool meets[audiences] = {phase == purchase_phase::pre_purchase,
                                   phase == purchase_phase::post_purchase,
                                   phase != purchase_phase::pre_purchase};
    for (unsigned who = 0; who < audiences; ++who)
      for (std::size_t p = 0; p < personas && meets[who]; ++p)
        threshold[(who * personas + p) * open.size() + j] =
            v.model.exposure_threshold[open[j].index * personas + p];
  }
  rng::gate_scan purchase_gate(range.end, v.key, v.step, rng::stream::purchase);
  const std::uint64_t occasion_threshold =
      v.model.has_purchase_touchpoints ? rng::gate_threshold(sc.market.purchase_probability) : 0;
  std::vector<std::array<std::uint32_t, rng::gate_draws::lanes>> numbers(open.size());

  // Agents are taken 256 at a time: first who meets which touchpoint, then the experience draws
  // of all those exposures computed together (rng::compute_blocks), then the exposures in agent
  // and scenario order. An agent's exposures change only its own state, so deciding a later
  // agent's exposures first decides the same.
  constexpr std::uint32_t chunk_agents = 32 * rng::gate_draws::lanes;
  // An exposure in one word, so that writing one costs one store: agent, open touchpoint (in
  // the low bits, see decide_exposures), and whether the agent was a customer.
  struct exposure {
    std::uint64_t packed;
    static std::uint64_t pack(std::uint32_t agent, bool customer) {
      return std::uint64_t{agent} << 32 | static_cast<std::uint64_t>(customer);
    }
    [[nodiscard]] std::uint32_t agent() const { return static_cast<std::uint32_t>(packed >> 32); }
    [[nodiscard]] std::size_t open_index() const { return (packed & 0xffffffffu) >> 1; }
    [[nodiscard]] bool customer() const { return (packed & 1u) != 0; }
  };
  std::vector<std::uint64_t> exposures(chunk_agents * open.size() + exposure_slack);
  rng::block_batch draws;

  // 64-bit positions: a range may end at the largest agent id, where 32-bit sums would wrap.
  for (std::uint64_t chunk = range.begin; chunk < range.end; chunk += chunk_agents) {
    const auto chunk_end =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(range.end, chunk + chunk_agents));
    std::size_t exposure_count = 0;
    for (std::uint64_t group_start = chunk; group_start < chunk_end;
         group_start += rng::gate_draws::lanes) {
      const auto first = static_cast<std::uint32_t>(group_start);
      const std::uint32_t group = first / rng::gate_draws::lanes;
      const auto occasion_numbers = purchase_gate.group_bits(group);
      for (std::size_t j = 0; j < open.size(); ++j)
        numbers[j] = open[j].exposure_gate.group_bits(group);
      const std::uint32_t count = std::min(rng::gate_draws::lanes, chunk_end - first);
      std::array<std::uint32_t, exposure_lanes> rows{};
      std::array<std::uint64_t, exposure_lanes> bases{};
      for (std::uint32_t lane = 0; lane < count; ++lane) {
        const std::uint32_t i = first + lane;
        const bool is_customer = st.status[i] == customer_status::customer;
        // Arithmetic, not branches: customers and occasions are scattered at random.
        const unsigned who =
            static_cast<unsigned>(is_customer) *
            (1u + static_cast<unsigned>(occasion_numbers[lane] < occasion_threshold));
        rows[lane] = static_cast<std::uint32_t>(who * personas + v.people.persona[i]);
        bases[lane] = exposure::pack(i, is_customer);
      }
      exposure_count += decide_exposures(numbers, threshold.data(), rows.data(), bases.data(),
                                         count, exposures.data() + exposure_count);
    }

    for (std::size_t batch = 0; batch < exposure_count; batch += rng::block_batch::capacity) {
      const std::size_t in_batch =
          std::min<std::size_t>(rng::block_batch::capacity, exposure_count - batch);
      // The experience and the urge to talk come from the touchpoint's own stream, keyed by
      // its name: changing one touchpoint never shifts another's random numbers (common random
      // numbers across variants). These are the first two values of
      // counter_stream(key, agent, step, stream::touchpoint, tag).
      for (std::size_t q = 0; q < in_batch; ++q) {
        const exposure e{exposures[batch + q]};
        draws.set(q, rng::counter_stream::counter(e.agent(), v.step, rng::stream::touchpoint,
                                                  open[e.open_index()].tp->stream_tag));
      }
      rng::compute_blocks(v.key, draws, in_batch, draws);
      for (std::size_t q = 0; q < in_batch; ++q) {
        const exposure e{exposures[batch + q]};
        const std::uint32_t i = e.agent();
        const auto& o = open[e.open_index()];
        const std::size_t k = o.index;
        const auto& tp = *o.tp;
        auto& seg_tally = tally.segments[v.people.segment[i]];
        const double centre = tp.shows_public_rating ? v.public_rating : tp.quality_mean;
        const double experience = clamp01(
            centre +
            tp.quality_sd * normal_quantile(rng::counter_stream::to_open_unit(draws.words[0][q])));
        const double talk_draw = rng::counter_stream::to_open_unit(draws.words[1][q]);

        // Expectation-disconfirmation (Oliver 1980); losses weigh loss_aversion times more.
        const double disconfirmation = experience - expectation[i];
        const double impact =
            tp.weight *
            (disconfirmation >= 0 ? disconfirmation : loss_aversion[i] * disconfirmation);
        if (e.customer()) {
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
}

}  // namespace cesim::mechanisms
