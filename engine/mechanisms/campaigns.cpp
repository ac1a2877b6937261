#include "cesim/mechanisms/campaigns.hpp"

#include <tbb/parallel_sort.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "cesim/mechanisms/campaign_types.hpp"
#include "cesim/mechanisms/touchpoints.hpp"
#include "cesim/network/network.hpp"
#include "cesim/util/math.hpp"

namespace cesim {
namespace {

void set_bit(std::vector<std::uint64_t>& bits, std::uint32_t i) {
  bits[i / 64] |= std::uint64_t{1} << (i % 64);
}

/// Observers rate a user-driven firm higher (Fuchs & Schreier 2011), the more so when the
/// participants are like them (Dahl, Fuchs & Schreier 2015): identification with the share of
/// participants from the observer's own segment, relative to that segment's size. Depends only
/// on the segment and the participants so far, so it is computed once per segment and step.
void refresh_observer_gains(campaign_runtime& rt, const campaign_params& r,
                            const std::vector<double>& segment_share) {
  rt.observer_gain.resize(segment_share.size());
  for (std::size_t seg = 0; seg < segment_share.size(); ++seg) {
    double likeness = 1.0;
    if (rt.participants_total > 0 && segment_share[seg] > 0)
      likeness = std::min(
          1.0, rt.participants_by_segment[seg] / rt.participants_total / segment_share[seg]);
    rt.observer_gain[seg] = r.observer_gain * ((1.0 - r.observer_identification) +
                                               r.observer_identification * likeness);
  }
}

}  // namespace

bool campaign_runtime::active(std::uint32_t step) const {
  const auto& c = *def;
  if (step < c.start || (c.end != 0 && step > c.end)) return false;
  return c.interval == 0 || (step - c.start) % c.interval == 0;
}

campaign_engine::campaign_engine(const scenario& s, const compiled_model& m, std::uint32_t agents)
    : sc_(s) {
  const std::size_t words = (std::size_t{agents} + 63) / 64;
  for (const auto& seg : s.segments) segment_share_.push_back(seg.share);
  for (std::size_t c = 0; c < s.campaigns.size(); ++c) {
    campaign_runtime rt;
    rt.def = &s.campaigns[c];
    rt.index = c;
    rt.origin = static_cast<std::uint16_t>(origin::first_touchpoint + s.touchpoints.size() + c);
    rt.participated.assign(words, 0);
    const auto& hooks = campaign_info(rt.def->type).hooks;
    if (rt.def->type == campaign_type::vote || rt.def->type == campaign_type::co_creation_contest)
      rt.choice.assign(agents, 0);
    if (hooks.recruits_by_degree) rt.recruited.assign(words, 0);
    rt.participants_by_segment.assign(s.segments.size(), 0);
    rt.votes.assign(rt.def->type == campaign_type::vote ? rt.def->options : 0, 0);
    rt.close_step = rt.def->end != 0 && rt.def->end < s.time.horizon ? rt.def->end : 0;
    for (std::size_t p = 0; p < m.personas; ++p) {
      const double affinity = m.affinity[p * m.channels + rt.def->channel];
      rt.invite_threshold.push_back(rng::gate_threshold(rt.def->invite_reach * affinity));
      rt.observe_threshold.push_back(rng::gate_threshold(rt.def->visibility * affinity));
      if (rt.observe_threshold.back() != 0) rt.observable = true;
    }
    for (const bool targeted : rt.def->target.segments)
      rt.segment_targeted.push_back(targeted ? 1 : 0);
    refresh_observer_gains(rt, s.campaign_response, segment_share_);
    runtimes_.push_back(std::move(rt));
  }
}

void campaign_engine::reset_tallies(block_tally& tally) const {
  reset_tally_vector(tally.campaigns);
}

void campaign_engine::reset_tally_vector(std::vector<campaign_tally>& tallies) const {
  tallies.resize(runtimes_.size());
  for (std::size_t c = 0; c < runtimes_.size(); ++c) {
    // Zeroed in place: this runs for every block of every step, and keeping the vectors'
    // storage saves an allocation per vector each time.
    auto votes = std::move(tallies[c].votes);
    auto by_segment = std::move(tallies[c].participants_by_segment);
    votes.assign(runtimes_[c].votes.size(), 0);
    by_segment.assign(segment_share_.size(), 0);
    tallies[c] = campaign_tally{};
    tallies[c].votes = std::move(votes);
    tallies[c].participants_by_segment = std::move(by_segment);
  }
}

bool campaign_engine::targeted(const step_view& v, const campaign_runtime& rt,
                               std::uint32_t i) const {
  // Each condition is evaluated and combined with `&`, not `&&`: statuses and segments are
  // random from agent to agent, so short-circuit branches would mispredict in the group pass.
  const auto& target = rt.def->target;
  const bool in_status = ((target.statuses >> static_cast<unsigned>(v.state.status[i])) & 1u) != 0;
  const bool in_segment = rt.segment_targeted[v.people.segment[i]] != 0;
  const bool loyal_enough = target.min_loyalty <= 0 || v.state.loyalty[i] >= target.min_loyalty;
  return in_status & in_segment & loyal_enough;
}

double campaign_engine::participation_probability(const step_view& v, const campaign& c,
                                                  std::uint32_t i) const {
  const auto& r = sc_.campaign_response;
  const double logit = r.base + r.propensity * v.people.trait_values(trait::participation)[i] +
                       r.loyalty * v.state.loyalty[i] + r.incentive * c.incentive -
                       r.effort * c.effort;
  return logistic(logit);
}

/// The two gates of a campaign in a step, invitation and observation (see rng::gate_draws), for
/// a loop over agents.
struct campaign_gates {
  campaign_gates(const step_view& v, const campaign_runtime& rt, agent_range range)
      : invite(range.end, v.key, v.step, rng::stream::campaign, rt.def->stream_tag, 0),
        observe(range.end, v.key, v.step, rng::stream::campaign, rt.def->stream_tag, 1) {}
  rng::gate_scan invite;
  rng::gate_scan observe;
};

/// Decision draws of customer i for campaign c in a step once past the invitation gate (or
/// recruited): participation, response, type rule and sharing in the first Philox block, the
/// capacity key in the second. Fixed slots, so every decision is stable; each block is computed
/// on first use.
class decision_draws {
 public:
  decision_draws(const step_view& v, const campaign_runtime& rt, std::uint32_t i)
      : stream_(v.key, i, v.step, rng::stream::campaign, rt.def->stream_tag) {}
  double participate() { return rng::counter_stream::to_open_unit(value(0)); }
  double respond() { return rng::counter_stream::to_open_unit(value(1)); }
  double rule() { return rng::counter_stream::to_open_unit(value(2)); }
  double share() { return rng::counter_stream::to_open_unit(value(3)); }
  std::uint64_t key() { return value(4); }

