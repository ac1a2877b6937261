#include <tbb/task_arena.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <set>

#include "cesim/analysis/output_directory.hpp"
#include "cesim/analysis/statistics.hpp"
#include "cesim/mechanisms/exposure_gates.hpp"
#include "cesim/mechanisms/loyalty.hpp"
#include "cesim/rng/philox.hpp"
#include "cesim/util/bucket_sort.hpp"
#include "cesim/util/logistic_gate.hpp"
#include "cesim/util/math.hpp"
#include "cesim/util/sha256.hpp"
#include "test_support.hpp"

using namespace cesim;

TEST_CASE("counter streams are pure functions of key and counter", "[rng]") {
  rng::counter_stream a(rng::key{1, 2}, 3, 4, rng::stream::touchpoint, 5);
  rng::counter_stream b(rng::key{1, 2}, 3, 4, rng::stream::touchpoint, 5);
  std::vector<std::uint64_t> first, second;
  for (int i = 0; i < 9; ++i) {
    first.push_back(a.next_u64());
    second.push_back(b.next_u64());
  }
  CHECK(first == second);
  CHECK(std::set<std::uint64_t>(first.begin(), first.end()).size() == first.size());
  // Any change of key or counter gives other numbers.
  CHECK(rng::counter_stream(rng::key{1, 3}, 3, 4, rng::stream::touchpoint, 5).next_u64() !=
        first[0]);
  CHECK(rng::counter_stream(rng::key{1, 2}, 4, 4, rng::stream::touchpoint, 5).next_u64() !=
        first[0]);
  CHECK(rng::counter_stream(rng::key{1, 2}, 3, 5, rng::stream::touchpoint, 5).next_u64() !=
        first[0]);
  CHECK(rng::counter_stream(rng::key{1, 2}, 3, 4, rng::stream::market, 5).next_u64() != first[0]);
  CHECK(rng::counter_stream(rng::key{1, 2}, 3, 4, rng::stream::touchpoint, 6).next_u64() !=
        first[0]);
}

TEST_CASE("uniforms are strictly inside (0, 1) and uniform", "[rng]") {
  CHECK(rng::counter_stream::to_open_unit(0) > 0.0);
  CHECK(rng::counter_stream::to_open_unit(~std::uint64_t{0}) < 1.0);
  CHECK(std::isfinite(normal_quantile(rng::counter_stream::to_open_unit(~std::uint64_t{0}))));
  CHECK(std::isfinite(normal_quantile(rng::counter_stream::to_open_unit(0))));
  constexpr int n = 400000;
  double sum = 0;
  int below_tenth = 0;
  for (int i = 0; i < n; ++i) {
    rng::counter_stream s(rng::key{42, 0}, static_cast<std::uint64_t>(i), 0, rng::stream::market);
    const double u = s.uniform();
    sum += u;
    below_tenth += u < 0.1;
  }
  CHECK(sum / n == Approx(0.5).margin(5 * 0.2887 / std::sqrt(double(n))));
  CHECK(below_tenth / double(n) == Approx(0.1).margin(5 * 0.3 / std::sqrt(double(n))));
}

TEST_CASE("gate draws give each agent its own uniform whatever the order of access", "[rng]") {
  const rng::key k{7, 1};
  // In order, as a block of agents reads them.
  rng::gate_draws in_order(k, 3, rng::stream::touchpoint, 11);
  std::vector<double> sequential;
  for (std::uint32_t i = 0; i < 64; ++i) sequential.push_back(in_order.uniform(i));
  // Backwards and one fresh gate per agent, as another partition or a lone agent would.
  rng::gate_draws backwards(k, 3, rng::stream::touchpoint, 11);
  for (std::uint32_t i = 64; i-- > 0;) CHECK(backwards.uniform(i) == sequential[i]);
  for (std::uint32_t i = 0; i < 64; i += 5)
    CHECK(rng::gate_draws(k, 3, rng::stream::touchpoint, 11).uniform(i) == sequential[i]);
  // The eight lanes of a block, and neighbouring blocks, are different numbers.
  CHECK(std::set<double>(sequential.begin(), sequential.end()).size() == sequential.size());
  // Step, stream, tag, slot and key each give other numbers.
  const double first = sequential[0];
  CHECK(rng::gate_draws(k, 4, rng::stream::touchpoint, 11).uniform(0) != first);
  CHECK(rng::gate_draws(k, 3, rng::stream::market, 11).uniform(0) != first);
  CHECK(rng::gate_draws(k, 3, rng::stream::touchpoint, 12).uniform(0) != first);
  CHECK(rng::gate_draws(k, 3, rng::stream::touchpoint, 11, 1).uniform(0) != first);
  CHECK(rng::gate_draws(rng::key{7, 2}, 3, rng::stream::touchpoint, 11).uniform(0) != first);
  // Not the numbers of the counter stream with the same words (group 0 = entity 0).
  rng::counter_stream same_words(k, 0, 3, rng::stream::touchpoint, 11);
  const auto raw = same_words.next_u64();
  CHECK(static_cast<std::uint32_t>(raw) != static_cast<std::uint32_t>((first * 0x1p32) - 0.5));
}

