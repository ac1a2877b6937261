#include "cesim/config/parameters.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace cesim {
namespace {

constexpr double required = std::numeric_limits<double>::quiet_NaN();
constexpr double unbounded = 1e12;
constexpr double max_population = 4294967295.0;  // 32-bit agent ids

using ts = time_scaling;

// Sources are cited in full in docs/model.md; here they are short so the table stays readable.
// "tunable:" marks a starting guess that is documented as such, not a published fact.
constexpr std::array table{
    // ---- run size and time ------------------------------------------------------------------
    param_spec{"population", 10000, 1, max_population, "customers",
               "number of simulated customers (agents)", "scenario choice", true},
    param_spec{"time.horizon", 52, 1, 100000, "steps", "number of simulated steps",
               "scenario choice", true},
    param_spec{"time.discount_rate", 0.10, 0, 1, "per year",
               "discount rate for lifetime value, converted to the step length",
               "Gupta & Lehmann 2003 (CLV = m*r/(1+d-r), tabulated at 10-16 %)"},

    // ---- persona traits (defaults when a persona does not give a trait) -----------------------
    param_spec{"traits.participation", 0.10, 0, 1, "propensity",
               "propensity to take part in participation campaigns",
               "Nielsen 2006 (90-9-1 participation inequality): most customers do not take part"},
    param_spec{"traits.talkativeness", 0.30, 0, 1, "probability",
               "chance to tell others when something notable happens",
               "tunable: calibrated with negativity_bias toward East, Hammond & Wright 2007 "
               "(positive : negative word of mouth about 3 : 1)"},
    param_spec{"traits.susceptibility", 0.50, 0, 1, "weight", "weight given to what peers say",
               "tunable"},
    param_spec{"traits.expectation", 0.60, 0, 1, "quality level",
               "expected experience quality; experiences are judged against it",
               "Oliver 1980 (expectation-disconfirmation); level tunable"},
    param_spec{"traits.loss_aversion", 2.25, 1, 10, "ratio",
               "weight of an experience below expectation relative to one above",
               "Tversky & Kahneman 1992 (lambda = 2.25); Anderson & Sullivan 1993 (asymmetry); "
               "plausible range 1.5-2.5"},
    param_spec{"traits.price_sensitivity", 0.50, 0, 1, "propensity", "raises the churn hazard",
               "tunable"},
    param_spec{"traits.margin", 1.0, 0, unbounded, "currency per week",
               "contribution margin a customer earns the firm", "scenario choice", false,
               ts::amount_per_week},
    param_spec{
        "channel_affinity", 0.5, 0, 1, "probability multiplier",
        "how reachable a persona is through a channel (for channels a persona does not list)",
        "tunable"},

    param_spec{"personas.network.degree_weight", 1.0, 0, 100, "multiplier",
               "relative number of contacts in generated networks (influencers above 1)",
               "tunable"},

    // ---- segments ------------------------------------------------------------------------------
    param_spec{"segments[].share", required, 0, 1, "share of population",
               "segment size as a share (all segments give share, summing to 1)",
               "scenario choice"},
    param_spec{"segments[].count", required, 0, max_population, "customers",
               "segment size as a count (all segments give count)", "scenario choice", true},
    param_spec{"segments[].initial.aware", 0.30, 0, 1, "share",
               "share aware of the firm at the start (customers included)", "scenario choice"},
    param_spec{"segments[].initial.customers", 0.10, 0, 1, "share",
               "share who are customers at the start (at most initial.aware)", "scenario choice"},
    param_spec{"segments[].initial.satisfaction", 0.65, 0, 1, "level",
               "initial satisfaction S; also the level S slowly returns to", "scenario choice"},
    param_spec{"segments[].initial.trust", 0.50, 0, 1, "level",
               "initial trust T; also the baseline T returns to", "scenario choice"},
    param_spec{"segments[].initial.loyalty", 0.50, 0, 1, "level",
               "initial loyalty L; new customers start here", "scenario choice"},
    param_spec{"segments[].initial.attitude", 0.50, 0, 1, "level",
               "initial attitude A of non-customers; also the level A returns to",
               "scenario choice"},

    // ---- touchpoints ---------------------------------------------------------------------------
    param_spec{"touchpoints[].reach", 0.10, 0, 1, "probability per week",
               "chance an eligible customer meets the touchpoint (times channel affinity)",
               "scenario choice", false, ts::per_week},
    param_spec{"touchpoints[].quality.mean", 0.60, 0, 1, "quality level",
               "mean experienced quality X (X ~ Normal(mean, sd), clipped to [0, 1])",
               "scenario choice"},
    param_spec{"touchpoints[].quality.sd", 0.15, 0, 1, "quality level",
               "spread of experienced quality between contacts", "scenario choice"},
    param_spec{"touchpoints[].weight", 1.0, 0, 10, "multiplier",
               "how much this moment of truth matters relative to others", "scenario choice"},
    param_spec{"touchpoints[].cost_per_contact", 0.0, 0, unbounded, "currency per contact",
               "what one contact costs the firm", "scenario choice"},
    param_spec{"touchpoints[].improvement_cost", 0.0, 0, unbounded, "currency per +0.1 quality",
               "what raising quality.mean by 0.1 would cost; cesim prioritize reports cost per "
               "point of loyalty from it (0: not known)",
               "scenario choice"},

    param_spec{"touchpoints[].start", 1, 1, 100000, "step",
               "first step the touchpoint is active (a seasonal ad, a featured product)",
               "scenario choice", true},
    param_spec{"touchpoints[].end", 0, 0, 100000, "step",
               "last step the touchpoint is active; 0: until the horizon", "scenario choice", true},

    // ---- how experiences move people
    param_spec{"experience.satisfaction_rate", 0.10, 0, 1, "per unit impact",
               "alpha_S: change of a customer's satisfaction per unit of weighted impact",
               "tunable"},
    param_spec{"experience.attitude_rate", 0.10, 0, 1, "per unit impact",
               "alpha_A: change of a non-customer's attitude per unit of weighted impact",
               "tunable"},
    param_spec{"experience.trust_rate", 0.03, 0, 1, "per unit impact",
               "alpha_T: change of a customer's trust per unit of weighted impact "
               "(reliable touchpoints build trust)",
               "tunable"},
    param_spec{"experience.delight_threshold", 0.20, 0, 1, "quality level",
               "delta+: disconfirmation at or above which a customer is delighted",
               "tunable (Oliver 1980 disconfirmation)"},
    param_spec{"experience.disappointment_threshold", 0.20, 0, 1, "quality level",
               "delta-: negative disconfirmation at or beyond which a customer is disappointed",
               "tunable (Oliver 1980 disconfirmation)"},
    param_spec{"experience.negativity_bias", 2.0, 0, 10, "ratio",
               "disappointed customers start word of mouth with min(1, bias * talkativeness)",
               "Anderson 1998 (dissatisfied talk more, less than folklore); tunable"},

    // ---- market ---------------------------------------------------------------------------------
    param_spec{"market.purchase_probability", 0.25, 0, 1, "probability per week",
               "chance a customer has a purchase occasion (meets purchase-phase touchpoints)",
               "tunable", false, ts::per_week},
    param_spec{"market.conversion.base", -6.0, -30, 30, "logit per week",
               "c0: conversion of an aware non-customer", "tunable", false, ts::logit_per_week},
    param_spec{"market.conversion.attitude", 4.0, 0, 30, "logit per unit attitude",
               "c_A: effect of attitude on conversion", "tunable"},
    param_spec{"market.conversion.referred", 1.0, 0, 30, "logit",
               "c_R: extra conversion of referred prospects",
               "Schmitt, Skiera & Van den Bulte 2011 (referred customers are more valuable); "
               "tunable"},
    param_spec{"market.conversion.lapsed", -1.0, -30, 30, "logit",
               "shift for former customers (negative: harder to win back)", "tunable"},
    param_spec{"market.churn.base", -4.0, -30, 30, "logit per week",
               "h0: churn hazard (about 0.7 % a week at L = 0.5, price sensitivity 0.5)", "tunable",
               false, ts::logit_per_week},
    param_spec{"market.churn.loyalty", 3.0, 0, 30, "logit per unit loyalty",
               "h_L: loyal customers churn less", "tunable"},
    param_spec{"market.churn.price_sensitivity", 1.0, 0, 30, "logit per unit",
               "h_pi: price-sensitive customers churn more", "tunable"},
    param_spec{"market.churn.referred", 0.20, 0, 30, "logit",
               "lower churn logit of referred customers (a hazard about 18 % lower)",
               "Schmitt, Skiera & Van den Bulte 2011"},
    param_spec{"market.churn.warn_probability", 0.5, 0, 1, "probability",
               "chance (times talkativeness) that a churning customer warns others",
               "Anderson 1998; tunable"},

    param_spec{"market.conversion.recommendation", 0.02, 0, 1, "probability",
               "chance that a prospect who heard a positive recommendation this step converts "
               "because of it (on top of the logistic conversion)",
               "tunable; Bass 1969 imitation: with weekly steps the adoption hazard is "
               "p + q * F, q = contacts * talk_scale * this"},

    // ---- participation campaigns ("type default" entries take their default from the type table
    // in campaign_types.cpp; docs/model.md lists them per type)
    param_spec{"campaigns[].start", 1, 1, 100000, "step", "first active step", "scenario choice",
               true},
    param_spec{"campaigns[].end", 0, 0, 100000, "step",
               "last active step (contests: last step for entries; votes, contests and "
               "crowdsourcing close here); 0: the horizon, surveys: start",
               "scenario choice", true},
    param_spec{"campaigns[].interval", required, 0, 100000, "steps",
               "scheduled events: active every `interval` steps from start; 0: every step "
               "(type default)",
               "scenario choice", true},
    param_spec{"campaigns[].invite_reach", required, 0, 1, "probability per week",
               "a targeted customer is invited (times channel affinity) (type default)",
               "scenario choice", false, ts::per_week},
    param_spec{"campaigns[].effort", required, 0, 1, "level",
               "effort asked of a participant (type default)",
               "Nielsen 2006 (participation inequality); tunable"},
    param_spec{"campaigns[].incentive", required, 0, 1, "level", "reward offered (type default)",
               "tunable"},
    param_spec{"campaigns[].capacity", required, 0, 1e12, "participants per active step",
               "0: no limit; when binding, the applicants with the smallest random keys take part "
               "(type default)",
               "scenario choice", true},
    param_spec{
        "campaigns[].responsiveness", required, 0, 1, "probability",
        "the firm visibly acts on a participant's input; otherwise frustration (type default)",
        "Fuchs & Schreier 2011; tunable"},
    param_spec{"campaigns[].visibility", required, 0, 1, "probability per week",
               "a non-participant sees the campaign (times channel affinity) (type default)",
               "Fuchs & Schreier 2011 (observers rate empowering firms higher); tunable", false,
               ts::per_week},
    param_spec{"campaigns[].share_probability", required, 0, 1, "probability",
               "a participant tells others about it (times talkativeness) (type default)",
               "tunable"},
    param_spec{
        "campaigns[].gain", required, 0, 1, "share",
        "empowerment gain of a participant: E <- E + gain * (1 - E) (type default)",
        "Fuchs, Prandelli & Schreier 2010; Norton, Mochon & Ariely 2012 (IKEA effect); tunable"},
    param_spec{"campaigns[].target.min_loyalty", 0, 0, 1, "level",
               "only customers with at least this loyalty are invited", "scenario choice"},
    param_spec{"campaigns[].costs.fixed", 0, 0, 1e15, "currency", "set-up cost, once",
               "scenario choice"},
    param_spec{"campaigns[].costs.per_invitation", 0, 0, 1e12, "currency", "cost of one invitation",
               "scenario choice"},
    param_spec{"campaigns[].costs.per_participant", 0, 0, 1e12, "currency",
               "cost per participant and active step (influencers: fee per step)",
               "scenario choice"},
    param_spec{"campaigns[].options", 3, 2, 255, "options", "vote: options to choose from",
               "scenario choice", true},
    param_spec{"campaigns[].losing_gain_factor", 0.3, 0, 1, "share",
               "vote: voters whose option lost gain this share of the winners' ownership",
               "Fuchs, Prandelli & Schreier 2010 (ownership fades when the chosen option loses); "
               "tunable"},
    param_spec{"campaigns[].entry_share", 0.1, 0, 1, "share",
               "contest: share of participants who enter a design (the others vote; voters gain "
               "losing_gain_factor of an entrant's gain)",
               "press reports of McDonald's My Burger 2012: > 5 M votes on about 330,000 designs"},
    param_spec{"campaigns[].jury_agreement", 1.0, 0, 1, "probability",
               "contest: chance the jury picks the community's favourite; otherwise participants "
               "feel cheated and warn others",
               "Gebauer, Fueller & Pezzei 2013 (perceived unfair judging causes negative WOM)"},
    param_spec{"campaigns[].feature.steps", 4, 0, 100000, "steps",
               "contest: the winner is on sale this many steps after the contest closes",
               "scenario choice", true},
    param_spec{"campaigns[].feature.reach", 0.3, 0, 1, "probability per week",
               "contest: chance a customer on a purchase occasion meets the featured product",
               "scenario choice", false, ts::per_week},
    param_spec{"campaigns[].feature.quality.mean", 0.75, 0, 1, "quality level",
               "contest: experienced quality of the featured product", "scenario choice"},
    param_spec{"campaigns[].feature.quality.sd", 0.1, 0, 1, "quality level",
               "contest: spread of the featured product's quality", "scenario choice"},
    param_spec{"campaigns[].feature.weight", 1.0, 0, 10, "multiplier",
               "contest: weight of the featured product as a moment of truth", "scenario choice"},
    param_spec{"campaigns[].feature.publicity", 0.2, 0, 1, "probability per week",
               "contest: chance a non-customer meets the launch publicity (and becomes aware)",
               "scenario choice", false, ts::per_week},
    param_spec{"campaigns[].credibility", 0.6, 0, 1, "weight",
               "influencer: weight of sponsored stories (disclosed sponsorship is discounted)",
               "tunable"},
    param_spec{"campaigns[].sponsored_talk", 0.5, 0, 1, "probability per week",
               "influencer: chance a recruit posts about the firm", "tunable", false, ts::per_week},
    param_spec{"campaigns[].reward_per_referral", 0, 0, 1e12, "currency",
               "referral: reward paid when a referred customer converts", "scenario choice"},
    param_spec{"campaign_response.participation.base", -4.0, -30, 30, "logit",
               "b0: participation of an invited customer p = logistic(b0 + b_theta * participation "
               "+ b_L * L + b_i * incentive - b_e * effort)",
               "tunable: about 4 % for an ordinary customer, 25-30 % for a prosumer (Nielsen 2006: "
               "90-9-1)"},
    param_spec{"campaign_response.participation.propensity", 6.0, 0, 30, "logit per unit",
               "b_theta: weight of the participation trait", "tunable"},
    param_spec{"campaign_response.participation.loyalty", 1.0, 0, 30, "logit per unit",
               "b_L: loyal customers take part more", "tunable"},
    param_spec{"campaign_response.participation.incentive", 2.0, 0, 30, "logit per unit",
               "b_i: weight of the incentive", "tunable"},
    param_spec{"campaign_response.participation.effort", 2.0, 0, 30, "logit per unit",
               "b_e: weight of the effort asked", "tunable"},
    param_spec{"campaign_response.acted.trust", 0.05, 0, 1, "level",
               "trust gained when the firm acts on a participant's input",
               "Fuchs & Schreier 2011; tunable"},
    param_spec{"campaign_response.acted.satisfaction", 0.02, 0, 1, "level",
               "satisfaction gained when the firm acts on the input", "tunable"},
    param_spec{"campaign_response.ignored.trust", 0.08, 0, 1, "level",
               "trust lost when input is ignored (more than acting gains: losses loom larger)",
               "Heidenreich et al. 2015 (failed co-creation hurts more); tunable"},
    param_spec{"campaign_response.ignored.satisfaction", 0.04, 0, 1, "level",
               "satisfaction lost when input is ignored", "tunable"},
    param_spec{"campaign_response.observer.gain", 0.02, 0, 1, "level",
               "trust (customers) or attitude (others) gained by a non-participant who sees an "
               "empowering campaign",
               "Fuchs & Schreier 2011; tunable"},
    param_spec{"campaign_response.observer.identification", 0.5, 0, 1, "weight",
               "how much the observer effect depends on participants being like the observer: "
               "gain * ((1 - w) + w * share of participants from the observer's segment / its "
               "share of the population, capped at 1)",
               "Dahl, Fuchs & Schreier 2015 (social identification)"},

    // ---- social network
    param_spec{"network.mean_degree", 20, 0, 10000, "contacts",
               "mean number of contacts per customer (generators); well-mixed: contacts per step",
               "tunable; Watts & Strogatz 1998, Barabasi & Albert 1999 for the shapes"},
    param_spec{"network.rewiring", 0.1, 0, 1, "probability",
               "watts_strogatz: chance that a ring-lattice tie is rewired to a random customer",
               "Watts & Strogatz 1998"},
    param_spec{"network.homophily", 0.7, 0, 1, "share",
               "block_model: share of a customer's ties inside their own segment (unless a mixing "
               "matrix is given)",
               "tunable; McPherson, Smith-Lovin & Cook 2001 (homophily)"},
    param_spec{"network.contacts_per_step", 0, 0, 10000, "contacts",
               "well_mixed: random others each customer listens to per step; 0: mean_degree",
               "scenario choice", true},
    param_spec{"network.ties.strong_share", 1.0, 0, 1, "share",
               "share of ties that are strong (ties: random)",
               "Granovetter 1973; Goldenberg, Libai & Muller 2001 (strong vs weak ties)"},
    param_spec{"network.ties.strong", 1.0, 0, 1, "strength", "strength of a strong tie",
               "Goldenberg, Libai & Muller 2001"},
    param_spec{"network.ties.weak", 0.3, 0, 1, "strength",
               "strength of a weak tie (multiplies the chance to hear)",
               "tunable; Goldenberg, Libai & Muller 2001"},
    param_spec{"network.index_base", 0, 0, 1, "id",
               "edge_list: id of the first customer in the file (0 or 1)", "data choice", true},
    param_spec{"network.weight_column", 0, 0, 1000, "column",
               "edge_list: 1-based column holding tie strength; 0: none (all ties 1)",
               "data choice", true},

    // ---- word of mouth
    param_spec{"word_of_mouth.talk_scale", 0.15, 0, 1, "probability",
               "a contact hears a message with talk_scale * talkativeness(sender) * tie strength",
               "tunable"},
    param_spec{"word_of_mouth.forward_probability", 0.2, 0, 1, "probability",
               "a customer reached for the first time by a story passes it on with this * "
               "talkativeness (negative stories: times negativity_weight)",
               "tunable"},
    param_spec{"word_of_mouth.decay", 0.5, 0, 1, "share per hop",
               "strength a story keeps with each retelling", "tunable"},
    param_spec{"word_of_mouth.negativity_weight", 1.5, 0, 10, "ratio",
               "negative stories move hearers and get passed on this much more",
               "tunable; Anderson 1998 (dissatisfied customers talk more)"},
    param_spec{"word_of_mouth.effect", 0.05, 0, 1, "per message",
               "alpha_W: change of S (customers) or A (others) per heard message, times "
               "susceptibility",
               "tunable"},
    param_spec{"word_of_mouth.organic_rate", 0.02, 0, 1, "probability per week",
               "chance (times talkativeness) that a customer talks about the firm unprompted: "
               "promoters recommend, detractors warn, passives stay silent",
               "tunable; Reichheld 2003 (promoters recommend)", false, ts::per_week},
    param_spec{"word_of_mouth.max_hops", 6, 1, 64, "hops",
               "stories are not passed on beyond this many retellings", "tunable", true},

    // ---- loyalty, trust and recommendation
    param_spec{"loyalty.rate", 0.10, 0, 1, "per week",
               "eta: speed at which loyalty follows satisfaction, trust and empowerment", "tunable",
               false, ts::per_week},
    param_spec{"loyalty.weights.satisfaction", 0.5, 0, 1, "weight",
               "omega_S (the three weights sum to 1)", "tunable"},
    param_spec{"loyalty.weights.trust", 0.3, 0, 1, "weight", "omega_T", "tunable"},
    param_spec{"loyalty.weights.empowerment", 0.2, 0, 1, "weight", "omega_E",
               "tunable (Fuchs, Prandelli & Schreier 2010: ownership from empowerment)"},
    param_spec{"loyalty.empowerment_decay", 0.05, 0, 1, "per week",
               "share of empowerment (psychological ownership) lost each week", "tunable", false,
               ts::per_week},
    param_spec{"loyalty.trust_reversion", 0.02, 0, 1, "per week",
               "speed at which trust returns to its segment baseline", "tunable", false,
               ts::per_week},
    param_spec{"loyalty.satisfaction_reversion", 0.02, 0, 1, "per week",
               "speed at which satisfaction returns to its segment baseline (memory fades)",
               "tunable", false, ts::per_week},
    param_spec{"loyalty.attitude_reversion", 0.02, 0, 1, "per week",
               "speed at which a non-customer's attitude returns to its segment baseline",
               "tunable", false, ts::per_week},
    param_spec{"loyalty.recommend_satisfaction_weight", 0.5, 0, 1, "weight",
               "weight of satisfaction in the mix x = w * S + (1 - w) * L behind the likelihood to "
               "recommend",
               "tunable"},
    param_spec{"loyalty.recommend_top_level", 0.65, 0.05, 1, "level",
               "mix x at which a customer answers 10: R = round(10 * min(1, x / top_level)); "
               "loyalty's target is at most 0.8 without empowerment, so an ordinary customer "
               "(x about 0.5) answers 7-8",
               "Reichheld 2003 (0-10 scale, promoters 9-10, detractors 0-6); anchor tunable: "
               "calibrate to an NPS survey"},

    // ---- public rating shown by review touchpoints
    param_spec{"review.rating_probability", 0.02, 0, 1, "probability per week",
               "chance a customer posts a rating (their satisfaction) on review portals", "tunable",
               false, ts::per_week},
    param_spec{"review.update_rate", 0.20, 0, 1, "per week",
               "weight of this week's ratings in the public rating (exponential smoothing)",
               "tunable", false, ts::per_week},
};

}  // namespace

std::span<const param_spec> parameter_table() {
  return table;
}

const param_spec* find_param(std::string_view key) {
  for (const auto& p : table)
    if (p.key == key) return &p;
  return nullptr;
}

const param_spec& param(std::string_view key) {
  if (const auto* p = find_param(key)) return *p;
  throw std::logic_error(fmt::format("parameter '{}' is not in the parameter table", key));
}

std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
  std::array<char, 32> buf{};
  auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  return ec == std::errc() ? std::string(buf.data(), ptr) : fmt::format("{}", value);
}

std::string format_range(const param_spec& spec) {
  auto bound = [](double v) {
    return std::fabs(v) >= unbounded ? std::string(v > 0 ? "inf" : "-inf") : format_number(v);
  };
  return fmt::format("[{}, {}]", bound(spec.min), bound(spec.max));
}

std::string format_default(const param_spec& spec) {
  return std::isnan(spec.default_value) ? std::string("required")
                                        : format_number(spec.default_value);
}

}  // namespace cesim
