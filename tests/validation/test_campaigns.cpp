// Every campaign type's distinctive rule, realistic participation, costs and attribution.
#include <fmt/format.h>
#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/analysis/writers.hpp"
#include "cesim/mechanisms/campaigns.hpp"
#include "cesim/mechanisms/context.hpp"
#include "cesim/mechanisms/market.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"
#include "cesim/sim/run_state.hpp"
#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

/// A market of 20,000 customers with one touchpoint; `campaigns` (a YAML list) is appended.
std::string market(const std::string& campaigns, const std::string& extra = "",
                   int population = 20000, int horizon = 16) {
  return fmt::format(R"(
population: {}
seed: 5
time: {{horizon: {}}}
channels: [web, store]
segments:
  - {{name: fans, share: 0.5, personas: {{prosumer: 0.3, digital_native: 0.4, convenience_seeker: 0.3}},
     initial: {{aware: 0.8, customers: 0.5}}}}
  - {{name: regulars, share: 0.5, personas: {{loyal_regular: 0.7, offline_traditionalist: 0.3}},
     initial: {{aware: 0.7, customers: 0.5}}}}
touchpoints:
  - {{name: store, phase: purchase, channel: store, reach: 0.5, quality: {{mean: 0.66, sd: 0.1}}}}
{}
{}
campaigns:
{}
)",
                     population, horizon,
                     extra.find("network:") == std::string::npos
                         ? "network: {type: watts_strogatz, mean_degree: 12}"
                         : "",
                     extra, campaigns);
}

std::size_t origin_index(const run_result& r, const std::string& name) {
  for (std::size_t o = 0; o < r.origin_names.size(); ++o)
    if (r.origin_names[o] == name) return o;
  FAIL("no origin " << name);
  return 0;
}

double origin_reach(const run_result& r, const std::string& name) {
  const auto o = origin_index(r, name);
  double sum = 0;
  for (std::uint32_t t = 0; t < r.steps; ++t)
    sum += static_cast<double>(r.origin_series[t * r.origin_names.size() + o]);
  return sum;
}

campaign_tally campaign_total(const run_result& r, std::size_t c) {
  campaign_tally total;
  for (std::uint32_t t = 0; t < r.steps; ++t)
    total.add(r.campaign_series[t * r.campaign_names.size() + c]);
  return total;
}

}  // namespace

TEST_CASE("participation is realistic at default settings: most invited customers do not take part",
          "[campaigns]") {
  test::temp_dir dir;
  const auto s =
      test::load_text(dir, market("  - {name: poll, type: survey, channel: web, start: 2}"));
  const auto r = run_replication(s);
  const auto total = campaign_total(r, 0);
  const double rate = static_cast<double>(total.participants) / static_cast<double>(total.invited);
  INFO("invited " << total.invited << ", took part " << total.participants << ": " << rate);
  // 90-9-1: single-digit participation overall, though prosumers in the mix lift it a little.
  CHECK(total.invited > 1000);
  CHECK(rate > 0.02);
  CHECK(rate < 0.12);
  // A survey is one wave: participants only at its start step.
  for (std::uint32_t t = 1; t <= r.steps; ++t)
    if (t != 2) CHECK(r.campaign_series[(t - 1)].participants == 0);
}

TEST_CASE("vote: voters for the losing options gain less ownership than the winners' voters",
          "[campaigns]") {
  test::temp_dir dir;
  const auto s =
      test::load_text(dir, market("  - {name: poll, type: vote, channel: web, start: 2, end: 6, "
                                  "options: 3, invite_reach: 0.6, incentive: 0.8}",
                                  "loyalty: {empowerment_decay: 0}"));
  simulation sim(s, {});
  sim.run();
  const int winner = sim.vote_winner(0);
  REQUIRE(winner >= 0);
  double win_sum = 0, win_n = 0, lose_sum = 0, lose_n = 0;
  for (std::uint32_t i = 0; i < sim.people().size; ++i) {
    const auto choice = sim.campaign_choice(0, i);
    if (choice == 0) continue;
    (choice == winner + 1 ? win_sum : lose_sum) += sim.state().empowerment[i];
    (choice == winner + 1 ? win_n : lose_n) += 1;
  }
  REQUIRE(win_n > 100);
  REQUIRE(lose_n > 100);
  INFO("winners' voters E " << win_sum / win_n << ", losers' voters E " << lose_sum / lose_n);
  // Ownership gain 0.15 for winners' voters, 0.3 of that for the others.
  CHECK(win_sum / win_n == Approx(0.15).margin(0.01));
  CHECK(lose_sum / lose_n == Approx(0.045).margin(0.01));
}