 private:
  std::uint64_t value(unsigned slot) {
    const unsigned b = slot / 4;
    if (!filled_[b]) {
      stream_.seek_block(b);
      for (auto& x : blocks_[b]) x = stream_.next_u64();
      filled_[b] = true;
    }
    return blocks_[b][slot % 4];
  }

  rng::counter_stream stream_;
  std::array<std::array<std::uint64_t, 4>, 2> blocks_{};
  std::array<bool, 2> filled_{};
};

void campaign_engine::recruit_influencers(const step_view& v, const social_network& net,
                                          campaign_runtime& rt) {
  // The best-connected targeted customers, by degree (persona degree weight in a well-mixed
  // population), ties broken by a random key; each accepts by the participation decision.
  struct candidate {
    double degree;
    std::uint64_t key;
    std::uint32_t agent;
    bool accepts;
  };
  std::vector<candidate> pool;
  for (std::uint32_t i = 0; i < v.people.size; ++i) {
    if (!targeted(v, rt, i)) continue;
    decision_draws d(v, rt, i);
    const double degree = net.well_mixed ? sc_.personas[v.people.persona[i]].degree_weight
                                         : static_cast<double>(net.degree(i));
    pool.push_back(
        {degree, d.key(), i, d.participate() < participation_probability(v, *rt.def, i)});
  }
  tbb::parallel_sort(pool.begin(), pool.end(), [](const candidate& a, const candidate& b) {
    return a.degree != b.degree ? a.degree > b.degree : a.key < b.key;
  });
  std::uint64_t recruited = 0;
  const std::uint64_t wanted = rt.def->capacity == 0 ? pool.size() : rt.def->capacity;
  for (const auto& c : pool) {
    if (recruited >= wanted) break;
    if (!c.accepts) continue;
    set_bit(rt.recruited, c.agent);
    ++recruited;
  }
}

void campaign_engine::prepare_step(const step_view& v, const social_network& net) {
  for (auto& rt : runtimes_) {
    const auto& hooks = campaign_info(rt.def->type).hooks;
    if (hooks.recruits_by_degree) {
      if (v.step == rt.def->start) recruit_influencers(v, net, rt);
      continue;
    }
    rt.capacity_binds = false;
    if (rt.def->capacity == 0 || !rt.active(v.step)) continue;
    // Capacity binds: the applicants with the smallest keys take part. Collect every applicant
    // (in parallel blocks, then in block order), keep the `capacity` smallest (key, agent) pairs.
    using applicant = std::pair<std::uint64_t, std::uint32_t>;
    std::vector<std::vector<applicant>> parts(block_count(v.people.size));
    for_each_block(v.people.size, [&](std::size_t b, agent_range range) {
      campaign_gates gates(v, rt, range);
      for (std::uint32_t i = range.begin; i < range.end; ++i) {
        if (!targeted(v, rt, i) || gates.invite.bits(i) >= rt.invite_threshold[v.people.persona[i]])
          continue;
        decision_draws d(v, rt, i);
        if (d.participate() < participation_probability(v, *rt.def, i))
          parts[b].emplace_back(d.key(), i);
      }
    });
    std::vector<applicant> applicants;
    for (auto& p : parts) applicants.insert(applicants.end(), p.begin(), p.end());
    if (applicants.size() <= rt.def->capacity) continue;
    const auto cut = applicants.begin() + static_cast<std::ptrdiff_t>(rt.def->capacity);
    std::nth_element(applicants.begin(), cut - 1, applicants.end());
    rt.capacity_binds = true;
    rt.admitted.assign((std::size_t{v.people.size} + 63) / 64, 0);
    for (auto it = applicants.begin(); it != cut; ++it) set_bit(rt.admitted, it->second);
  }
}

void campaign_engine::apply(const step_view& v, agent_range range, block_tally& tally) {
  if (runtimes_.empty()) return;
  for (auto& rt : runtimes_) {
    const auto& c = *rt.def;
    const auto& hooks = campaign_info(c.type).hooks;
    auto& ct = tally.campaigns[rt.index];
    campaign_step cs{v, rt, ct, tally};
    // The step after the close announces the result; the campaign is no longer active then.
    if (rt.closed && rt.close_step + 1 == v.step) {
      if (hooks.after_close != nullptr)
        for (std::uint32_t i = range.begin; i < range.end; ++i) hooks.after_close(cs, i);
      continue;
    }
    if (!rt.active(v.step)) continue;
    campaign_gates gates(v, rt, range);
    if (hooks.recruits_by_degree)
      apply_recruited(cs, gates, range);
    else
      invite_and_observe(cs, gates, range);
  }
}

void campaign_engine::apply_recruited(campaign_step& cs, campaign_gates& gates,
                                      agent_range range) const {
  const auto& v = cs.v;
  const auto& rt = cs.rt;
  const auto& c = *rt.def;
  auto& ct = cs.tally;
  for (std::uint32_t i = range.begin; i < range.end; ++i) {
    if (rt.has(rt.recruited, i)) {
      decision_draws d(v, rt, i);
      ++ct.participants;
      ++ct.participants_by_segment[v.people.segment[i]];
      ct.cost += c.cost_per_participant;
      // A recruit posts a sponsored story: heard like any story, weighted by credibility.
      if (d.share() < c.sponsored_talk) {
        mechanisms::start_story(v, i, +1, rt.origin, 0.0, static_cast<float>(c.credibility));
        ++ct.stories_positive;
      }
      continue;
    }
    if (rt.observable && gates.observe.bits(i) < rt.observe_threshold[v.people.persona[i]])
      observe_campaign(cs, i);
  }
}

void campaign_engine::invite_and_observe(campaign_step& cs, campaign_gates& gates,
                                         agent_range range) const {
  // Who is targeted and who passes a gate is decided for the eight agents of a gate group at
  // once, without a branch per agent (statuses and gate numbers are random, so such branches
  // mispredict); then the agents that act do so in index order, as one by one, so every tally
  // adds up in the same order. Acting changes only the agent's own state, never the status or
  // loyalty of the next agent in the group, so deciding the group first decides the same.
  const auto& v = cs.v;
  const auto& rt = cs.rt;
  const auto& c = *rt.def;
  auto& ct = cs.tally;
  constexpr std::uint32_t lanes = rng::gate_draws::lanes;
  // 64-bit: the last group of a range ending at the largest agent id would wrap in 32 bits.
  for (std::uint64_t group = range.begin / lanes; group * lanes < range.end; ++group) {
    const auto first = static_cast<std::uint32_t>(group * lanes);
    const std::uint32_t from = std::max(first, range.begin) - first;
    const auto to = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(std::uint64_t{first} + lanes, range.end) - first);
    unsigned targeted_lanes = 0;
    for (std::uint32_t lane = from; lane < to; ++lane)
      targeted_lanes |= static_cast<unsigned>(targeted(v, rt, first + lane)) << lane;
    unsigned invited = 0;
    if (targeted_lanes != 0) {
      const auto numbers = gates.invite.group_bits(group);
      for (std::uint32_t lane = from; lane < to; ++lane)
        invited |= static_cast<unsigned>(numbers[lane] <
                                         rt.invite_threshold[v.people.persona[first + lane]])
                   << lane;
      invited &= targeted_lanes;
    }
    unsigned observing = 0;
    if (rt.observable) {
      const auto numbers = gates.observe.group_bits(group);
      for (std::uint32_t lane = from; lane < to; ++lane)
        observing |= static_cast<unsigned>(numbers[lane] <
                                           rt.observe_threshold[v.people.persona[first + lane]])
                     << lane;
    }
    for (unsigned acting = invited | observing; acting != 0; acting &= acting - 1) {
      const auto lane = static_cast<unsigned>(std::countr_zero(acting));
      const std::uint32_t i = first + lane;
      if (((invited >> lane) & 1u) != 0) {
        ++ct.invited;
        ct.cost += c.cost_per_invitation;
        const bool admitted = !rt.capacity_binds || rt.has(rt.admitted, i);
        decision_draws d(v, rt, i);
        if (d.participate() < participation_probability(v, c, i) && admitted) {
          take_part(cs, i, d.respond(), d.rule(), d.share());
          continue;
        }
      }
      if (((observing >> lane) & 1u) != 0) observe_campaign(cs, i);
    }
  }
}

