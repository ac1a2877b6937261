#include <algorithm>
#include <catch2/catch.hpp>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "cesim/analysis/runner.hpp"
#include "cesim/analysis/sweep_runner.hpp"
#include "cesim/analysis/sweep_spec.hpp"
#include "cesim/network/generators.hpp"
#include "cesim/sim/build_cache.hpp"
#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

bool same_network(const social_network& a, const social_network& b) {
  return a.agents == b.agents && a.well_mixed == b.well_mixed && a.offsets == b.offsets &&
         std::equal(a.neighbors.begin(), a.neighbors.end(), b.neighbors.begin(),
                    b.neighbors.end()) &&
         std::equal(a.strength.begin(), a.strength.end(), b.strength.begin(), b.strength.end()) &&
         std::equal(a.strength_code.begin(), a.strength_code.end(), b.strength_code.begin(),
                    b.strength_code.end()) &&
         a.strength_levels == b.strength_levels;
}

bool same_population(const synthesized_population& a, const synthesized_population& b) {
  const auto& p = a.people;
  const auto& q = b.people;
  const auto& s = a.initial;
  const auto& t = b.initial;
  return p.size == q.size && p.segment == q.segment && p.persona == q.persona &&
         p.traits == q.traits && p.segment_begin == q.segment_begin && s.status == t.status &&
         s.flags == t.flags && s.satisfaction == t.satisfaction && s.trust == t.trust &&
         s.empowerment == t.empowerment && s.attitude == t.attitude && s.loyalty == t.loyalty;
}

struct arm {
  scenario s;
  population people;
};

arm make_arm(const scenario& s, std::uint64_t replication = 0) {
  return {s, synthesize_population(s, rng::key{s.seed, replication}).people};
}

}  // namespace

TEST_CASE("arms that differ outside the network's inputs share one network, built once",
          "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(3000, 4));
  scenario better_store = base;  // a touchpoint changed: the network's inputs are not
  better_store.touchpoints[2].quality_mean += 0.1;

  build_cache cache(2);
  const auto a = make_arm(base);
  const auto b = make_arm(better_store);
  const auto first = cache.network_for(a.s, a.people, {a.s.seed, 0});
  const auto second = cache.network_for(b.s, b.people, {b.s.seed, 0});
  CHECK(first == second);
  CHECK(cache.network_builds() == 1);
  CHECK(same_network(*first, build_network(base, a.people, {base.seed, 0})));

  SECTION("every input of the generators gives its own network") {
    scenario denser = base;
    denser.network.mean_degree = 12;
    scenario rewired = base;
    rewired.network.rewiring = 0.3;
    scenario weak_ties = base;
    weak_ties.network.weak_strength = 0.5;
    weak_ties.network.strong_share = 0.5;
    scenario hubs = base;  // influencers' extra ties come from their persona's degree weight
    const auto influencer = std::find_if(hubs.personas.begin(), hubs.personas.end(),
                                         [](const persona& p) { return p.name == "influencer"; });
    REQUIRE(influencer != hubs.personas.end());
    influencer->degree_weight *= 2;
    for (const scenario* changed : {&denser, &rewired, &weak_ties, &hubs}) {
      const auto c = make_arm(*changed);
      const auto net = cache.network_for(c.s, c.people, {c.s.seed, 0});
      CHECK(net != first);
      CHECK(same_network(*net, build_network(c.s, c.people, {c.s.seed, 0})));
    }
    // The same scenario in another replication: other customers, other ties.
    const auto later = make_arm(base, 1);
    CHECK(cache.network_for(later.s, later.people, {later.s.seed, 1}) != first);
    // Another persona mix with the same network section: other customers, other weights.
    scenario mix = base;
    std::swap(mix.segments[0].persona_index, mix.segments[1].persona_index);
    std::swap(mix.segments[0].persona_weight, mix.segments[1].persona_weight);
    const auto m = make_arm(mix);
    CHECK(cache.network_for(m.s, m.people, {m.s.seed, 0}) != first);
    CHECK(cache.network_builds() == 7);
  }
}