TEST_CASE("contest: the featured winner raises awareness during its feature window and not after",
          "[campaigns]") {
  test::temp_dir dir;
  // No other way to become aware: no pre-purchase touchpoints, no word of mouth.
  const auto s = test::load_text(
      dir, market("  - {name: burger, type: co_creation_contest, channel: web, start: 2, end: 5,\n"
                  "     feature: {steps: 4, channel: store, reach: 0.5, publicity: 0.3}}",
                  "word_of_mouth: {talk_scale: 0}", 20000, 20));
  const auto r = run_replication(s);
  const auto launch =
      std::find(r.touchpoint_names.begin(), r.touchpoint_names.end(), "burger_launch") -
      r.touchpoint_names.begin();
  const auto sale =
      std::find(r.touchpoint_names.begin(), r.touchpoint_names.end(), "burger_winner") -
      r.touchpoint_names.begin();
  REQUIRE(static_cast<std::size_t>(launch) < r.touchpoint_names.size());
  const std::size_t tps = r.touchpoint_names.size();
  for (std::uint32_t t = 1; t <= r.steps; ++t) {
    const bool window = t >= 6 && t <= 9;
    const auto exposures =
        r.touchpoint_series[(t - 1) * tps + static_cast<std::size_t>(launch)].exposures +
        r.touchpoint_series[(t - 1) * tps + static_cast<std::size_t>(sale)].exposures;
    INFO("step " << t);
    if (window)
      CHECK(exposures > 0);
    else
      CHECK(exposures == 0);
    const auto aware = r.total_at(t).newly_aware;
    // Observers of the contest itself (visibility) make some aware during the entry window.
    if (t >= 6 && t <= 9) CHECK(aware > 100);
    if (t >= 10) CHECK(aware == 0);
  }
}

TEST_CASE("contest: a jury that overrules the community causes negative word of mouth",
          "[campaigns]") {
  test::temp_dir dir;
  auto run = [&](double agreement) {
    const auto s = test::load_text(
        dir,
        market(fmt::format("  - {{name: burger, type: co_creation_contest, channel: web, start: "
                           "2, end: 5, jury_agreement: {}, invite_reach: 0.5}}",
                           agreement)));
    return run_replication(s);
  };
  const auto fair = run(1.0);
  const auto overruled = run(0.0);
  CHECK_FALSE(fair.jury_overruled[0]);
  CHECK(overruled.jury_overruled[0]);
  // The step after the close: cheated participants warn others.
  const auto fair_close = fair.campaign_series[5 * fair.campaign_names.size()];
  const auto overruled_close = overruled.campaign_series[5 * overruled.campaign_names.size()];
  CHECK(fair_close.stories_negative == 0);
  CHECK(overruled_close.stories_negative > 20);
  CHECK(overruled.summary.back().trust < fair.summary.back().trust);
}

TEST_CASE("feedback system: ignored input lowers trust below no campaign, acted-on input raises it",
          "[campaigns]") {
  test::temp_dir dir;
  auto trust = [&](const std::string& campaigns) {
    double sum = 0;
    for (std::uint64_t rep = 0; rep < 2; ++rep) {
      run_options o;
      o.replication = rep;
      sum += run_replication(test::load_text(dir, market(campaigns)), o).summary.back().trust;
    }
    return sum / 2;
  };
  const double none = trust("  []");
  const double responsive = trust(
      "  - {name: feedback, type: feedback_system, channel: web, responsiveness: 0.9, "
      "invite_reach: 0.5, incentive: 0.6}");
  const double ignoring = trust(
      "  - {name: feedback, type: feedback_system, channel: web, responsiveness: 0.0, "
      "invite_reach: 0.5, incentive: 0.6}");
  INFO("trust: ignoring " << ignoring << ", none " << none << ", responsive " << responsive);
  CHECK(ignoring < none - 0.005);
  CHECK(responsive > none + 0.005);
}

