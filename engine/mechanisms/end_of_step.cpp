#include "cesim/mechanisms/end_of_step.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cesim/mechanisms/loyalty.hpp"
#include "cesim/mechanisms/market.hpp"
#include "cesim/mechanisms/metrics.hpp"
#include "cesim/mechanisms/review.hpp"
#include "cesim/mechanisms/touchpoints.hpp"
#include "cesim/mechanisms/word_of_mouth.hpp"
#include "cesim/util/logistic_gate.hpp"
#include "cesim/util/math.hpp"

namespace cesim::mechanisms {
namespace {

/// Conversion of aware non-customers and former customers, churn of customers, revenue.
class market_pass {
 public:
  market_pass(const step_view& v, agent_range range)
      : v_(v),
        mk_(v.model.sc->market),
        weeks_(v.model.sc->time.weeks_per_step),
        margin_(v.people.trait_values(trait::margin)),
        talkativeness_(v.people.trait_values(trait::talkativeness)),
        decisions_(range.end, v.key, v.step, rng::stream::market),
        weekly_(weeks_ == 1.0),
        logistic_(logistic_gate::instance()) {}

  void operator()(std::uint32_t i, block_tally& tally) {
    auto& st = v_.state;
    const auto status = st.status[i];
    const auto segment = v_.people.segment[i];
    auto& seg_tally = tally.segments[segment];
    const bool referred = (st.flags[i] & agent_flag::referred) != 0;

    if (status == customer_status::aware || status == customer_status::lapsed) {
      const double logit = mk_.conversion_base + mk_.conversion_attitude * st.attitude[i] +
                           (referred ? mk_.conversion_referred : 0.0) +
                           (status == customer_status::lapsed ? mk_.conversion_lapsed : 0.0);
      const bool heard_recommendation = (v_.heard[i] & 1u) != 0;
      bool converts = false;
      if (weekly_ && !heard_recommendation) {
        converts = logistic_.passes(decisions_.bits(i), logit);
      } else {
        // A heard recommendation is a second, independent reason to buy (Bass's imitation).
        double p = weekly_to_step(logistic(logit), weeks_);
        if (heard_recommendation) p = 1.0 - (1.0 - p) * (1.0 - mk_.conversion_recommendation);
        converts = decisions_.uniform(i) < p;
      }
      if (converts) convert(i, status, segment, referred, seg_tally, tally);
    } else if (status == customer_status::customer) {
      const bool churns =
          weekly_ ? logistic_.passes(decisions_.bits(i), churn_logit(v_.model, v_.people, st, i))
                  : decisions_.uniform(i) < churn_probability(v_.model, v_.people, st, i);
      if (churns) {
        st.status[i] = customer_status::lapsed;
        st.attitude[i] = st.satisfaction[i];
        st.flags[i] |= agent_flag::churned;
        ++seg_tally.churned;
        // Whether a churner warns others: drawn only for the few who churn.
        rng::counter_stream warn(v_.key, i, v_.step, rng::stream::market);
        if (warn.uniform() < mk_.churn_warn_probability * talkativeness_[i])
          start_story(v_, i, -1, origin::churn, 0.0);
      }
    }
    if (st.status[i] == customer_status::customer) seg_tally.revenue += margin_[i];
  }

 private:
  void convert(std::uint32_t i, customer_status was, std::uint16_t segment, bool referred,
               segment_tally& seg_tally, block_tally& tally) {
    auto& st = v_.state;
    st.status[i] = customer_status::customer;
    st.satisfaction[i] = st.attitude[i];  // a new customer's satisfaction starts at their attitude
    st.loyalty[i] = v_.model.baselines[segment].loyalty;
    ++seg_tally.new_customers;
    if (referred) ++seg_tally.new_referred;
    if (v_.referred_by[i] != 0) {
      // The referrer's reward is paid when the referred prospect converts.
      auto& ct = tally.campaigns[v_.referred_by[i] - 1u];
      ++ct.referral_conversions;
      ct.cost += v_.model.sc->campaigns[v_.referred_by[i] - 1u].reward_per_referral;
      v_.referred_by[i] = 0;  // one reward per referral; the referred flag stays (lower churn)
    }
    if (was == customer_status::lapsed) ++seg_tally.win_backs;
  }