TEST_CASE("batched Philox blocks are Random123's, with every kernel and count", "[rng]") {
  const r123::Philox4x64 philox;
  std::vector<rng::batch_kernel> kernels{rng::batch_kernel::best, rng::batch_kernel::scalar};
  if (rng::batch_kernel_available(rng::batch_kernel::avx512))
    kernels.push_back(rng::batch_kernel::avx512);
  else
    WARN("no AVX-512 F and DQ on this machine: only the scalar kernel is checked");
  rng::counter_stream words(rng::key{99, 0}, 0, 0, rng::stream::network);
  for (int trial = 0; trial < 40; ++trial) {
    // Random keys and counters, and a first word near 2^64 so that the lanes wrap around.
    const rng::key k{words.next_u64(), words.next_u64()};
    std::array<std::uint64_t, 4> first{words.next_u64(), words.next_u64(), words.next_u64(),
                                       words.next_u64()};
    if (trial % 4 == 0) first[0] = ~std::uint64_t{0} - 5;
    const std::size_t count = 1 + static_cast<std::size_t>(trial) % rng::block_batch::capacity;
    for (const auto kernel : kernels) {
      rng::block_batch batch{};
      rng::compute_batch(k, first, count, batch, kernel);
      for (std::size_t n = 0; n < count; ++n) {
        const r123::Philox4x64::ctr_type ctr{{first[0] + n, first[1], first[2], first[3]}};
        const auto block = philox(ctr, {{k.seed, k.replication}});
        for (std::size_t w = 0; w < 4; ++w) {
          INFO("trial " << trial << ", kernel " << static_cast<int>(kernel) << ", block " << n
                        << ", word " << w);
          REQUIRE(batch.words[w][n] == block.v[w]);
        }
      }
    }
  }
}

TEST_CASE("bucket sort gives the sorted order, with ties and skewed keys", "[sort]") {
  rng::counter_stream draws(rng::key{11, 0}, 0, 0, rng::stream::network);
  // Sizes below and above the size where it hands over to std::sort, and past 2^20 where the
  // buckets reach their limit of 2^16; keys over all 64 bits, over 20 bits (agent ids: most
  // leading bits zero), and from 50 values (many ties); 1, 2 and 3 workers.
  for (const std::size_t n :
       std::initializer_list<std::size_t>{0, 1, 100, 16383, 16384, 70000, 300000, 1100000}) {
    for (const int key_bits : {64, 20, 0}) {
      std::vector<std::pair<std::uint64_t, std::uint32_t>> pairs(n);
      std::vector<std::uint64_t> values(n);
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint64_t x = draws.next_u64();
        const std::uint64_t key = key_bits == 64 ? x : key_bits == 20 ? x >> 44 : x % 50;
        // Payload in reverse input order, so that ties are not already in payload order.
        pairs[k] = {key, static_cast<std::uint32_t>(n - k)};
        values[k] = key << 20 | (k & 0xfffff);
      }
      auto sorted_pairs = pairs;
      std::sort(sorted_pairs.begin(), sorted_pairs.end());
      auto sorted_values = values;
      std::sort(sorted_values.begin(), sorted_values.end());
      for (const int workers : {1, 2, 3}) {
        INFO("n " << n << ", key bits " << key_bits << ", workers " << workers);
        auto sorting_pairs = pairs;
        auto sorting_values = values;
        tbb::task_arena arena(workers);
        arena.execute([&] {
          std::vector<std::pair<std::uint64_t, std::uint32_t>> pair_scratch;
          bucket_sort(sorting_pairs, pair_scratch, [](const auto& p) { return p.first; });
          std::vector<std::uint64_t> value_scratch;
          bucket_sort(sorting_values, value_scratch, [](std::uint64_t v) { return v; });
        });
        REQUIRE(sorting_pairs == sorted_pairs);
        REQUIRE(sorting_values == sorted_values);
      }
    }
  }
}