TEST_CASE("feedback becomes public ratings", "[campaigns]") {
  test::temp_dir dir;
  const auto with = run_replication(test::load_text(
      dir, market("  - {name: feedback, type: feedback_system, channel: web, invite_reach: 0.5}",
                  "review: {rating_probability: 0}")));
  const auto without =
      run_replication(test::load_text(dir, market("  []", "review: {rating_probability: 0}")));
  CHECK(without.total_at(5).ratings == 0);
  CHECK(with.total_at(5).ratings > 0);
  CHECK(with.total_at(5).ratings <= with.campaign_series[4].participants);
}

TEST_CASE("company blog: comments become stories whatever the commenters' talkativeness",
          "[campaigns]") {
  test::temp_dir dir;
  const std::string silent = R"(
personas:
  quiet: {traits: {talkativeness: 0, participation: 0.6}}
)";
  auto stories = [&](const std::string& type) {
    const auto yaml = fmt::format(R"(
population: 10000
time: {{horizon: 8}}
channels: [web]
{}
segments:
  - {{name: all, share: 1, personas: quiet, initial: {{aware: 1, customers: 1}}}}
campaigns:
  - {{name: c, type: {}, channel: web, invite_reach: 0.5, share_probability: 0.5}}
)",
                                  silent, type);
    return campaign_total(run_replication(test::load_text(dir, yaml)), 0);
  };
  const auto blog = stories("company_blog");
  const auto survey = stories("feedback_system");
  CHECK(blog.participants > 100);
  CHECK(blog.stories_positive + blog.stories_negative > 50);
  CHECK(survey.stories_positive + survey.stories_negative == 0);  // silent people do not talk
}

TEST_CASE("innovation workshops: scheduled events with binding capacity", "[campaigns]") {
  test::temp_dir dir;
  const auto r = run_replication(
      test::load_text(dir, market("  - {name: lab, type: innovation_workshop, channel: web, start: "
                                  "1, interval: 4, capacity: 25, invite_reach: 0.5}")));
  for (std::uint32_t t = 1; t <= r.steps; ++t) {
    const auto& ct = r.campaign_series[t - 1];
    INFO("step " << t);
    if ((t - 1) % 4 == 0)
      CHECK(ct.participants == 25);  // more applicants than places
    else
      CHECK(ct.participants == 0);
  }
  CHECK(r.summary.back().empowerment > 0);
}

TEST_CASE("crowdsourcing: the result is announced to every aware customer", "[campaigns]") {
  test::temp_dir dir;
  const auto r = run_replication(test::load_text(
      dir, market("  - {name: crowd, type: crowdsourcing, channel: web, start: 2, end: 4}")));
  const auto& announced = r.campaign_series[4];  // step 5, after the close at 4
  const auto row = r.total_at(4);
  const auto aware = row.population - row.unaware;
  // Every aware customer but the participants observes the announcement.
  CHECK(announced.observers > aware * 8 / 10);
  CHECK(announced.observers <= aware);
  CHECK(r.campaign_series[5].observers == 0);
}

TEST_CASE(
    "influencer programme: recruits are the best connected, and sponsored stories carry less "
    "weight",
    "[campaigns]") {
  test::temp_dir dir;
  const auto s = test::load_text(
      dir, market("  - {name: creators, type: influencer_program, channel: web, capacity: 50}",
                  "network: {type: barabasi_albert, mean_degree: 10}"));
  simulation sim(s, {});
  const auto r = sim.run();
  double recruit_degree = 0, recruits = 0, all_degree = 0;
  for (std::uint32_t i = 0; i < sim.people().size; ++i) {
    all_degree += static_cast<double>(sim.network().degree(i));
    if (sim.recruited(0, i)) {
      recruit_degree += static_cast<double>(sim.network().degree(i));
      recruits += 1;
    }
  }
  CHECK(recruits == 50);
  CHECK(recruit_degree / recruits > 5 * all_degree / sim.people().size);
  CHECK(origin_reach(r, "creators") > 500);

  auto attitude = [&](double credibility) {
    const auto sc = test::load_text(
        dir, market(fmt::format("  - {{name: creators, type: influencer_program, channel: web, "
                                "capacity: 50, credibility: {}}}",
                                credibility),
                    "network: {type: barabasi_albert, mean_degree: 10}"));
    return run_replication(sc).summary.back().customers_end;
  };
  // More credible stories move prospects' attitudes more, and so convert more of them.
  CHECK(attitude(1.0) > attitude(0.1));
}