  const step_view& v_;
  const market_params& mk_;
  double weeks_;
  const std::vector<float>& margin_;
  const std::vector<float>& talkativeness_;
  rng::gate_scan decisions_;
  // Weekly steps compare the gate with logistic(logit) itself, which the table decides exactly
  // and mostly without `exp`; longer steps convert the probability first.
  bool weekly_;
  const logistic_gate& logistic_;
};

/// Loyalty follows satisfaction, trust and empowerment; empowerment decays; satisfaction, trust
/// and attitude drift back to their segment baselines.
class loyalty_pass {
 public:
  explicit loyalty_pass(const step_view& v)
      : v_(v),
        eta_(static_cast<float>(v.model.sc->loyalty.rate)),
        ws_(static_cast<float>(v.model.sc->loyalty.weight_satisfaction)),
        wt_(static_cast<float>(v.model.sc->loyalty.weight_trust)),
        we_(static_cast<float>(v.model.sc->loyalty.weight_empowerment)),
        keep_empowerment_(static_cast<float>(1.0 - v.model.sc->loyalty.empowerment_decay)),
        trust_back_(static_cast<float>(v.model.sc->loyalty.trust_reversion)),
        satisfaction_back_(static_cast<float>(v.model.sc->loyalty.satisfaction_reversion)),
        attitude_back_(static_cast<float>(v.model.sc->loyalty.attitude_reversion)) {}

  void operator()(std::uint32_t i) {
    auto& st = v_.state;
    const auto& base = v_.model.baselines[v_.people.segment[i]];
    if (st.status[i] == customer_status::customer) {
      const float target = ws_ * st.satisfaction[i] + wt_ * st.trust[i] + we_ * st.empowerment[i];
      st.loyalty[i] = clamp01(st.loyalty[i] + eta_ * (target - st.loyalty[i]));
      st.satisfaction[i] = clamp01(st.satisfaction[i] +
                                   satisfaction_back_ * (base.satisfaction - st.satisfaction[i]));
    } else {
      st.attitude[i] = clamp01(st.attitude[i] + attitude_back_ * (base.attitude - st.attitude[i]));
    }
    st.empowerment[i] *= keep_empowerment_;
    st.trust[i] = clamp01(st.trust[i] + trust_back_ * (base.trust - st.trust[i]));
  }

 private:
  const step_view& v_;
  float eta_, ws_, wt_, we_, keep_empowerment_, trust_back_, satisfaction_back_, attitude_back_;
};

/// Customers post ratings (their satisfaction) that review touchpoints show next step.
class rating_pass {
 public:
  rating_pass(const step_view& v, agent_range range)
      : v_(v),
        enabled_(v.model.sc->review.rating_probability > 0),
        threshold_(rng::gate_threshold(v.model.sc->review.rating_probability)),
        gate_(range.end, v.key, v.step, rng::stream::rating) {}

  [[nodiscard]] bool enabled() const { return enabled_; }
  void operator()(std::uint32_t i, block_tally& tally) {
    const auto& st = v_.state;
    if (st.status[i] != customer_status::customer || gate_.bits(i) >= threshold_) return;
    auto& t = tally.segments[v_.people.segment[i]];
    ++t.ratings;
    t.rating_sum += st.satisfaction[i];
  }

 private:
  const step_view& v_;
  bool enabled_;
  std::uint64_t threshold_;
  rng::gate_scan gate_;
};

/// Unprompted talk at the end of a step: promoters recommend, detractors warn.
class talk_pass {
 public:
  talk_pass(const step_view& v, agent_range range)
      : v_(v),
        rate_(v.model.sc->word_of_mouth.organic_rate),
        talkativeness_(v.people.trait_values(trait::talkativeness)),
        gate_(range.end, v.key, v.step, rng::stream::wom_organic) {}

  [[nodiscard]] bool enabled() const { return rate_ > 0; }
  void operator()(std::uint32_t i) {
    const auto& st = v_.state;
    if (st.status[i] != customer_status::customer) return;
    if (gate_.uniform(i) >= rate_ * talkativeness_[i]) return;
    const auto group = recommend_group(v_.model, st.satisfaction[i], st.loyalty[i]);
    if (group == nps_group::promoter)
      start_story(v_, i, +1, origin::organic, 0.0);
    else if (group == nps_group::detractor)
      start_story(v_, i, -1, origin::organic, 0.0);
  }

