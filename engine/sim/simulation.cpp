#include "cesim/sim/simulation.hpp"

#include <fmt/format.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cesim/mechanisms/campaigns.hpp"
#include "cesim/mechanisms/context.hpp"
#include "cesim/mechanisms/end_of_step.hpp"
#include "cesim/mechanisms/loyalty.hpp"
#include "cesim/mechanisms/market.hpp"
#include "cesim/mechanisms/metrics.hpp"
#include "cesim/mechanisms/review.hpp"
#include "cesim/mechanisms/touchpoints.hpp"
#include "cesim/mechanisms/word_of_mouth.hpp"
#include "cesim/sim/blocks.hpp"
#include "cesim/sim/memory.hpp"
#include "cesim/sim/run_state.hpp"

namespace cesim {
namespace {

/// Bit k set where bytes[k] != 0, for 64 bytes.
std::uint64_t nonzero_bytes(const std::int8_t* bytes) {
#if defined(__SSE2__)
  // Four 16-byte compares, each giving 16 bits at once (SSE2 is part of every x86-64).
  std::uint64_t zero = 0;
  const __m128i nothing = _mm_setzero_si128();
  for (int q = 0; q < 4; ++q) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + 16 * q));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, nothing)));
    zero |= std::uint64_t{mask} << (16 * q);
  }
  return ~zero;
#else
  std::uint64_t bits = 0;
  for (unsigned k = 0; k < 64; ++k) bits |= static_cast<std::uint64_t>(bytes[k] != 0) << k;
  return bits;
#endif
}

}  // namespace

struct simulation::impl : run_state {
  run_options options;
  /// Pushed delivery: this step's successful hearings, per block of tellers, then all sorted.
  std::vector<std::vector<std::uint64_t>> block_hearings;
  std::vector<std::uint64_t> hearings;
  std::vector<std::uint64_t> hearings_scratch;
  std::vector<std::uint64_t> hop_totals;
  std::vector<block_tally> partials;
  std::uint32_t step = 0;
  double public_rating = 0;
  run_result result;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  impl(const scenario& s, run_options o)
      : run_state(s, rng::key{s.seed, o.replication}, o.shared), options(std::move(o)) {
    for (const auto& c : sc.campaigns) result.campaign_names.push_back(c.name);
    hop_totals.assign(model.origin_names.size() * model.hop_slots, 0);
    partials.resize(block_count(people.size));
    result.replication = options.replication;
    result.seed = sc.seed;
    result.steps = sc.time.horizon;
    for (const auto& seg : sc.segments) result.segment_names.push_back(seg.name);
    for (const auto& tp : sc.touchpoints) result.touchpoint_names.push_back(tp.name);
    result.origin_names = model.origin_names;
    result.network_edges = network->well_mixed ? 0 : network->edges();
    result.network_mean_degree = network->well_mixed ? network->contacts_per_step
                                 : people.size == 0
                                     ? 0.0
                                     : 2.0 * static_cast<double>(network->edges()) / people.size;
    result.series.reserve((std::size_t{sc.time.horizon} + 1) * model.segments);
    result.touchpoint_series.reserve(std::size_t{sc.time.horizon} * model.touchpoints);
    public_rating = initial_public_rating();
    record(view());
  }

  step_view view() { return run_state::view(step, public_rating); }

  /// The step's phases, in the model's fixed order, for one block of agents.
  void run_block(const step_view& v, std::size_t b, agent_range range) {
    auto& tally = partials[b];
    reset(tally);
    outbox.clear(range);
    mechanisms::apply_touchpoints(v, range, tally);
    campaigns->apply(v, range, tally);
    mechanisms::deliver_word_of_mouth(v, range, tally);
    mechanisms::finish_step(v, range, tally);  // market, loyalty, ratings, talk, metrics
  }

  /// Rebuilds the teller bits from the inbox; blocks own whole words, so they run in parallel.
  void mark_tellers() {
    for_each_block(people.size, [&](std::size_t, agent_range range) {
      // 64-bit positions: a range may end near the largest agent id, where 32-bit sums wrap.
      for (std::uint64_t w = range.begin / 64; w < (std::uint64_t{range.end} + 63) / 64; ++w) {
        const std::uint64_t last = std::min<std::uint64_t>(range.end, (w + 1) * 64);
        if (last - w * 64 == 64) {
          tellers[w] = nonzero_bytes(inbox.valence.data() + w * 64);
          continue;
        }
        std::uint64_t bits = 0;
        for (std::uint64_t i = w * 64; i < last; ++i)
          if (inbox.valence[i] != 0) bits |= std::uint64_t{1} << (i % 64);
        tellers[w] = bits;
      }
    });
  }

  /// Pushing from the tellers touches only their contacts; pulling scans every contact of
  /// everyone and finds its place in each teller's row. Pushing is faster at any share of
  /// tellers (bench/micro: 16 times at half the customers telling), so pull is for tests.
  [[nodiscard]] bool push_delivery() const {
    if (network->well_mixed) return false;
    return options.wom_delivery != run_options::delivery::pull;
  }