TEST_CASE(
    "referral programme: referred prospects are marked, convert, cost their reward and churn less",
    "[campaigns]") {
  test::temp_dir dir;
  const auto s = test::load_text(
      dir,
      market("  - {name: refer, type: referral_program, channel: web, reward_per_referral: 10,\n"
             "     costs: {fixed: 1000, per_invitation: 0.1, per_participant: 0.5}}"));
  simulation sim(s, {});
  const auto r = sim.run();
  const auto total = campaign_total(r, 0);
  CHECK(total.referral_conversions > 20);
  double referred_new = 0;
  for (std::uint32_t t = 1; t <= r.steps; ++t)
    referred_new += static_cast<double>(r.total_at(t).new_referred);
  CHECK(referred_new >= static_cast<double>(total.referral_conversions));
  // Costs add up: fixed + invitations + participations + rewards.
  CHECK(total.cost == Approx(1000 + 0.1 * static_cast<double>(total.invited) +
                             0.5 * static_cast<double>(total.participants) +
                             10 * static_cast<double>(total.referral_conversions)));
  // Referred customers churn less: for every referred customer, the hazard is below what it
  // would be without the referral.
  const compiled_model model(s);
  auto state = sim.state();
  std::size_t checked = 0;
  for (std::uint32_t i = 0; i < sim.people().size; ++i) {
    if (state.status[i] != customer_status::customer ||
        (state.flags[i] & agent_flag::referred) == 0)
      continue;
    const double referred = mechanisms::churn_probability(model, sim.people(), state, i);
    state.flags[i] &= static_cast<std::uint8_t>(~agent_flag::referred);
    const double not_referred = mechanisms::churn_probability(model, sim.people(), state, i);
    CHECK(referred < not_referred);
    ++checked;
  }
  CHECK(checked > 20);
  // And the programme brings customers: more than the same market without it.
  const auto without = run_replication(test::load_text(dir, market("  []")));
  CHECK(r.summary.back().acquisitions > without.summary.back().acquisitions);
}

TEST_CASE("observers who are like the participants rate the firm higher", "[campaigns]") {
  test::temp_dir dir;
  // Only fans are invited; everyone may observe. Identification 1: unlike observers gain nothing.
  const auto s = test::load_text(
      dir,
      market("  - {name: blog, type: company_blog, channel: web, target: {segments: [fans]},\n"
             "     invite_reach: 0.5, visibility: 0.5, responsiveness: 1}",
             "campaign_response: {observer: {identification: 1, gain: 0.05}, acted: {trust: 0}}\n"
             "word_of_mouth: {talk_scale: 0}"));
  const auto r = run_replication(s);
  const auto none =
      run_replication(test::load_text(dir, market("  []", "word_of_mouth: {talk_scale: 0}")));
  const double fans_gain = r.summary[0].trust - none.summary[0].trust;
  const double regulars_gain = r.summary[1].trust - none.summary[1].trust;
  INFO("trust gain of fans (like the participants) " << fans_gain << ", of regulars "
                                                     << regulars_gain);
  CHECK(fans_gain > 0.01);
  CHECK(std::fabs(regulars_gain) < fans_gain / 5);
}

TEST_CASE("campaign reach is attributed to the campaign's own origin", "[campaigns]") {
  test::temp_dir dir;
  const auto s = test::load_text(
      dir, market("  - {name: blog, type: company_blog, channel: web, invite_reach: 0.5}",
                  "word_of_mouth: {organic_rate: 0}\nmarket: {churn: {warn_probability: "
                  "0}}\nexperience: {delight_threshold: 1, "
                  "disappointment_threshold: 1}"));
  const auto r = run_replication(s);
  CHECK(origin_reach(r, "blog") > 100);
  CHECK(origin_reach(r, "organic") == 0);
  CHECK(origin_reach(r, "churn") == 0);
  CHECK(origin_reach(r, "store") == 0);
  const auto o = analysis::campaign_outcome_of(r, 0);
  CHECK(o.reached == origin_reach(r, "blog"));
  CHECK(o.amplification == Approx(o.reached / o.unique_participants));
}