TEST_CASE("arms that differ outside the customers' inputs share one population, made once",
          "[population]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(3000, 4));
  scenario other_steps = base;  // touchpoints, network and descriptions are not read by synthesis
  other_steps.touchpoints[2].quality_mean += 0.1;
  other_steps.network.mean_degree = 12;
  other_steps.personas[0].description = "reworded";
  other_steps.personas[0].degree_weight = 3;

  build_cache cache(2);
  const rng::key key{base.seed, 0};
  const auto first = cache.population_for(base, key);
  CHECK(cache.population_for(other_steps, key) == first);
  CHECK(cache.population_builds() == 1);
  CHECK(same_population(*first, synthesize_population(base, key)));

  SECTION("every input of synthesis gives its own population") {
    std::vector<scenario> changed(12, base);
    changed[0].population = 2999;
    changed[0].segments[0].count -= 1;
    std::swap(changed[1].segments[0].persona_weight[0], changed[1].segments[0].persona_weight[1]);
    changed[2].segments[1].initial_customers = 0.3;
    changed[3].segments[1].initial_aware = 0.7;
    changed[4].segments[0].initial_satisfaction.a += 0.01;
    changed[5].personas[changed[5].segments[1].persona_index[0]].traits[0] =
        distribution::fixed_value(0.123, 0, 1);
    changed[6].segments[1].trait_overrides[0] = distribution::fixed_value(0.3, 0, 1);
    changed[7].segments[0].correlation.traits = {trait::participation, trait::talkativeness};
    changed[7].segments[0].correlation.matrix = {1, 0.5, 0.5, 1};
    changed[8].segments[0].initial_trust.a += 0.01;
    changed[9].segments[0].initial_loyalty.a += 0.01;
    changed[10].segments[0].initial_attitude.a += 0.01;
    std::swap(changed[11].segments[1].persona_index[0], changed[11].segments[1].persona_index[1]);
    for (const auto& s : changed) {
      const auto other = cache.population_for(s, key);
      CHECK(other != first);
      const auto fresh = synthesize_population(s, key);
      CHECK(same_population(*other, fresh));
      CHECK_FALSE(same_population(*other, *first));
    }
    // Another replication or seed: other draws.
    CHECK(cache.population_for(base, {base.seed, 1}) != first);
    CHECK(cache.population_for(base, {base.seed + 1, 0}) != first);
    CHECK(cache.population_builds() == 15);
  }
}

TEST_CASE("a run on a shared population has its own state and the results of one alone",
          "[population]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(4000, 6));
  scenario louder = base;
  louder.touchpoints[0].quality_mean += 0.2;
  build_cache cache(1);
  const rng::key key{base.seed, 0};
  auto kept = cache.population_for(base, key);
  const agent_state initial = kept->initial;
  {
    run_options with_cache;
    with_cache.shared = &cache;
    run_options alone;
    CHECK(test::identical(run_replication(louder, with_cache), run_replication(louder, alone)));
    CHECK(test::identical(run_replication(base, with_cache), run_replication(base, alone)));
  }
  // The runs changed their own copies of the state, never the kept one.
  CHECK(cache.population_builds() == 1);
  CHECK(kept->initial.status == initial.status);
  CHECK(kept->initial.satisfaction == initial.satisfaction);
  CHECK(kept->initial.loyalty == initial.loyalty);
  CHECK(cache.unheld_population_bytes() == 0);  // held here
  const std::uint64_t bytes = kept->bytes();
  CHECK(bytes >= std::uint64_t{4000} * population_bytes_per_agent());
  kept.reset();
  CHECK(cache.unheld_population_bytes() == bytes);
}