void campaign_engine::take_part(campaign_step& cs, std::uint32_t i, double u_respond, double u_rule,
                                double u_share) const {
  const auto& r = sc_.campaign_response;
  const auto& c = *cs.rt.def;
  const auto& hooks = campaign_info(c.type).hooks;
  auto& st = cs.v.state;
  auto& ct = cs.tally;
  ++ct.participants;
  ++ct.participants_by_segment[cs.v.people.segment[i]];
  ct.cost += c.cost_per_participant;
  if (!cs.rt.has(cs.rt.participated, i)) {
    set_bit(cs.rt.participated, i);
    ++ct.new_participants;
  }
  const bool acted = u_respond < c.responsiveness;
  const double share_of_gain =
      hooks.on_participate != nullptr ? hooks.on_participate(cs, i, acted, u_rule) : 1.0;
  st.empowerment[i] =
      static_cast<float>(st.empowerment[i] + c.gain * share_of_gain * (1.0 - st.empowerment[i]));
  // Empowerment the firm ignores backfires; acted on, it builds trust.
  if (acted) {
    ++ct.acted_on;
    st.trust[i] = static_cast<float>(clamp01(st.trust[i] + r.acted_trust));
    if (st.status[i] == customer_status::customer)
      st.satisfaction[i] = static_cast<float>(clamp01(st.satisfaction[i] + r.acted_satisfaction));
  } else {
    ++ct.ignored;
    st.trust[i] = static_cast<float>(clamp01(st.trust[i] - r.ignored_trust));
    if (st.status[i] == customer_status::customer)
      st.satisfaction[i] = static_cast<float>(clamp01(st.satisfaction[i] - r.ignored_satisfaction));
  }
  if (hooks.own_sharing) return;
  const double talk = cs.v.people.trait_values(trait::talkativeness)[i];
  const double weight = acted ? 1.0 : sc_.experience.negativity_bias;
  if (u_share < std::min(1.0, c.share_probability * talk * weight))
    campaign_story(cs, i, acted ? +1 : -1);
}

