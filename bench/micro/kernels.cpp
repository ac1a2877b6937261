// Micro-benchmarks of the three hot kernels of a step, on one core, over populations built from
// bench/standard.yaml exactly as simulation.cpp builds them:
//
//   touchpoints      apply_touchpoints over every block
//   campaigns        campaign_engine::prepare_step, then apply over every block
//   wom_push         push_hearings + sort + deliver_word_of_mouth (the direction used while
//                    tellers are few)
//   wom_pull         deliver_word_of_mouth pulling from every contact
//                    (both: population / percent of customers telling a story)
//   metrics          collect_metrics per block + the block-order combine of the partials
//
// The argument is the population. items_per_second is agents per second per core.
//
//   build/bench/bench/cesim_micro --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cesim/io/scenario_loader.hpp"
#include "cesim/mechanisms/campaigns.hpp"
#include "cesim/mechanisms/context.hpp"
#include "cesim/mechanisms/metrics.hpp"
#include "cesim/mechanisms/touchpoints.hpp"
#include "cesim/mechanisms/word_of_mouth.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"
#include "cesim/sim/blocks.hpp"
#include "cesim/sim/run_state.hpp"

namespace {

using namespace cesim;

/// The inbox of a typical week of bench/standard.yaml (its timeseries.csv and wom.csv at 100,000
/// customers): 4-5 % of customers tell a story, 45 % of stories are positive, and few are
/// retellings. Word of mouth is also measured with more tellers (a viral week), where the engine
/// switches from pushing to pulling.
constexpr int typical_teller_percent = 4;
constexpr double positive_share = 0.45;
constexpr double retold_share = 0.1;

/// The scenario a fixture owns, built before the run state that refers to it.
struct owned_scenario {
  scenario owned;
};

/// One population with everything a step_view refers to, built as a run builds it (run_state).
/// Built once per size and kept, since synthesis and the network take far longer than any
/// kernel; never moved, as the model and views point into it.
struct fixture : owned_scenario, run_state {
  agent_state initial;
  std::vector<block_tally> partials;
  double public_rating = 0;
  std::uint64_t teller_count = 0;
  double teller_share;

  fixture(scenario s, double share_of_tellers)
      : owned_scenario{std::move(s)},
        run_state(owned, rng::key{owned.seed, 0}),
        initial(state),
        teller_share(share_of_tellers) {
    partials.resize(block_count(people.size));
    for (auto& t : partials) reset(t);
    tell_stories();
    restart();
    public_rating = initial_public_rating();
  }

  /// Back to the initial state, so that each benchmark starts alike whatever ran before it.
  void restart() {
    state = initial;
    reach.reset(model.origin_names.size(), people.size);
    std::fill(heard.begin(), heard.end(), std::uint8_t{0});
    std::fill(referred_by.begin(), referred_by.end(), std::uint16_t{0});
    std::fill(outbox.valence.begin(), outbox.valence.end(), std::int8_t{0});
  }

  void reset(block_tally& t) const {
    t.reset(model.segments, model.touchpoints, model.origin_names.size(), model.hop_slots);
    campaigns->reset_tallies(t);
  }

  /// Fills the inbox as a step would leave it: own stories (hop 0, strength 1, priority
  /// 1 + |impact|) and retellings (hop 1, strength and priority halved) from every origin
  /// (including the referral programme, whose stories take the referral branch of delivery).
  /// Customers tell in proportion to their talkativeness, as in apply_touchpoints(), so that
  /// tellers have the talkers' higher chance of being heard. Then the teller bits, as
  /// mark_tellers().
  void tell_stories() {
    const auto& talkativeness = people.trait_values(trait::talkativeness);
    double mean_talkativeness = 0;
    for (const float t : talkativeness) mean_talkativeness += t;
    mean_talkativeness /= std::max<double>(1.0, static_cast<double>(people.size));
    std::mt19937_64 gen(12345);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<std::size_t> from(0, model.origin_names.size() - 1);
    for (std::uint32_t i = 0; i < people.size; ++i) {
      if (unit(gen) >= std::min(1.0, teller_share * talkativeness[i] / mean_talkativeness))
        continue;
      const bool retold = unit(gen) < retold_share;
      const std::int8_t valence = unit(gen) < positive_share ? std::int8_t{1} : std::int8_t{-1};
      const float strength = retold ? 0.5f : 1.0f;
      const float priority = retold ? 0.5f : static_cast<float>(1.0 + 0.3 * unit(gen));
      inbox.record(i, valence, static_cast<std::uint16_t>(from(gen)),
                   retold ? std::uint8_t{1} : std::uint8_t{0}, strength, priority);
    }
    teller_count = 0;
    for (std::size_t w = 0; w < tellers.size(); ++w) {
      std::uint64_t bits = 0;
      const auto first = static_cast<std::uint32_t>(w * 64);
      const std::uint32_t last = std::min<std::uint32_t>(people.size, first + 64);
      for (std::uint32_t i = first; i < last; ++i)
        if (inbox.valence[i] != 0) bits |= std::uint64_t{1} << (i % 64);
      tellers[w] = bits;
      teller_count += static_cast<std::uint64_t>(std::popcount(bits));
    }
  }