TEST_CASE("exposure decisions list every met gate in agent and touchpoint order, per kernel",
          "[touchpoints]") {
  using mechanisms::exposure_kernel;
  std::vector<exposure_kernel> kernels{exposure_kernel::best, exposure_kernel::scalar};
  if (mechanisms::exposure_kernel_available(exposure_kernel::avx512))
    kernels.push_back(exposure_kernel::avx512);
  else
    WARN("no AVX-512 F on this machine: only the scalar kernel is checked");
  rng::counter_stream draws(rng::key{7, 1}, 0, 0, rng::stream::network);
  constexpr std::uint32_t rows = 5;
  // Counts around the vector width (8) and past the vector kernel's 32, where it hands over.
  for (const std::size_t open :
       std::initializer_list<std::size_t>{1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40}) {
    for (std::uint32_t lanes = 1; lanes <= mechanisms::exposure_lanes; ++lanes) {
      std::vector<std::array<std::uint32_t, mechanisms::exposure_lanes>> numbers(open);
      for (auto& group : numbers)
        for (auto& n : group) n = static_cast<std::uint32_t>(draws.next_u64());
      // Thresholds from never (0) to always (2^32), and numbers at the boundaries.
      std::vector<std::uint64_t> thresholds(rows * open);
      for (auto& t : thresholds) {
        const auto pick = draws.next_u64();
        t = pick % 5 == 0 ? 0 : pick % 5 == 1 ? std::uint64_t{1} << 32 : pick >> 31;
      }
      numbers[0][0] = 0;
      numbers[open - 1][lanes - 1] = 0xffffffffu;
      std::array<std::uint32_t, mechanisms::exposure_lanes> row_of{};
      std::array<std::uint64_t, mechanisms::exposure_lanes> bases{};
      for (std::uint32_t lane = 0; lane < lanes; ++lane) {
        row_of[lane] = static_cast<std::uint32_t>(draws.next_u64() % rows);
        // Agents up to the largest id, so that the packed words use their high bits.
        bases[lane] = (std::uint64_t{0xffffffffu - 7 + lane} << 32) | (draws.next_u64() & 1u);
      }
      std::vector<std::uint64_t> expected;
      for (std::uint32_t lane = 0; lane < lanes; ++lane)
        for (std::size_t j = 0; j < open; ++j)
          if (numbers[j][lane] < thresholds[row_of[lane] * open + j])
            expected.push_back(bases[lane] + 2 * j);
      for (const auto kernel : kernels) {
        // Guard words past the room the kernels may use: they must stay untouched.
        constexpr std::uint64_t guard = 0x5a5a5a5a5a5a5a5aull;
        const std::size_t room = lanes * open + mechanisms::exposure_slack;
        std::vector<std::uint64_t> out(room + 8, guard);
        const std::size_t written = mechanisms::decide_exposures(
            numbers, thresholds.data(), row_of.data(), bases.data(), lanes, out.data(), kernel);
        for (std::size_t g = room; g < out.size(); ++g) REQUIRE(out[g] == guard);
        out.resize(written);
        INFO("open touchpoints " << open << ", lanes " << lanes << ", kernel "
                                 << static_cast<int>(kernel));
        REQUIRE(out == expected);
      }
    }
  }
}

TEST_CASE("batched blocks of arbitrary counters are Random123's", "[rng]") {
  const r123::Philox4x64 philox;
  rng::counter_stream words(rng::key{5, 0}, 0, 0, rng::stream::network);
  // Words whose 32-bit halves are all zeros or all ones push the carries of the vector kernel's
  // 128-bit products to their limits; the others are random.
  constexpr std::array<std::uint64_t, 4> extremes{0, ~std::uint64_t{0}, 0xffffffffu,
                                                  0xffffffff00000000u};
  for (std::size_t count = 1; count <= rng::block_batch::capacity; ++count) {
    const bool extreme = count % 2 == 0;
    const auto next = [&] { return extreme ? extremes[words.next_u64() % 4] : words.next_u64(); };
    const rng::key k{next(), next()};
    rng::block_batch counters{};
    for (std::size_t n = 0; n < count; ++n)
      for (std::size_t w = 0; w < 4; ++w) counters.words[w][n] = next();
    // An unavailable AVX-512 falls back to scalar (the first batch test warns when so).
    for (const auto kernel :
         {rng::batch_kernel::best, rng::batch_kernel::scalar, rng::batch_kernel::avx512}) {
      rng::block_batch out{};
      rng::compute_blocks(k, counters, count, out, kernel);
      for (std::size_t n = 0; n < count; ++n) {
        const r123::Philox4x64::ctr_type ctr{{counters.words[0][n], counters.words[1][n],
                                              counters.words[2][n], counters.words[3][n]}};
        const auto block = philox(ctr, {{k.seed, k.replication}});
        for (std::size_t w = 0; w < 4; ++w) REQUIRE(out.words[w][n] == block.v[w]);
      }
    }
  }
}