TEST_CASE("campaigns keep results identical across thread counts", "[campaigns][determinism]") {
  test::temp_dir dir;
  const auto s = test::load_text(
      dir,
      market(R"(  - {name: lab, type: innovation_workshop, channel: web, capacity: 40, interval: 3}
  - {name: poll, type: vote, channel: web, start: 2, end: 5}
  - {name: creators, type: influencer_program, channel: web, capacity: 30}
  - {name: refer, type: referral_program, channel: web}
  - {name: burger, type: co_creation_contest, channel: web, start: 2, end: 6, jury_agreement: 0.5})"));
  run_result one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = run_replication(s);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = run_replication(s);
  }
  CHECK(test::identical(one, two));
  for (std::size_t k = 0; k < one.campaign_series.size(); ++k) {
    CHECK(one.campaign_series[k].participants == two.campaign_series[k].participants);
    CHECK(one.campaign_series[k].cost == two.campaign_series[k].cost);
  }
}

namespace {

/// Everything one step of the campaign pass reads and writes, built as a run builds it.
struct campaign_pass : run_state {
  explicit campaign_pass(const scenario& s) : run_state(s, rng::key{s.seed, 0}) {}

  /// Runs the campaigns of `step` over the agents cut at `cuts`; returns the summed tallies.
  std::vector<campaign_tally> run(std::uint32_t step, const std::vector<std::uint32_t>& cuts) {
    const step_view v = view(step, 0.6);
    campaigns->prepare_step(v, *network);
    std::vector<campaign_tally> total;
    campaigns->reset_tally_vector(total);
    std::uint32_t begin = 0;
    for (std::size_t k = 0; k <= cuts.size(); ++k) {
      const std::uint32_t end = k < cuts.size() ? cuts[k] : people.size;
      block_tally tally;
      tally.reset(model.segments, model.touchpoints, model.origin_names.size(), model.hop_slots);
      campaigns->reset_tallies(tally);
      campaigns->apply(v, {begin, end}, tally);
      for (std::size_t c = 0; c < total.size(); ++c) total[c].add(tally.campaigns[c]);
      begin = end;
    }
    return total;
  }
};

}  // namespace

TEST_CASE("the campaign pass decides the same wherever the agents are cut into ranges",
          "[campaigns]") {
  // Invitations and observers are decided for the eight agents of a gate group at once; ranges
  // that start or end inside a group (and a population that is no multiple of eight) must give
  // every agent exactly what one pass over everyone gives.
  test::temp_dir dir;
  const auto s = test::load_text(
      dir,
      market(R"(  - {name: lab, type: innovation_workshop, channel: web, capacity: 40, interval: 3}
  - {name: poll, type: vote, channel: web, start: 2, end: 5}
  - {name: refer, type: referral_program, channel: web, invite_reach: 0.3}
  - {name: loyal_only, type: feedback_system, channel: store, invite_reach: 0.4, visibility: 0.3,
     target: {min_loyalty: 0.5, segments: [regulars]}}
  - {name: burger, type: co_creation_contest, channel: web, start: 2, end: 6, visibility: 0.4,
     target: {status: [aware, customer]}})",
             "", 3003));
  campaign_pass whole(s), cut(s);
  const std::uint32_t step = 4;
  const auto one_pass = whole.run(step, {});
  const auto in_pieces = cut.run(step, {5, 13, 1000, 1001, 2048, 2997});
  for (std::size_t c = 0; c < one_pass.size(); ++c) {
    INFO("campaign " << s.campaigns[c].name);
    CHECK(one_pass[c].invited > 0);
    CHECK(in_pieces[c].invited == one_pass[c].invited);
    CHECK(in_pieces[c].participants == one_pass[c].participants);
    CHECK(in_pieces[c].observers == one_pass[c].observers);
    CHECK(in_pieces[c].stories_positive + in_pieces[c].stories_negative ==
          one_pass[c].stories_positive + one_pass[c].stories_negative);
    CHECK(in_pieces[c].cost == Approx(one_pass[c].cost));
  }
  CHECK(one_pass[4].observers > 0);
  CHECK(cut.state.status == whole.state.status);
  CHECK(cut.state.trust == whole.state.trust);
  CHECK(cut.state.satisfaction == whole.state.satisfaction);
  CHECK(cut.state.empowerment == whole.state.empowerment);
  CHECK(cut.state.attitude == whole.state.attitude);
  CHECK(cut.state.loyalty == whole.state.loyalty);
  CHECK(cut.state.flags == whole.state.flags);
  CHECK(cut.outbox.valence == whole.outbox.valence);
}
