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
#include "cesim/network/network_cache.hpp"
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

  network_cache cache(2);
  const auto a = make_arm(base);
  const auto b = make_arm(better_store);
  const auto first = cache.get(a.s, a.people, {a.s.seed, 0});
  const auto second = cache.get(b.s, b.people, {b.s.seed, 0});
  CHECK(first == second);
  CHECK(cache.builds() == 1);
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
      const auto net = cache.get(c.s, c.people, {c.s.seed, 0});
      CHECK(net != first);
      CHECK(same_network(*net, build_network(c.s, c.people, {c.s.seed, 0})));
    }
    // The same scenario in another replication: other customers, other ties.
    const auto later = make_arm(base, 1);
    CHECK(cache.get(later.s, later.people, {later.s.seed, 1}) != first);
    // Another persona mix with the same network section: other customers, other weights.
    scenario mix = base;
    std::swap(mix.segments[0].persona_index, mix.segments[1].persona_index);
    std::swap(mix.segments[0].persona_weight, mix.segments[1].persona_weight);
    const auto m = make_arm(mix);
    CHECK(cache.get(m.s, m.people, {m.s.seed, 0}) != first);
    CHECK(cache.builds() == 7);
  }
}

TEST_CASE("a full network cache lets go of what no run holds first, then the oldest", "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(2000, 4));
  const auto r0 = make_arm(base, 0);
  const auto r1 = make_arm(base, 1);
  const auto r2 = make_arm(base, 2);
  network_cache cache(2);
  CHECK(cache.capacity() == 2);
  std::weak_ptr<const social_network> watch;
  {
    const auto held = cache.get(r0.s, r0.people, {base.seed, 0});
    watch = held;
  }
  // Nobody holds replication 0's network now, but a run may still ask for it: it stays.
  CHECK(cache.size() == 1);
  CHECK(!watch.expired());
  CHECK(cache.get(r0.s, r0.people, {base.seed, 0}) == watch.lock());
  CHECK(cache.builds() == 1);
  // Room is left: a miss keeps the unheld network too (a sweep comes back to it at its next
  // point).
  const auto one = cache.get(r1.s, r1.people, {base.seed, 1});
  CHECK(cache.size() == 2);
  CHECK(!watch.expired());
  // Full: the unheld network goes, although replication 1's is older in use.
  const auto two = cache.get(r2.s, r2.people, {base.seed, 2});
  CHECK(watch.expired());
  CHECK(cache.size() == 2);
  // Full and every network held: the least recently asked for (replication 1) leaves the cache
  // but stays with the run holding it.
  const auto zero = cache.get(r0.s, r0.people, {base.seed, 0});
  CHECK(cache.size() == 2);
  CHECK(cache.builds() == 4);
  CHECK(cache.get(r2.s, r2.people, {base.seed, 2}) == two);
  CHECK(cache.builds() == 4);
  CHECK(one->agents == 2000);
  CHECK(cache.get(r1.s, r1.people, {base.seed, 1}) != one);
  CHECK(cache.builds() == 5);
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
  network_cache cache(4, largest + largest / 2);
  std::weak_ptr<const social_network> first = cache.get(r0.s, r0.people, {base.seed, 0});
  std::weak_ptr<const social_network> second = cache.get(r1.s, r1.people, {base.seed, 1});
  CHECK(cache.unheld_bytes_now() == bytes0 + bytes1);  // over budget until the next miss
  // At the next miss the oldest unheld network goes, until the rest fit.
  const auto third = cache.get(r2.s, r2.people, {base.seed, 2});
  CHECK(first.expired());
  CHECK_FALSE(second.expired());
  CHECK(cache.unheld_bytes_now() == bytes1);
  // Held networks count against nothing and stay: evicting them would free no memory.
  const auto fourth = cache.get(r3.s, r3.people, {base.seed, 3});
  CHECK(cache.size() == 3);
  CHECK(cache.get(r2.s, r2.people, {base.seed, 2}) == third);
  CHECK(cache.builds() == 4);
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
  network_cache cache(8);
  std::weak_ptr<const social_network> previous_point = cache.get(a.s, a.people, {base.seed, 0});
  auto kept = cache.get(other_replication.s, other_replication.people, {base.seed, 1});
  // The next sweep point changes the network: replication 0's old network goes, though there
  // is room; replication 1's stays until its own next point.
  const auto next_point = cache.get(b.s, b.people, {base.seed, 0});
  CHECK(previous_point.expired());
  CHECK(cache.size() == 2);
  // A network some run still holds stays.
  const auto c = make_arm(reseeded, 0);
  const auto reseeded_net = cache.get(c.s, c.people, {reseeded.seed, 0});
  CHECK(cache.size() == 3);
  CHECK(cache.get(b.s, b.people, {base.seed, 0}) == next_point);
  CHECK(cache.builds() == 4);
  // Unheld networks of another seed go at a miss, whatever their replication.
  const std::weak_ptr<const social_network> replication1 = kept;
  kept.reset();
  const auto d = make_arm(reseeded, 2);
  const auto reseeded2 = cache.get(d.s, d.people, {reseeded.seed, 2});
  CHECK(replication1.expired());
  CHECK_FALSE(reseeded_net == nullptr);
}