void campaign_engine::finish_step(std::uint32_t step, std::vector<campaign_tally>& totals,
                                  rng::key key) {
  for (auto& rt : runtimes_) {
    auto& t = totals[rt.index];
    if (step == rt.def->start) t.cost += rt.def->cost_fixed;
    for (std::size_t k = 0; k < rt.votes.size() && k < t.votes.size(); ++k)
      rt.votes[k] += t.votes[k];
    rt.participants_total += static_cast<double>(t.participants);
    for (std::size_t s = 0; s < t.participants_by_segment.size(); ++s)
      rt.participants_by_segment[s] += static_cast<double>(t.participants_by_segment[s]);
    refresh_observer_gains(rt, sc_.campaign_response, segment_share_);
    if (rt.close_step == step && !rt.closed) {
      // Keyed by the campaign's name, not its place in the list.
      rng::counter_stream draw(key, rt.def->stream_tag, step, rng::stream::campaign_global);
      const auto& hooks = campaign_info(rt.def->type).hooks;
      if (hooks.on_close != nullptr) hooks.on_close(rt, draw.uniform());
      rt.closed = true;
    }
  }
}

void campaign_story(campaign_step& cs, std::uint32_t agent, int valence) {
  mechanisms::start_story(cs.v, agent, static_cast<std::int8_t>(valence), cs.rt.origin, 0.0);
  (valence > 0 ? cs.tally.stories_positive : cs.tally.stories_negative) += 1;
}

void observe_campaign(campaign_step& cs, std::uint32_t agent) {
  const auto seg = cs.v.people.segment[agent];
  const double gain = cs.rt.observer_gain[seg];
  auto& st = cs.v.state;
  ++cs.tally.observers;
  if (st.status[agent] == customer_status::customer) {
    st.trust[agent] = static_cast<float>(clamp01(st.trust[agent] + gain));
  } else {
    move_non_customer(st, agent, gain, cs.block.segments[seg]);
  }
}

}  // namespace cesim
