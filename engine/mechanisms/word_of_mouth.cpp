#include "cesim/mechanisms/word_of_mouth.hpp"

#include <algorithm>
#include <bit>

#include "cesim/mechanisms/touchpoints.hpp"
#include "cesim/network/network.hpp"
#include "cesim/sim/blocks.hpp"
#include "cesim/util/bucket_sort.hpp"
#include "cesim/util/math.hpp"

namespace cesim::mechanisms {
namespace {

/// What one receiver hears in one step.
struct hearing {
  double effect = 0;  ///< sum of valence * strength (negative stories weighted)
  bool positive = false;
  bool negative = false;
};

}  // namespace

namespace {

/// Probability that one contact hears a teller's story over a tie of this strength.
double hearing_probability(const step_view& v, const std::vector<float>& talkativeness,
                           std::uint32_t teller, float tie) {
  return v.model.sc->word_of_mouth.talk_scale * talkativeness[teller] * tie;
}

/// The hearing draws of one teller's contacts in a step, one gate lane per position in the
/// teller's sorted row: a push reads them along the row, a pulling hearer at its own position
/// (found by binary search), so both directions give every contact the same number.
rng::gate_draws hearing_draws(const step_view& v, std::uint32_t teller) {
  return {v.key, v.step, rng::stream::wom_hear, teller};
}

/// Position of `hearer` in `teller`'s sorted row.
std::uint32_t row_position(const social_network& net, std::uint32_t teller, std::uint32_t hearer) {
  const auto* first = net.neighbors.data() + net.offsets[teller];
  const auto* last = net.neighbors.data() + net.offsets[teller + 1];
  return static_cast<std::uint32_t>(std::lower_bound(first, last, hearer) - first);
}

/// Whether `hearer` hears `teller` in a well-mixed population, where there are no rows: one draw
/// per (hearer, step, teller).
bool hears_in_passing(const step_view& v, const std::vector<float>& talkativeness,
                      std::uint32_t hearer, std::uint32_t teller) {
  const double p = hearing_probability(v, talkativeness, teller, 1.0f);
  if (p <= 0) return false;
  rng::counter_stream draw(v.key, hearer, v.step, rng::stream::wom_hear, teller);
  return draw.uniform() < p;
}

bool is_teller(const step_view& v, std::uint32_t i) {
  return ((v.tellers[i / 64] >> (i % 64)) & 1u) != 0;
}

}  // namespace

void push_hearings(const step_view& v, agent_range range, std::vector<std::uint64_t>& out) {
  const auto& net = v.network;
  const auto& talkativeness = v.people.trait_values(trait::talkativeness);
  // The range's tellers first, so the rows of the next ones can be fetched from memory while
  // this one's are read: rows are scattered over the whole network, and tellers are few.
  thread_local std::vector<std::uint32_t> tellers;
  tellers.clear();
  // 64-bit word positions: a range may end near the largest agent id, where 32-bit sums wrap.
  for (std::uint64_t w = range.begin / 64; w < (std::uint64_t{range.end} + 63) / 64; ++w)
    for (std::uint64_t bits = v.tellers[w]; bits != 0; bits &= bits - 1) {
      const auto i =
          static_cast<std::uint32_t>(w * 64 + static_cast<unsigned>(std::countr_zero(bits)));
      if (i >= range.begin && i < range.end) tellers.push_back(i);
    }
  constexpr std::size_t ahead = 4;  // rows fetched this many tellers ahead, offsets twice as far
  for (std::size_t t = 0; t < tellers.size(); ++t) {
    if (t + 2 * ahead < tellers.size())
      __builtin_prefetch(net.offsets.data() + tellers[t + 2 * ahead]);
    if (t + ahead < tellers.size()) {
      const std::uint64_t next = net.offsets[tellers[t + ahead]];
      __builtin_prefetch(net.neighbors.data() + next);
      if (!net.strength_code.empty()) __builtin_prefetch(net.strength_code.data() + next);
      if (!net.strength.empty()) __builtin_prefetch(net.strength.data() + next);
    }
    const std::uint32_t i = tellers[t];
    // Ties are symmetric (same strength at both ends), so the teller's own row gives them.
    auto draws = hearing_draws(v, i);
    const std::uint64_t row = net.offsets[i];
    for (std::uint64_t e = row; e < net.offsets[i + 1]; ++e) {
      const std::uint32_t j = net.neighbors[e];
      if (j != i && draws.uniform(static_cast<std::uint32_t>(e - row)) <
                        hearing_probability(v, talkativeness, i, net.tie_strength(e)))
        out.push_back(std::uint64_t{j} << 32 | i);
    }
  }
}

void collect_hearings(const step_view& v, std::vector<std::vector<std::uint64_t>>& parts,
                      std::vector<std::uint64_t>& out, std::vector<std::uint64_t>& scratch) {
  parts.resize(block_count(v.people.size));
  for_each_block(v.people.size, [&](std::size_t b, agent_range range) {
    parts[b].clear();
    push_hearings(v, range, parts[b]);
  });
  out.clear();
  for (const auto& h : parts) out.insert(out.end(), h.begin(), h.end());
  bucket_sort(out, scratch, [](std::uint64_t hearing) { return hearing; });
}

void deliver_word_of_mouth(const step_view& v, agent_range range, block_tally& tally) {
  const auto& w = v.model.sc->word_of_mouth;
  const auto& net = v.network;
  const auto& talkativeness = v.people.trait_values(trait::talkativeness);
  const auto& susceptibility = v.people.trait_values(trait::susceptibility);
  const auto& inbox = v.inbox;
  auto& st = v.state;
  const std::size_t hop_slots = v.model.hop_slots;
  // What customer j takes from the stories it hears: `tellers(hear)` calls hear(i) for every
  // teller i that j hears this step, in the order its delivery meets them (a network's by
  // teller, a well-mixed population's as sampled).
  const auto receive = [&](std::uint32_t j, auto&& tellers) {
    hearing h;
    auto& seg_tally = tally.segments[v.people.segment[j]];
    // What hearing teller i does to j.
    const auto hear = [&](std::uint32_t i) {
      const std::int8_t valence = inbox.valence[i];
      const std::uint16_t from = inbox.origin[i];
      const float strength = inbox.strength[i];
      const auto hop = static_cast<std::uint8_t>(std::min<unsigned>(inbox.hops[i] + 1u, 255u));
      const double weight = valence < 0 ? w.negativity_weight : 1.0;
      h.effect += valence * strength * weight;
      (valence > 0 ? h.positive : h.negative) = true;
      // A referral heard by a prospect makes it a referred prospect of that programme.
      if (valence > 0 && v.model.referral_campaign[from] != 0 &&
          st.status[j] != customer_status::customer && v.referred_by[j] == 0) {
        v.referred_by[j] = v.model.referral_campaign[from];
        st.flags[j] |= agent_flag::referred;
      }
      if (!v.reach.touch(from, j)) return;  // this origin's story reached j before: no news
      ++tally.origin_reached[from];
      ++tally.hops[from * hop_slots + std::min<std::size_t>(hop, hop_slots - 1)];
      if (v.reach.touch_any(j)) ++seg_tally.newly_reached;
      if (hop >= w.max_hops) return;
      const double forward = std::min(1.0, w.forward_probability * talkativeness[j] * weight);
      rng::counter_stream pass_on(v.key, j, v.step, rng::stream::wom_forward, from);
      if (pass_on.uniform() < forward) {
        const float kept = static_cast<float>(strength * w.decay);
        v.outbox.record(j, valence, from, hop, kept, kept);
      }
    };
    tellers(hear);
    if (!h.positive && !h.negative) return;
    v.heard[j] = static_cast<std::uint8_t>((h.positive ? 1u : 0u) | (h.negative ? 2u : 0u));
    if (h.positive) ++seg_tally.heard_positive;
    if (h.negative) ++seg_tally.heard_negative;
    const double change = w.effect * susceptibility[j] * h.effect;
    if (st.status[j] == customer_status::customer) {
      st.satisfaction[j] = static_cast<float>(clamp01(st.satisfaction[j] + change));
    } else {
      move_non_customer(st, j, change, seg_tally);
    }
  };

  if (v.hearings != nullptr) {
    // Pushed hearings come in (hearer, teller) order, the order in which a hearer pulling from
    // its sorted contacts would meet them. Only the customers who hear something are visited;
    // the rest heard nothing.
    std::fill(v.heard.begin() + range.begin, v.heard.begin() + range.end, std::uint8_t{0});
    const auto end = v.hearings->end();
    auto pushed = std::lower_bound(v.hearings->begin(), end, std::uint64_t{range.begin} << 32);
    while (pushed != end && (*pushed >> 32) < range.end) {
      const auto j = static_cast<std::uint32_t>(*pushed >> 32);
      receive(j, [&](const auto& hear) {
        for (; pushed != end && (*pushed >> 32) == j; ++pushed) {
          // The tellers' stories are scattered reads; ask for a later hearing's while this
          // one's effects are applied.
          constexpr std::ptrdiff_t ahead = 8;
          if (end - pushed > ahead) {
            const auto later = static_cast<std::uint32_t>(pushed[ahead] & 0xffffffffu);
            __builtin_prefetch(inbox.valence.data() + later);
            __builtin_prefetch(inbox.origin.data() + later);
            __builtin_prefetch(inbox.strength.data() + later);
            __builtin_prefetch(inbox.hops.data() + later);
          }
          hear(static_cast<std::uint32_t>(*pushed & 0xffffffffu));
        }
      });
    }
    return;
  }
  for (std::uint32_t j = range.begin; j < range.end; ++j) {
    v.heard[j] = 0;
    receive(j, [&](const auto& hear) {
      if (net.well_mixed) {
        rng::counter_stream meet(v.key, j, v.step, rng::stream::wom_sample);
        for (std::uint32_t k = 0; k < net.contacts_per_step; ++k) {
          const auto i = static_cast<std::uint32_t>(std::min<std::uint64_t>(
              net.agents - 1, static_cast<std::uint64_t>(meet.uniform() * net.agents)));
          if (i != j && is_teller(v, i) && hears_in_passing(v, talkativeness, j, i)) hear(i);
        }
        return;
      }
      for (std::uint64_t e = net.offsets[j]; e < net.offsets[j + 1]; ++e) {
        const std::uint32_t i = net.neighbors[e];
        if (i != j && is_teller(v, i) &&
            hearing_draws(v, i).uniform(row_position(net, i, j)) <
                hearing_probability(v, talkativeness, i, net.tie_strength(e)))
          hear(i);
      }
    });
  }
}

}  // namespace cesim::mechanisms