 private:
  const step_view& v_;
  double rate_;
  const std::vector<float>& talkativeness_;
  rng::gate_scan gate_;
};

/// Adds an agent's state at the end of the step to its segment's tally.
class metrics_pass {
 public:
  explicit metrics_pass(const step_view& v) : v_(v) {}

  // Counts by arithmetic rather than branches: statuses, recommendation groups and stories are
  // scattered at random over the agents, so branches on them mispredict.
  void operator()(std::uint32_t i, block_tally& tally) const {
    const auto& st = v_.state;
    auto& t = tally.segments[v_.people.segment[i]];
    const auto status = st.status[i];
    ++t.population;
    t.unaware += static_cast<std::uint64_t>(status == customer_status::unaware);
    t.prospects += static_cast<std::uint64_t>(status == customer_status::aware);
    t.customers += static_cast<std::uint64_t>(status == customer_status::customer);
    t.lapsed += static_cast<std::uint64_t>(status == customer_status::lapsed);
    // Customers' sums take 0 from others (exact: the sums are non-negative, and x + 0 = x).
    const bool customer = status == customer_status::customer;
    const float satisfaction = st.satisfaction[i];
    const float loyalty = st.loyalty[i];
    t.satisfaction_sum += customer ? static_cast<double>(satisfaction) : 0.0;
    t.trust_sum += customer ? static_cast<double>(st.trust[i]) : 0.0;
    t.empowerment_sum += customer ? static_cast<double>(st.empowerment[i]) : 0.0;
    t.loyalty_sum += customer ? static_cast<double>(loyalty) : 0.0;
    t.attitude_sum += customer ? 0.0 : static_cast<double>(st.attitude[i]);
    const double mix = recommend_mix(v_.model, satisfaction, loyalty);
    t.promoters += static_cast<std::uint64_t>(customer && mix >= v_.model.promoter_mix);
    t.detractors += static_cast<std::uint64_t>(customer && mix < v_.model.passive_mix);
    t.wom_positive += static_cast<std::uint64_t>(v_.outbox.valence[i] > 0);
    t.wom_negative += static_cast<std::uint64_t>(v_.outbox.valence[i] < 0);
  }

 private:
  const step_view& v_;
};

}  // namespace

double lowest_mix_reaching(double level, double top_level) {
  const auto reaches = [&](double mix) { return recommend_level(mix, top_level) >= level; };
  constexpr double down = -std::numeric_limits<double>::infinity();
  constexpr double up = std::numeric_limits<double>::infinity();
  // The exact boundary is level / 10 * top_level; the steps correct the rounding of the guess.
  double mix = level / 10.0 * top_level;
  while (reaches(std::nextafter(mix, down))) mix = std::nextafter(mix, down);
  while (!reaches(mix)) mix = std::nextafter(mix, up);
  return mix;
}

void apply_market(const step_view& v, agent_range range, block_tally& tally) {
  market_pass market(v, range);
  for (std::uint32_t i = range.begin; i < range.end; ++i) market(i, tally);
}

void apply_loyalty(const step_view& v, agent_range range) {
  loyalty_pass loyalty(v);
  for (std::uint32_t i = range.begin; i < range.end; ++i) loyalty(i);
}

void post_ratings(const step_view& v, agent_range range, block_tally& tally) {
  rating_pass rating(v, range);
  if (!rating.enabled()) return;
  for (std::uint32_t i = range.begin; i < range.end; ++i) rating(i, tally);
}

void organic_talk(const step_view& v, agent_range range, block_tally& tally) {
  (void)tally;
  talk_pass talk(v, range);
  if (!talk.enabled()) return;
  for (std::uint32_t i = range.begin; i < range.end; ++i) talk(i);
}

void collect_metrics(const step_view& v, agent_range range, block_tally& tally) {
  const metrics_pass metrics(v);
  for (std::uint32_t i = range.begin; i < range.end; ++i) metrics(i, tally);
}

void finish_step(const step_view& v, agent_range range, block_tally& tally) {
  market_pass market(v, range);
  loyalty_pass loyalty(v);
  rating_pass rating(v, range);
  talk_pass talk(v, range);
  const metrics_pass metrics(v);
  const bool rates = rating.enabled();
  const bool talks = talk.enabled();
  for (std::uint32_t i = range.begin; i < range.end; ++i) {
    market(i, tally);
    loyalty(i);
    if (rates) rating(i, tally);
    if (talks) talk(i);
    metrics(i, tally);
  }
}

}  // namespace cesim::mechanisms