  void reset(block_tally& tally) const {
    tally.reset(model.segments, model.touchpoints, model.origin_names.size(), model.hop_slots);
    if (campaigns) campaigns->reset_tallies(tally);
  }

  void advance() {
    if (step >= sc.time.horizon) throw std::logic_error("simulation already reached its horizon");
    ++step;
    step_view v = view();
    campaigns->prepare_step(v, *network);
    if (push_delivery()) {
      mechanisms::collect_hearings(v, block_hearings, hearings, hearings_scratch);
      v.hearings = &hearings;
    }
    for_each_block(people.size, [&](std::size_t b, agent_range range) { run_block(v, b, range); });
    combine();
    std::swap(inbox, outbox);
    mark_tellers();
    if (options.check_invariants) check_invariants();
    if (options.on_step) options.on_step(step);
  }

  /// Sums block partials in block order: the same floating-point sums for any thread count.
  void combine() {
    std::vector<segment_tally> segments(model.segments);
    std::vector<touchpoint_tally> touchpoints(model.touchpoints);
    std::vector<std::uint64_t> reached(model.origin_names.size(), 0);
    std::vector<campaign_tally> campaign_totals;
    campaigns->reset_tally_vector(campaign_totals);
    std::uint64_t ratings = 0;
    double rating_sum = 0;
    for (const auto& p : partials) {
      for (std::size_t s = 0; s < segments.size(); ++s) segments[s].add(p.segments[s]);
      for (std::size_t k = 0; k < touchpoints.size(); ++k) touchpoints[k].add(p.touchpoints[k]);
      for (std::size_t o = 0; o < reached.size(); ++o) reached[o] += p.origin_reached[o];
      for (std::size_t h = 0; h < hop_totals.size(); ++h) hop_totals[h] += p.hops[h];
      for (std::size_t c = 0; c < campaign_totals.size(); ++c)
        campaign_totals[c].add(p.campaigns[c]);
    }
    result.origin_series.insert(result.origin_series.end(), reached.begin(), reached.end());
    campaigns->finish_step(step, campaign_totals, key);
    result.campaign_series.insert(result.campaign_series.end(), campaign_totals.begin(),
                                  campaign_totals.end());
    for (const auto& s : segments) {
      ratings += s.ratings;
      rating_sum += s.rating_sum;
    }
    result.series.insert(result.series.end(), segments.begin(), segments.end());
    result.touchpoint_series.insert(result.touchpoint_series.end(), touchpoints.begin(),
                                    touchpoints.end());
    public_rating = mechanisms::update_public_rating(model, public_rating, ratings, rating_sum);
    result.public_rating.push_back(public_rating);
  }

  /// Step 0: the initial state, measured the same way as every later step.
  void record(const step_view& v) {
    for_each_block(people.size, [&](std::size_t b, agent_range range) {
      reset(partials[b]);
      mechanisms::collect_metrics(v, range, partials[b]);
    });
    std::vector<segment_tally> segments(model.segments);
    for (const auto& p : partials)
      for (std::size_t s = 0; s < segments.size(); ++s) segments[s].add(p.segments[s]);
    result.series.insert(result.series.end(), segments.begin(), segments.end());
    result.public_rating.push_back(public_rating);
  }

  void check_invariants() const {
    auto fail = [&](std::uint32_t i, const char* what, float value) {
      throw std::logic_error(
          fmt::format("invariant violated at step {}: agent {} has {} = {}", step, i, what, value));
    };
    for (std::uint32_t i = 0; i < people.size; ++i) {
      if (static_cast<unsigned>(state.status[i]) > 3)
        fail(i, "status", static_cast<float>(state.status[i]));
      for (const auto* field : {&state.satisfaction, &state.trust, &state.empowerment,
                                &state.attitude, &state.loyalty}) {
        const float x = (*field)[i];
        if (!(x >= 0.0f && x <= 1.0f)) fail(i, "a state value outside [0, 1]", x);
      }
    }
  }