TEST_CASE("a full network cache lets go of what no run holds first, then the oldest", "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(2000, 4));
  const auto r0 = make_arm(base, 0);
  const auto r1 = make_arm(base, 1);
  const auto r2 = make_arm(base, 2);
  build_cache cache(2);
  CHECK(cache.capacity() == 2);
  std::weak_ptr<const social_network> watch;
  {
    const auto held = cache.network_for(r0.s, r0.people, {base.seed, 0});
    watch = held;
  }
  // Nobody holds replication 0's network now, but a run may still ask for it: it stays.
  CHECK(cache.networks_kept() == 1);
  CHECK(!watch.expired());
  CHECK(cache.network_for(r0.s, r0.people, {base.seed, 0}) == watch.lock());
  CHECK(cache.network_builds() == 1);
  // Room is left: a miss keeps the unheld network too (a sweep comes back to it at its next
  // point).
  const auto one = cache.network_for(r1.s, r1.people, {base.seed, 1});
  CHECK(cache.networks_kept() == 2);
  CHECK(!watch.expired());
  // Full: the unheld network goes, although replication 1's is older in use.
  const auto two = cache.network_for(r2.s, r2.people, {base.seed, 2});
  CHECK(watch.expired());
  CHECK(cache.networks_kept() == 2);
  // Full and every network held: the least recently asked for (replication 1) leaves the cache
  // but stays with the run holding it.
  const auto zero = cache.network_for(r0.s, r0.people, {base.seed, 0});
  CHECK(cache.networks_kept() == 2);
  CHECK(cache.network_builds() == 4);
  CHECK(cache.network_for(r2.s, r2.people, {base.seed, 2}) == two);
  CHECK(cache.network_builds() == 4);
  CHECK(one->agents == 2000);
  CHECK(cache.network_for(r1.s, r1.people, {base.seed, 1}) != one);
  CHECK(cache.network_builds() == 5);
}

TEST_CASE("networks no run holds stay within the byte budget; held ones are not counted",
          "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(2000, 4));
  const auto r0 = make_arm(base, 0);
  const auto r1 = make_arm(base, 1);
  const auto r2 = make_arm(base, 2);
  const auto r3 = make_arm(base, 3);
  // Replications draw different ties, so their networks differ a little in size.
  const std::uint64_t bytes0 = build_network(base, r0.people, {base.seed, 0}).bytes();
  const std::uint64_t bytes1 = build_network(base, r1.people, {base.seed, 1}).bytes();
  const std::uint64_t largest = std::max(bytes0, bytes1);
  // Room for one and a half unheld networks, though four could be kept by number.
  build_cache cache(4, largest + largest / 2);
  std::weak_ptr<const social_network> first = cache.network_for(r0.s, r0.people, {base.seed, 0});
  std::weak_ptr<const social_network> second = cache.network_for(r1.s, r1.people, {base.seed, 1});
  CHECK(cache.unheld_network_bytes() == bytes0 + bytes1);  // over budget until the next miss
  // At the next miss the oldest unheld network goes, until the rest fit.
  const auto third = cache.network_for(r2.s, r2.people, {base.seed, 2});
  CHECK(first.expired());
  CHECK_FALSE(second.expired());
  CHECK(cache.unheld_network_bytes() == bytes1);
  // Held networks count against nothing and stay: evicting them would free no memory.
  const auto fourth = cache.network_for(r3.s, r3.people, {base.seed, 3});
  CHECK(cache.networks_kept() == 3);
  CHECK(cache.network_for(r2.s, r2.people, {base.seed, 2}) == third);
  CHECK(cache.network_builds() == 4);
}

TEST_CASE("a miss lets go of unheld networks the same replication made from other inputs",
          "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(2000, 4));
  scenario denser = base;
  denser.network.mean_degree = 12;
  scenario reseeded = base;
  reseeded.seed = base.seed + 1;
  const auto a = make_arm(base, 0);
  const auto b = make_arm(denser, 0);
  const auto other_replication = make_arm(base, 1);
  build_cache cache(8);
  std::weak_ptr<const social_network> previous_point =
      cache.network_for(a.s, a.people, {base.seed, 0});
  auto kept = cache.network_for(other_replication.s, other_replication.people, {base.seed, 1});
  // The next sweep point changes the network: replication 0's old network goes, though there
  // is room; replication 1's stays until its own next point.
  const auto next_point = cache.network_for(b.s, b.people, {base.seed, 0});
  CHECK(previous_point.expired());
  CHECK(cache.networks_kept() == 2);
  // A network some run still holds stays.
  const auto c = make_arm(reseeded, 0);
  const auto reseeded_net = cache.network_for(c.s, c.people, {reseeded.seed, 0});
  CHECK(cache.networks_kept() == 3);
  CHECK(cache.network_for(b.s, b.people, {base.seed, 0}) == next_point);
  CHECK(cache.network_builds() == 4);
  // Unheld networks of another seed go at a miss, whatever their replication.
  const std::weak_ptr<const social_network> replication1 = kept;
  kept.reset();
  const auto d = make_arm(reseeded, 2);
  const auto reseeded2 = cache.network_for(d.s, d.people, {reseeded.seed, 2});
  CHECK(replication1.expired());
  CHECK_FALSE(reseeded_net == nullptr);
}