TEST_CASE("entity draws are the counter streams of the entities, position by position", "[rng]") {
  const rng::key k{11, 3};
  std::vector<std::uint32_t> entities(300);
  for (std::uint32_t p = 0; p < entities.size(); ++p) entities[p] = (p * 7919u) % 100003u;
  // 30 draws (8 blocks, 4 positions per fill), 45 (12 blocks, 2), 129 (33 blocks: one at a time).
  for (const std::uint64_t draws : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{30},
                                    std::uint64_t{45}, std::uint64_t{128}, std::uint64_t{129}}) {
    constexpr std::uint32_t begin = 17;
    constexpr std::uint32_t end = 250;
    rng::entity_draws batched(k, entities, end, 4, rng::stream::network, 2, draws);
    // Forward with some positions skipped, then a few again, backwards and past the end.
    std::vector<std::uint32_t> positions;
    for (std::uint32_t p = begin; p < end; p += 1 + p % 3) positions.push_back(p);
    for (const std::uint32_t p : {260u, 249u, 120u, 119u, 120u, 18u}) positions.push_back(p);
    for (const std::uint32_t p : positions) {
      batched.start(p);
      rng::counter_stream alone(k, entities[p], 4, rng::stream::network, 2);
      for (std::uint64_t d = 0; d < draws; ++d) {
        INFO("draws " << draws << ", position " << p << ", draw " << d);
        REQUIRE(batched.uniform() == alone.uniform());
      }
    }
  }
}

TEST_CASE("a gate scan gives every agent its gate_draws number, whatever the order", "[rng]") {
  const rng::key k{7, 1};
  constexpr std::uint32_t begin = 4096;
  constexpr std::uint32_t end = 4096 + 1003;  // 126 groups, the last partial: 3 full batches
  rng::gate_draws single(k, 3, rng::stream::touchpoint, 11, 1);
  rng::gate_scan in_order(end, k, 3, rng::stream::touchpoint, 11, 1);
  for (std::uint32_t i = begin; i < end; ++i) REQUIRE(in_order.bits(i) == single.bits(i));
  // Groups skipped, revisited (every group twice) and past the end of the scan.
  rng::gate_scan skipping(end, k, 3, rng::stream::touchpoint, 11, 1);
  std::vector<std::uint64_t> groups;
  for (std::uint64_t group = begin / 8; group < end / 8 + 40; group += 37) {
    groups.push_back(group);
    groups.push_back(group);
  }
  CHECK(groups.back() > end / 8);
  for (const std::uint64_t group : groups) {
    const auto lanes = skipping.group_bits(group);
    for (std::uint32_t lane = 0; lane < 8; ++lane)
      REQUIRE(lanes[lane] == single.bits(static_cast<std::uint32_t>(group * 8 + lane)));
  }
  rng::gate_scan backwards(end, k, 3, rng::stream::touchpoint, 11, 1);
  for (std::uint32_t i = end + 20; i-- > begin;) REQUIRE(backwards.uniform(i) == single.uniform(i));
  // Another slot is another stream.
  CHECK(rng::gate_scan(end, k, 3, rng::stream::touchpoint, 11, 0).bits(begin) !=
        single.bits(begin));
}

TEST_CASE("gate uniforms are strictly inside (0, 1), uniform and independent", "[rng]") {
  constexpr std::uint32_t n = 400000;
  rng::gate_draws gate(rng::key{42, 0}, 5, rng::stream::market);
  rng::gate_draws other(rng::key{42, 0}, 5, rng::stream::market, 0, 1);
  double sum = 0, product = 0, low = 1, high = 0;
  std::uint32_t below_tenth = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const double u = gate.uniform(i);
    sum += u;
    product += (u - 0.5) * (other.uniform(i) - 0.5);
    below_tenth += u < 0.1;
    low = std::min(low, u);
    high = std::max(high, u);
  }
  CHECK(low > 0.0);
  CHECK(high < 1.0);
  CHECK(sum / n == Approx(0.5).margin(5 * 0.2887 / std::sqrt(double(n))));
  CHECK(below_tenth / double(n) == Approx(0.1).margin(5 * 0.3 / std::sqrt(double(n))));
  // Two slots of the same agents are uncorrelated: covariance sd is 1/12 / sqrt(n).
  CHECK(product / n == Approx(0.0).margin(5 * (1.0 / 12) / std::sqrt(double(n))));
}