  step_view view(std::uint32_t step) { return run_state::view(step, public_rating); }
};

fixture& population_of(std::int64_t size, std::int64_t teller_percent = typical_teller_percent) {
  static std::map<std::pair<std::int64_t, std::int64_t>, std::unique_ptr<fixture>> built;
  auto& f = built[{size, teller_percent}];
  if (!f) {
    io::load_options options;
    options.overrides.push_back({"population", std::to_string(size), "bench"});
    f = std::make_unique<fixture>(io::load_scenario(CESIM_BENCH_SCENARIO, options),
                                  static_cast<double>(teller_percent) / 100.0);
  }
  f->restart();
  return *f;
}

/// Steps 1..horizon in turn, so that draws differ between iterations as between weeks of a run.
std::uint32_t next_step(std::uint32_t step, const scenario& sc) {
  return step % sc.time.horizon + 1;
}

/// Per-core numbers: nothing timed may use a second thread (TBB sorts included). Taken after
/// population_of(), so that building a population still uses every core.
tbb::global_control one_thread() {
  return tbb::global_control(tbb::global_control::max_allowed_parallelism, 1);
}

/// Times a kernel of the block pass over every block, one step per iteration, steps cycling
/// through the year. `prepare(v)` runs first in each step (timed, as a run does it).
template <typename Prepare, typename Kernel>
void block_pass(benchmark::State& bs, Prepare&& prepare, Kernel&& kernel) {
  auto& f = population_of(bs.range(0));
  const auto serial = one_thread();
  const std::size_t blocks = block_count(f.people.size);
  std::uint32_t step = 0;
  for (auto _ : bs) {
    step = next_step(step, f.sc);
    const step_view v = f.view(step);
    prepare(f, v);
    for (std::size_t b = 0; b < blocks; ++b) {
      const agent_range range = block_range(b, f.people.size);
      // As run_block: fresh tallies and outbox slots, or stories would pile up across steps.
      f.reset(f.partials[b]);
      f.outbox.clear(range);
      kernel(f, v, range, f.partials[b]);
    }
    benchmark::DoNotOptimize(f.partials.data());
    benchmark::ClobberMemory();
  }
  bs.SetItemsProcessed(static_cast<std::int64_t>(bs.iterations()) * f.people.size);
}

void touchpoints(benchmark::State& bs) {
  block_pass(
      bs, [](fixture&, const step_view&) {},
      [](fixture&, const step_view& v, agent_range range, block_tally& tally) {
        mechanisms::apply_touchpoints(v, range, tally);
      });
}

/// The campaign pass of a step (the contest, referral programme and feedback system of
/// bench/standard.yaml), after the whole-population preparation a step makes first; each
/// campaign is active in its own weeks, as in a run.
void campaigns(benchmark::State& bs) {
  block_pass(
      bs, [](fixture& f, const step_view& v) { f.campaigns->prepare_step(v, *f.network); },
      [](fixture& f, const step_view& v, agent_range range, block_tally& tally) {
        f.campaigns->apply(v, range, tally);
      });
}

/// Word of mouth from a fixed inbox. The reach tracker is emptied between iterations (untimed):
/// otherwise every story would soon be old news to its hearers, and the kernel would skip the
/// forwarding draws a real step makes.
void word_of_mouth(benchmark::State& bs, bool push) {
  auto& f = population_of(bs.range(0), bs.range(1));
  const auto serial = one_thread();
  const std::size_t blocks = block_count(f.people.size);
  std::vector<std::vector<std::uint64_t>> block_hearings(blocks);
  std::vector<std::uint64_t> hearings;
  std::vector<std::uint64_t> scratch;
  std::uint64_t heard_total = 0;
  std::uint32_t step = 0;
  for (auto _ : bs) {
    bs.PauseTiming();
    f.reach.reset(f.model.origin_names.size(), f.people.size);
    bs.ResumeTiming();
    step = next_step(step, f.sc);
    step_view v = f.view(step);
    if (push) {
      mechanisms::collect_hearings(v, block_hearings, hearings, scratch);
      v.hearings = &hearings;
      heard_total += hearings.size();
    }
    for (std::size_t b = 0; b < blocks; ++b) {
      const agent_range range = block_range(b, f.people.size);
      f.reset(f.partials[b]);
      f.outbox.clear(range);
      mechanisms::deliver_word_of_mouth(v, range, f.partials[b]);
    }
    benchmark::DoNotOptimize(f.partials.data());
    benchmark::ClobberMemory();
  }
  bs.SetItemsProcessed(static_cast<std::int64_t>(bs.iterations()) * f.people.size);
  bs.counters["tellers"] = static_cast<double>(f.teller_count) / static_cast<double>(f.people.size);
  if (push)
    bs.counters["hearings"] =
        benchmark::Counter(static_cast<double>(heard_total), benchmark::Counter::kAvgIterations);
}

void wom_push(benchmark::State& bs) {
  word_of_mouth(bs, true);
}
void wom_pull(benchmark::State& bs) {
  word_of_mouth(bs, false);
}

/// The metrics pass of a step (as record()) and the combine of its partials in block order
/// (as combine(), without appending to the run's series).
void metrics(benchmark::State& bs) {
  auto& f = population_of(bs.range(0));
  const auto serial = one_thread();
  // The outbox as a step leaves it, so that the story counts are not all zero.
  f.outbox = f.inbox;
  const std::size_t blocks = block_count(f.people.size);
  std::uint32_t step = 0;
  for (auto _ : bs) {
    step = next_step(step, f.sc);
    const step_view v = f.view(step);
    for (std::size_t b = 0; b < blocks; ++b) {
      f.reset(f.partials[b]);
      mechanisms::collect_metrics(v, block_range(b, f.people.size), f.partials[b]);
    }
    std::vector<segment_tally> segments(f.model.segments);
    std::vector<touchpoint_tally> tps(f.model.touchpoints);
    std::vector<std::uint64_t> reached(f.model.origin_names.size(), 0);
    std::vector<std::uint64_t> hops(f.model.origin_names.size() * f.model.hop_slots, 0);
    std::vector<campaign_tally> campaign_totals;
    f.campaigns->reset_tally_vector(campaign_totals);
    for (const auto& p : f.partials) {
      for (std::size_t s = 0; s < segments.size(); ++s) segments[s].add(p.segments[s]);
      for (std::size_t k = 0; k < tps.size(); ++k) tps[k].add(p.touchpoints[k]);
      for (std::size_t o = 0; o < reached.size(); ++o) reached[o] += p.origin_reached[o];
      for (std::size_t h = 0; h < hops.size(); ++h) hops[h] += p.hops[h];
      for (std::size_t c = 0; c < campaign_totals.size(); ++c)
        campaign_totals[c].add(p.campaigns[c]);
    }
    benchmark::DoNotOptimize(segments.data());
    benchmark::DoNotOptimize(tps.data());
    benchmark::DoNotOptimize(reached.data());
    benchmark::DoNotOptimize(hops.data());
    benchmark::DoNotOptimize(campaign_totals.data());
    benchmark::ClobberMemory();
  }
  bs.SetItemsProcessed(static_cast<std::int64_t>(bs.iterations()) * f.people.size);
}

void sizes(benchmark::internal::Benchmark* b) {
  b->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);
}

/// Population and percent of customers telling a story: the typical week at both sizes, and
/// viral weeks around the share at which the engine turns from pushing to pulling.
void sizes_and_tellers(benchmark::internal::Benchmark* b) {
  b->Args({100000, typical_teller_percent})
      ->Args({1000000, typical_teller_percent})
      ->Args({1000000, 25})
      ->Args({1000000, 50})
      ->Unit(benchmark::kMillisecond);
}

BENCHMARK(touchpoints)->Apply(sizes);
BENCHMARK(campaigns)->Apply(sizes);
BENCHMARK(wom_push)->Apply(sizes_and_tellers);
BENCHMARK(wom_pull)->Apply(sizes_and_tellers);
BENCHMARK(metrics)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