  void summarise() {
    const std::size_t segs = model.segments;
    std::vector<segment_summary> out(segs + 1);
    // Horizon quantities that need agent state: retention cohort and lifetime values.
    std::vector<double> cohort(segs, 0), retained(segs, 0), clv_sum(segs, 0);
    const double d = sc.time.discount_per_step;
    const auto& margin = people.trait_values(trait::margin);
    for (std::uint32_t i = 0; i < people.size; ++i) {
      const auto s = people.segment[i];
      if ((state.flags[i] & agent_flag::initial_customer) != 0) {
        cohort[s] += 1;
        if (state.status[i] == customer_status::customer &&
            (state.flags[i] & agent_flag::churned) == 0)
          retained[s] += 1;
      }
      if (state.status[i] == customer_status::customer) {
        // CLV = m r / (1 + d - r) for retention r per step (Gupta & Lehmann 2003).
        const double r = 1.0 - mechanisms::churn_probability(model, people, state, i);
        clv_sum[s] += margin[i] * r / (1.0 + d - r);
      }
    }
    auto fill = [&](segment_summary& out_s, auto tally_at, double cohort_n, double retained_n,
                    double clv) {
      const segment_tally start = tally_at(0);
      const segment_tally end = tally_at(step);
      out_s.population = static_cast<double>(end.population);
      out_s.customers_start = static_cast<double>(start.customers);
      out_s.customers_end = static_cast<double>(end.customers);
      out_s.aware_share = end.population == 0 ? not_available
                                              : static_cast<double>(end.population - end.unaware) /
                                                    static_cast<double>(end.population);
      out_s.retention = cohort_n == 0 ? not_available : retained_n / cohort_n;
      const double c = static_cast<double>(end.customers);
      out_s.satisfaction = c == 0 ? not_available : end.satisfaction_sum / c;
      out_s.trust = c == 0 ? not_available : end.trust_sum / c;
      out_s.empowerment = c == 0 ? not_available : end.empowerment_sum / c;
      out_s.loyalty = c == 0 ? not_available : end.loyalty_sum / c;
      out_s.nps =
          c == 0
              ? not_available
              : 100.0 * (static_cast<double>(end.promoters) - static_cast<double>(end.detractors)) /
                    c;
      double discount = 1.0;
      for (std::uint32_t t = 1; t <= step; ++t) {
        const segment_tally row = tally_at(t);
        discount /= (1.0 + d);
        out_s.acquisitions += static_cast<double>(row.new_customers);
        out_s.referred_acquisitions += static_cast<double>(row.new_referred);
        out_s.churned += static_cast<double>(row.churned);
        out_s.revenue += row.revenue;
        out_s.revenue_discounted += row.revenue * discount;
        out_s.wom_positive += static_cast<double>(row.wom_positive);
        out_s.wom_negative += static_cast<double>(row.wom_negative);
        out_s.wom_reach += static_cast<double>(row.newly_reached);
        out_s.touchpoint_cost += row.touchpoint_cost;
      }
      out_s.wom_reach = end.population == 0 ? not_available
                                            : out_s.wom_reach / static_cast<double>(end.population);
      out_s.customer_equity = clv;
      out_s.clv = c == 0 ? not_available : clv / c;
    };
    double cohort_all = 0, retained_all = 0, clv_all = 0;
    for (std::size_t s = 0; s < segs; ++s) {
      out[s].segment = sc.segments[s].name;
      fill(
          out[s], [&](std::uint32_t t) { return result.at(t, s); }, cohort[s], retained[s],
          clv_sum[s]);
      cohort_all += cohort[s];
      retained_all += retained[s];
      clv_all += clv_sum[s];
    }
    out[segs].segment = "total";
    fill(
        out[segs], [&](std::uint32_t t) { return result.total_at(t); }, cohort_all, retained_all,
        clv_all);
    result.summary = std::move(out);
    result.horizon_discount = std::pow(1.0 + d, -static_cast<double>(step));
    result.hop_histogram = hop_totals;
    for (std::size_t c = 0; c < campaigns->campaigns(); ++c) {
      const auto& rt = campaigns->runtime(c);
      std::uint64_t unique = 0;
      for (auto word : rt.participated) unique += static_cast<std::uint64_t>(std::popcount(word));
      for (auto word : rt.recruited) unique += static_cast<std::uint64_t>(std::popcount(word));
      result.campaign_unique_participants.push_back(unique);
      result.vote_winner.push_back(rt.winner);
      result.jury_overruled.push_back(rt.jury_overruled);
    }
  }
};

simulation::simulation(const scenario& s, run_options options) {
  // Refused before the first customer is allocated, not killed half-way by the kernel.
  require_memory(s);
  impl_ = std::make_unique<impl>(s, std::move(options));
}
simulation::~simulation() = default;

void simulation::step() {
  impl_->advance();
}
std::uint32_t simulation::current_step() const {
  return impl_->step;
}

run_result simulation::run() {
  while (impl_->step < impl_->sc.time.horizon) impl_->advance();
  impl_->summarise();
  impl_->result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - impl_->started).count();
  return std::move(impl_->result);
}

const population& simulation::people() const {
  return impl_->people;
}
const agent_state& simulation::state() const {
  return impl_->state;
}
const social_network& simulation::network() const {
  return *impl_->network;
}
std::uint8_t simulation::campaign_choice(std::size_t c, std::uint32_t i) const {
  const auto& rt = impl_->campaigns->runtime(c);
  return rt.choice.empty() ? 0 : rt.choice[i];
}
int simulation::vote_winner(std::size_t c) const {
  return impl_->campaigns->runtime(c).winner;
}
bool simulation::recruited(std::size_t c, std::uint32_t i) const {
  const auto& rt = impl_->campaigns->runtime(c);
  return rt.has(rt.recruited, i);
}
std::uint16_t simulation::referred_by(std::uint32_t i) const {
  return impl_->referred_by[i];
}

run_result run_replication(const scenario& s, const run_options& options) {
  simulation sim(s, options);
  return sim.run();
}

}  // namespace cesim