TEST_CASE("runs asking at once for a network being built get that one build", "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(20000, 4));
  const auto r0 = make_arm(base, 0);
  build_cache cache(1);
  // Two threads released together ask while the first build (some milliseconds) runs: before
  // builds were shared, both built.
  constexpr std::size_t askers = 2;
  std::vector<std::shared_ptr<const social_network>> got(askers);
  std::latch start(askers);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < askers; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      got[i] = cache.network_for(r0.s, r0.people, {base.seed, 0});
    });
  for (auto& t : threads) t.join();
  CHECK(cache.network_builds() == 1);
  CHECK(got[0] == got[1]);
  CHECK(same_network(*got.front(), build_network(base, r0.people, {base.seed, 0})));
}

TEST_CASE("edge-list and well-mixed networks are built for each run, not kept", "[network]") {
  test::temp_dir dir;
  const scenario mixed = test::load_text(
      dir, test::small_scenario(500, 2, "network: {type: well_mixed, contacts_per_step: 3}\n"));
  const auto m = make_arm(mixed);
  build_cache cache(4);
  CHECK(cache.network_for(m.s, m.people, {mixed.seed, 0})->well_mixed);
  CHECK(cache.networks_kept() == 0);
}

TEST_CASE("runs sharing networks give the results of runs building their own", "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(4000, 6));
  scenario louder = base;
  louder.touchpoints[0].quality_mean += 0.2;
  const std::vector<scenario> arms{base, louder};
  analysis::runner_options ro;
  ro.replications = 3;
  ro.concurrent = 2;
  const auto shared = analysis::run_arms(arms, ro);
  for (std::size_t a = 0; a < arms.size(); ++a)
    for (std::uint32_t r = 0; r < ro.replications; ++r) {
      run_options alone;
      alone.replication = r;
      CHECK(test::identical(shared[a][r], run_replication(arms[a], alone)));
    }
  // Through the cache directly, one run after another, as one thread would.
  build_cache cache(1);
  for (std::uint32_t r = 0; r < 2; ++r)
    for (const auto& s : arms) {
      run_options with_cache;
      with_cache.replication = r;
      with_cache.shared = &cache;
      run_options alone;
      alone.replication = r;
      CHECK(test::identical(run_replication(s, with_cache), run_replication(s, alone)));
    }
  CHECK(cache.network_builds() == 2);
  CHECK(cache.population_builds() == 2);
}

TEST_CASE("sweep points that leave the network alone share one network per replication",
          "[network][sweep]") {
  test::temp_dir dir;
  test::write_file(dir / "base.yaml", test::small_scenario(3000, 4));
  test::write_file(dir / "study.yaml", R"(sweep: 1
scenario: base.yaml
replications: 2
design: {type: grid}
parameters:
  - {path: network.mean_degree, values: [6, 10]}
  - {path: word_of_mouth.talk_scale, values: [0.05, 0.2, 0.4]}
)");
  const auto spec = analysis::load_sweep((dir / "study.yaml").string());
  std::vector<std::vector<override_spec>> points;
  for (const auto& p : analysis::make_design(spec))
    points.push_back(analysis::point_overrides(spec, p));
  REQUIRE(points.size() == 6);

  // Room for the networks of two points: two runs in flight never force one out early.
  build_cache cache(4);
  analysis::point_run_options ro;
  ro.replications = 2;
  ro.threads = 2;
  ro.shared = &cache;
  std::vector<run_result> runs(points.size() * 2);
  analysis::run_points(spec, points, ro,
                       [&](std::size_t point, std::uint32_t replication, const run_result& run) {
                         runs[point * 2 + replication] = run;
                       });
  // Two mean degrees times two replications; the talk scale leaves the network alone, and
  // neither changes the customers.
  CHECK(cache.network_builds() == 4);
  CHECK(cache.population_builds() == 2);
  for (std::size_t point = 0; point < points.size(); ++point)
    for (std::uint32_t r = 0; r < 2; ++r) {
      run_options alone;
      alone.replication = r;
      const auto s = analysis::load_point(spec, points[point], {});
      CHECK(test::identical(runs[point * 2 + r], run_replication(s, alone)));
    }
}