TEST_CASE("gate thresholds decide exactly as the uniforms do", "[rng]") {
  // The engine compares a gate's 32-bit numbers with gate_threshold(p) instead of its uniforms
  // with p; results stay bit-identical only if both say yes for exactly the same numbers.
  const auto agrees_near_boundary = [](double p) {
    const std::uint64_t t = rng::gate_threshold(p);
    const auto uniform = [](std::uint64_t k) { return (static_cast<double>(k) + 0.5) * 0x1p-32; };
    const std::uint64_t from = t < 3 ? 0 : t - 3;
    const std::uint64_t to = std::min<std::uint64_t>(t + 3, std::uint64_t{1} << 32);
    for (std::uint64_t k = from; k < to; ++k)
      if ((k < t) != (uniform(k) < p)) return false;
    return true;
  };
  for (const double p : {0.0, -0.5, 1.0, 1.5, 0.5, 0.1, 1e-3, 1e-12, 0x1p-33, 0x1p-32, 3 * 0x1p-33,
                         1.0 - 0x1p-53, 1.0 - 0x1p-33, double{0.15f * 0.9f}, 0.04, 0.6})
    CHECK(agrees_near_boundary(p));
  rng::counter_stream random_p(rng::key{3, 0}, 0, 0, rng::stream::persona);
  for (int n = 0; n < 2000; ++n) {
    const double p = random_p.uniform();
    CHECK(agrees_near_boundary(p));
    CHECK(agrees_near_boundary(static_cast<float>(p)));  // exposure probabilities are floats
  }
  CHECK(rng::gate_threshold(0.0) == 0);
  CHECK(rng::gate_threshold(std::nan("")) == 0);
  CHECK(rng::gate_threshold(1.0) == std::uint64_t{1} << 32);
  CHECK(rng::gate_threshold(0.5) == std::uint64_t{1} << 31);
  // Gate numbers read one at a time, or eight at a time, are the same numbers.
  rng::gate_draws one(rng::key{5, 0}, 2, rng::stream::rating);
  rng::gate_draws eight(rng::key{5, 0}, 2, rng::stream::rating);
  for (std::uint32_t group = 0; group < 4; ++group) {
    const auto lanes = eight.group_bits(group);
    for (std::uint32_t lane = 0; lane < rng::gate_draws::lanes; ++lane) {
      const std::uint32_t agent = group * rng::gate_draws::lanes + lane;
      CHECK(lanes[lane] == one.bits(agent));
      CHECK(one.uniform(agent) == (lanes[lane] + 0.5) * 0x1p-32);
    }
  }
}
TEST_CASE("the logistic gate answers exactly what comparing with logistic(x) answers", "[rng]") {
  const auto& gate = logistic_gate::instance();
  const auto exact = [](std::uint32_t k, double x) {
    return (static_cast<double>(k) + 0.5) * 0x1p-32 < logistic(x);
  };
  rng::counter_stream draw(rng::key{11, 0}, 0, 0, rng::stream::market);
  std::uint64_t disagreements = 0, passed = 0;
  for (int n = 0; n < 200000; ++n) {
    const auto k = static_cast<std::uint32_t>(draw.next_u64());
    const double x = -30.0 + 60.0 * draw.uniform();
    disagreements += gate.passes(k, x) != exact(k, x);
    passed += exact(k, x);
  }
  CHECK(disagreements == 0);
  CHECK(passed > 50000);  // both answers occur often
  CHECK(passed < 150000);
  // At the boundary itself: the gate numbers around logistic(x), for x across buckets,
  // including the top and bottom ones and probabilities at the scale of weekly churn.
  for (int n = 0; n < 20000; ++n) {
    const double x = n < 10000 ? -25.0 + 50.0 * draw.uniform() : -7.0 + 2.0 * draw.uniform();
    const double centre = logistic(x) * 0x1p32;
    for (double offset = -3; offset <= 3; ++offset) {
      const double k = std::floor(centre + offset);
      if (k < 0 || k > 4294967295.0) continue;
      disagreements +=
          gate.passes(static_cast<std::uint32_t>(k), x) != exact(static_cast<std::uint32_t>(k), x);
    }
  }
  CHECK(disagreements == 0);
  // Where the table's bounds are: x at the logit of each bucket's edge numbers, where the exact
  // comparison turns on the last bits.
  for (std::uint64_t edge = std::uint64_t{1} << 20; edge < (std::uint64_t{1} << 32);
       edge += std::uint64_t{1} << 20) {
    for (const std::uint64_t k : {edge - 1, edge, edge + 1}) {
      const double u = (static_cast<double>(k) + 0.5) * 0x1p-32;
      double x = std::log(u / (1.0 - u));
      for (int step = 0; step < 6; ++step) x = std::nextafter(x, -1e300);
      for (int step = 0; step < 12; ++step, x = std::nextafter(x, 1e300))
        disagreements += gate.passes(static_cast<std::uint32_t>(k), x) !=
                         exact(static_cast<std::uint32_t>(k), x);
    }
  }
  CHECK(disagreements == 0);
  for (const std::uint32_t k : {0u, 1u, 0x7fffffffu, 0xfffff000u, 0xffffffffu}) {
    for (const double x : {-800.0, -40.0, 0.0, 40.0, 800.0, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()})
      CHECK(gate.passes(k, x) == exact(k, x));
  }
}

