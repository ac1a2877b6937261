#include "cesim/mechanisms/campaign_types.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "cesim/mechanisms/campaigns.hpp"
#include "cesim/util/math.hpp"

namespace cesim {
namespace {

// ---- distinctive rules --------------------------------------------------------------------

/// Vote: one vote per customer for an option; ownership comes with the result.
double vote_participate(campaign_step& cs, std::uint32_t i, bool, double u) {
  auto& rt = cs.rt;
  if (rt.choice[i] != 0) return 0.0;
  const auto options = rt.def->options;
  const auto option = std::min<std::uint32_t>(options - 1, static_cast<std::uint32_t>(u * options));
  rt.choice[i] = static_cast<std::uint8_t>(option + 1);
  ++cs.tally.votes[option];
  return 0.0;
}

void vote_close(campaign_runtime& rt, double) {
  rt.winner =
      rt.votes.empty()
          ? -1
          : static_cast<int>(std::max_element(rt.votes.begin(), rt.votes.end()) - rt.votes.begin());
}

/// Voters for the winner gain ownership; the others a share of it (Fuchs et al. 2010).
void vote_after_close(campaign_step& cs, std::uint32_t i) {
  const auto& rt = cs.rt;
  if (rt.choice[i] == 0 || rt.winner < 0) return;
  const double share = rt.choice[i] == rt.winner + 1 ? 1.0 : rt.def->losing_gain_factor;
  auto& e = cs.v.state.empowerment[i];
  e = static_cast<float>(e + rt.def->gain * share * (1.0 - e));
}

/// Feedback is also a public rating, shown by review touchpoints.
double feedback_participate(campaign_step& cs, std::uint32_t i, bool, double) {
  if (cs.v.state.status[i] == customer_status::customer) {
    auto& t = cs.block.segments[cs.v.people.segment[i]];
    ++t.ratings;
    t.rating_sum += cs.v.state.satisfaction[i];
  }
  return 1.0;
}

/// A blog comment is public: it becomes a story whatever the commenter's talkativeness.
double blog_participate(campaign_step& cs, std::uint32_t i, bool acted, double u) {
  if (u < cs.rt.def->share_probability) campaign_story(cs, i, acted ? +1 : -1);
  return 1.0;
}

/// Contest: a share of participants enter a design (full gain), the others vote (less).
double contest_participate(campaign_step& cs, std::uint32_t i, bool, double u) {
  auto& choice = cs.rt.choice[i];
  if (choice == 1) return 1.0;
  if (u < cs.rt.def->entry_share) {
    choice = 1;
    return 1.0;
  }
  choice = 2;
  return cs.rt.def->losing_gain_factor;
}

void contest_close(campaign_runtime& rt, double u) {
  rt.jury_overruled = u >= rt.def->jury_agreement;
}

/// A jury that overrules the community's choice leaves participants feeling cheated: trust falls
/// and they warn others (Gebauer, Fueller & Pezzei 2013).
void contest_after_close(campaign_step& cs, std::uint32_t i) {
  if (!cs.rt.jury_overruled || cs.rt.choice[i] == 0) return;
  const auto& sc = *cs.v.model.sc;
  auto& trust = cs.v.state.trust[i];
  trust = static_cast<float>(clamp01(trust - sc.campaign_response.ignored_trust));
  rng::counter_stream draw(cs.v.key, i, cs.v.step, rng::stream::campaign,
                           cs.rt.def->stream_tag ^ 0x9e3779b9u);
  const double talk = cs.v.people.trait_values(trait::talkativeness)[i];
  if (draw.uniform() <
      std::min(1.0, cs.rt.def->share_probability * talk * sc.experience.negativity_bias))
    campaign_story(cs, i, -1);
}

/// Crowdsourcing: the result is announced to every aware customer.
void crowdsourcing_after_close(campaign_step& cs, std::uint32_t i) {
  if (cs.v.state.status[i] == customer_status::unaware || cs.rt.has(cs.rt.participated, i)) return;
  observe_campaign(cs, i);
}

// Defaults per type: invite_reach (per week), effort, incentive, responsiveness, visibility (per
// week), share_probability, gain, capacity (0: none), interval (0: every step). All tunable
// starting points chosen so that ordinary customers rarely take part and prosumers often do.
const std::array types{
    campaign_type_info{
        campaign_type::survey,
        "survey",
        "one wave (end defaults to start); low effort, small gain; the input only matters "
        "through responsiveness: acted on, it builds trust, ignored, it frustrates",
        "Fuchs & Schreier 2011",
        {0.3, 0.1, 0.1, 0.3, 0.0, 0.05, 0.02, 0, 0},
        {}},
    campaign_type_info{
        campaign_type::vote,
        "vote",
        "participants vote for one of `options`; when the vote closes, voters for the winning "
        "option gain ownership, the others only `losing_gain_factor` of it",
        "Fuchs, Prandelli & Schreier 2010",
        {0.2, 0.1, 0.1, 1.0, 0.1, 0.2, 0.15, 0, 0},
        {vote_participate, vote_close, vote_after_close}},
    campaign_type_info{
        campaign_type::feedback_system,
        "feedback_system",
        "continuous and low effort; every piece of feedback is also a public rating that "
        "review touchpoints show",
        "Fuchs & Schreier 2011",
        {0.1, 0.2, 0.0, 0.5, 0.05, 0.1, 0.05, 0, 0},
        {feedback_participate}},
    campaign_type_info{
        campaign_type::company_blog,
        "company_blog",
        "continuous, many-to-many: high visibility, and a comment becomes a story with "
        "share_probability whatever the commenter's talkativeness (comments are public)",
        "Fuchs & Schreier 2011",
        {0.1, 0.3, 0.0, 0.5, 0.3, 0.3, 0.05, 0, 0},
        {blog_participate, nullptr, nullptr, true}},
    campaign_type_info{
        campaign_type::innovation_workshop,
        "innovation_workshop",
        "scheduled events (every `interval` steps) with small capacity, high effort, a large "
        "gain and much sharing",
        "Fuchs & Schreier 2011; Norton, Mochon & Ariely 2012",
        {0.05, 0.8, 0.3, 0.8, 0.05, 0.6, 0.4, 30, 13},
        {}},
    campaign_type_info{
        campaign_type::co_creation_contest,
        "co_creation_contest",
        "entries during the window (entrants gain, voters less); at the close the jury picks "
        "the community's favourite with `jury_agreement`, otherwise participants feel cheated "
        "and warn others; the winner is featured for `feature.steps` as a touchpoint with "
        "launch publicity",
        "Fuchs, Prandelli & Schreier 2010; Gebauer, Fueller & Pezzei 2013; McDonald's Mein Burger",
        {0.2, 0.2, 0.3, 1.0, 0.3, 0.4, 0.3, 0, 0},
        {contest_participate, contest_close, contest_after_close}},
    campaign_type_info{
        campaign_type::crowdsourcing,
        "crowdsourcing",
        "a collective task of moderate effort; when it closes, the result is announced to "
        "every aware customer (observer effect for all of them)",
        "Dahl, Fuchs & Schreier 2015",
        {0.1, 0.5, 0.2, 0.7, 0.0, 0.3, 0.2, 0, 0},
        {nullptr, nullptr, crowdsourcing_after_close}},
    campaign_type_info{
        campaign_type::influencer_program,
        "influencer_program",
        "recruits the best-connected targeted customers (capacity of them, by degree; they "
        "accept by the participation decision); recruits post sponsored stories with "
        "`sponsored_talk`, heard with weight `credibility` < 1",
        "tunable; disclosed sponsorship lowers credibility",
        {1.0, 0.2, 0.9, 1.0, 0.0, 0.0, 0.05, 100, 0},
        {nullptr, nullptr, nullptr, false, true, false}},
    campaign_type_info{
        campaign_type::referral_program,
        "referral_program",
        "participants refer: a referral is a story (share_probability per step); a prospect "
        "who hears it is referred, converts more and, once a customer, churns less",
        "Schmitt, Skiera & Van den Bulte 2011",
        {0.2, 0.2, 0.5, 1.0, 0.05, 0.2, 0.05, 0, 0},
        {nullptr, nullptr, nullptr, false, false, true}},
};

}  // namespace

std::span<const campaign_type_info> campaign_types() {
  return types;
}

const campaign_type_info& campaign_info(campaign_type t) {
  for (const auto& info : types)
    if (info.type == t) return info;
  throw std::logic_error("campaign type missing from the type table");
}

std::string_view to_string(campaign_type t) {
  return campaign_info(t).name;
}

}  // namespace cesim