TEST_CASE("runs asking at once for a network being built get that one build", "[network]") {
  test::temp_dir dir;
  const scenario base = test::load_text(dir, test::small_scenario(20000, 4));
  const auto r0 = make_arm(base, 0);
  network_cache cache(1);
  // Two threads released together ask while the first build (some milliseconds) runs: before
  // builds were shared, both built.
  constexpr std::size_t askers = 2;
  std::vector<std::shared_ptr<const social_network>> got(askers);
  std::latch start(askers);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < askers; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      got[i] = cache.get(r0.s, r0.people, {base.seed, 0});
    });
  for (auto& t : threads) t.join();
  CHECK(cache.builds() == 1);
  CHECK(got[0] == got[1]);
  CHECK(same_network(*got.front(), build_network(base, r0.people, {base.seed, 0})));
}

TEST_CASE("edge-list and well-mixed networks are built for each run, not kept", "[network]") {
  test::temp_dir dir;
  const scenario mixed = test::load_text(
      dir, test::small_scenario(500, 2, "network: {type: well_mixed, contacts_per_step: 3}\n"));
  const auto m = make_arm(mixed);
  network_cache cache(4);
  CHECK(cache.get(m.s, m.people, {mixed.seed, 0})->well_mixed);
  CHECK(cache.size() == 0);
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
  network_cache cache(1);
  for (std::uint32_t r = 0; r < 2; ++r)
    for (const auto& s : arms) {
      run_options with_cache;
      with_cache.replication = r;
      with_cache.networks = &cache;
      run_options alone;
      alone.replication = r;
      CHECK(test::identical(run_replication(s, with_cache), run_replication(s, alone)));
    }
  CHECK(cache.builds() == 2);
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
  network_cache cache(4);
  analysis::point_run_options ro;
  ro.replications = 2;
  ro.threads = 2;
  ro.networks = &cache;
  std::vector<run_result> runs(points.size() * 2);
  analysis::run_points(spec, points, ro,
                       [&](std::size_t point, std::uint32_t replication, const run_result& run) {
                         runs[point * 2 + replication] = run;
                       });
  // Two mean degrees times two replications; the talk scale leaves the network alone.
  CHECK(cache.builds() == 4);
  for (std::size_t point = 0; point < points.size(); ++point)
    for (std::uint32_t r = 0; r < 2; ++r) {
      run_options alone;
      alone.replication = r;
      const auto s = analysis::load_point(spec, points[point], {});
      CHECK(test::identical(runs[point * 2 + r], run_replication(s, alone)));
    }
}