TEST_CASE("recommendation groups decided on the mix are those decided on the level", "[math]") {
  using mechanisms::lowest_mix_reaching;
  using mechanisms::recommend_level;
  constexpr double up = std::numeric_limits<double>::infinity();
  constexpr double down = -up;
  for (const double top : {0.05, 0.3, 0.65, 0.7, 0.77, 0.9, 1.0}) {
    for (const double level : {8.5, 6.5}) {
      const double bound = lowest_mix_reaching(level, top);
      CHECK(recommend_level(bound, top) >= level);
      CHECK(recommend_level(std::nextafter(bound, down), top) < level);
      // A grid of mixes, and the few doubles either side of the bound.
      std::size_t disagreements = 0;
      for (int k = 0; k <= 20000; ++k) {
        const double mix = k / 20000.0;
        disagreements += (mix >= bound) != (recommend_level(mix, top) >= level);
      }
      double mix = bound;
      for (int step = 0; step < 64; ++step) mix = std::nextafter(mix, down);
      for (int step = 0; step < 128; ++step, mix = std::nextafter(mix, up))
        disagreements += (mix >= bound) != (recommend_level(mix, top) >= level);
      CHECK(disagreements == 0);
    }
  }
}

TEST_CASE("normal quantile and weekly conversion", "[math]") {
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-15));
  CHECK(normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-12));
  CHECK(normal_cdf(normal_quantile(0.123)) == Approx(0.123).epsilon(1e-12));
  CHECK(weekly_to_step(0.1, 1.0) == 0.1);
  CHECK(weekly_to_step(0.1, 2.0) == Approx(0.19));
}

TEST_CASE("SHA-256 matches the FIPS 180-4 examples", "[sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("replication estimates: mean, sd and Student-t interval", "[statistics]") {
  const std::vector<double> values{1, 2, 3, 4, 5};
  const auto e = analysis::summarize(values);
  CHECK(e.n == 5);
  CHECK(e.mean == 3);
  CHECK(e.sd == Approx(std::sqrt(2.5)));
  CHECK(e.ci_high - e.mean == Approx(2.776445105 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-8));
  const std::vector<double> with_nan{1, std::nan(""), 3};
  CHECK(analysis::summarize(with_nan).n == 2);
  CHECK(std::isnan(analysis::summarize(std::vector<double>{7}).ci_low));
}

TEST_CASE("an output directory appears complete or not at all", "[output]") {
  test::temp_dir dir;
  const auto target = dir / "results";
  {
    analysis::output_directory out(target, false);
    out.write("a.txt", "hello");
    CHECK_FALSE(std::filesystem::exists(target));
  }  // not committed: nothing left behind
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator{}) == 0);
  {
    analysis::output_directory out(target, false);
    out.write("a.txt", "hello");
    out.commit();
  }
  CHECK(test::read_file(target / "a.txt") == "hello");
  CHECK_THROWS_WITH(analysis::output_directory(target, false),
                    Catch::Contains("already exists; choose another --out or pass --force"));
  {
    analysis::output_directory out(target, true);
    out.write("b.txt", "new");
    out.commit();
  }
  CHECK(std::filesystem::exists(target / "b.txt"));
  CHECK_FALSE(std::filesystem::exists(target / "a.txt"));
}
