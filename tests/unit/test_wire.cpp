#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cesim/analysis/runner.hpp"
#include "cesim/analysis/wire.hpp"
#include "cesim/error.hpp"
#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;
using analysis::scenario_recipe;

namespace {

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i], b[i])) return false;
  return true;
}

// The plain tallies hold only 8-byte numbers, so comparing their bytes compares every field
// (and every field added later) bit for bit.
static_assert(sizeof(segment_tally) == 29 * 8);
static_assert(sizeof(touchpoint_tally) == 5 * 8);

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

bool same(const campaign_tally& a, const campaign_tally& b) {
  return a.invited == b.invited && a.participants == b.participants &&
         a.new_participants == b.new_participants && a.observers == b.observers &&
         a.acted_on == b.acted_on && a.ignored == b.ignored &&
         a.stories_positive == b.stories_positive && a.stories_negative == b.stories_negative &&
         a.referral_conversions == b.referral_conversions && same_bits(a.cost, b.cost) &&
         a.votes == b.votes && a.participants_by_segment == b.participants_by_segment;
}

bool same(const segment_summary& a, const segment_summary& b) {
  return a.segment == b.segment && same_bits(a.population, b.population) &&
         same_bits(a.customers_start, b.customers_start) &&
         same_bits(a.customers_end, b.customers_end) && same_bits(a.aware_share, b.aware_share) &&
         same_bits(a.retention, b.retention) && same_bits(a.satisfaction, b.satisfaction) &&
         same_bits(a.trust, b.trust) && same_bits(a.empowerment, b.empowerment) &&
         same_bits(a.loyalty, b.loyalty) && same_bits(a.nps, b.nps) &&
         same_bits(a.acquisitions, b.acquisitions) &&
         same_bits(a.referred_acquisitions, b.referred_acquisitions) &&
         same_bits(a.churned, b.churned) && same_bits(a.revenue, b.revenue) &&
         same_bits(a.revenue_discounted, b.revenue_discounted) && same_bits(a.clv, b.clv) &&
         same_bits(a.customer_equity, b.customer_equity) &&
         same_bits(a.wom_positive, b.wom_positive) && same_bits(a.wom_negative, b.wom_negative) &&
         same_bits(a.wom_reach, b.wom_reach) && same_bits(a.touchpoint_cost, b.touchpoint_cost);
}

template <class T>
bool all_same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

/// Every member of two results equal, doubles bit for bit; one CHECK per member names it.
void check_identical(const run_result& a, const run_result& b) {
  CHECK(a.replication == b.replication);
  CHECK(a.seed == b.seed);
  CHECK(a.steps == b.steps);
  CHECK(a.segment_names == b.segment_names);
  CHECK(a.touchpoint_names == b.touchpoint_names);
  CHECK(same_bytes(a.series, b.series));
  CHECK(same_bytes(a.touchpoint_series, b.touchpoint_series));
  CHECK(same_bits(a.public_rating, b.public_rating));
  CHECK(a.origin_names == b.origin_names);
  CHECK(a.origin_series == b.origin_series);
  CHECK(a.hop_histogram == b.hop_histogram);
  CHECK(a.campaign_names == b.campaign_names);
  CHECK(all_same(a.campaign_series, b.campaign_series));
  CHECK(a.campaign_unique_participants == b.campaign_unique_participants);
  CHECK(a.vote_winner == b.vote_winner);
  CHECK(a.jury_overruled == b.jury_overruled);
  CHECK(a.network_edges == b.network_edges);
  CHECK(same_bits(a.network_mean_degree, b.network_mean_degree));
  CHECK(all_same(a.summary, b.summary));
  CHECK(same_bits(a.horizon_discount, b.horizon_discount));
  CHECK(same_bits(a.wall_seconds, b.wall_seconds));
}

void check_recipes_equal(const scenario_recipe& a, const scenario_recipe& b) {
  CHECK(a.file == b.file);
  REQUIRE(a.options.overrides.size() == b.options.overrides.size());
  for (std::size_t i = 0; i < a.options.overrides.size(); ++i) {
    CHECK(a.options.overrides[i].path == b.options.overrides[i].path);
    CHECK(a.options.overrides[i].value == b.options.overrides[i].value);
    CHECK(a.options.overrides[i].origin == b.options.overrides[i].origin);
  }
  CHECK(a.options.persona_dirs == b.options.persona_dirs);
  REQUIRE(a.inputs.size() == b.inputs.size());
  for (std::size_t i = 0; i < a.inputs.size(); ++i) {
    CHECK(a.inputs[i].path == b.inputs[i].path);
    CHECK(a.inputs[i].sha256 == b.inputs[i].sha256);
    CHECK(a.inputs[i].role == b.inputs[i].role);
  }
}

/// The burger contest, small and short, with a vote beside the contest so that vote counts,
/// vote winners and the jury's verdict all carry data.
scenario_recipe small_burger_recipe() {
  scenario_recipe r;
  r.file = (test::source_dir() / "scenarios" / "burger_contest.yaml").string();
  r.options.overrides = {
      {"population", "3000", "test"},
      {"time.horizon", "10", "test"},
      {"campaigns",
       "[{name: burger_contest, type: co_creation_contest, channel: web, start: 2, end: 5, "
       "jury_agreement: 0, feature: {steps: 3, channel: store, reach: 0.4}}, "
       "{name: poll, type: vote, channel: web, start: 2, end: 6, options: 3, invite_reach: 0.6}]",
       "test"}};
  return r;
}

const run_result& simulated() {
  static const run_result result = [] {
    const scenario_recipe recipe = small_burger_recipe();
    run_options o;
    o.replication = 3;
    return run_replication(io::load_scenario(recipe.file, recipe.options), o);
  }();
  return result;
}

/// A result with every vector empty except `jury_overruled`: its offsets are known.
run_result flags_only() {
  run_result r;
  r.jury_overruled = {true, false, true};
  return r;
}
// header 16, replication + seed + steps 20, twelve empty vectors before jury_overruled 96
constexpr std::size_t flags_count_offset = 16 + 20 + 12 * 8;

void patch_u64(std::string& bytes, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>(v >> (8 * i));
}

/// Cuts a message to `n` bytes and makes its header announce exactly those, so decoding gets
/// past the header check and must notice the missing bytes inside the payload.
std::string cut_with_consistent_header(const std::string& bytes, std::size_t n) {
  std::string cut = bytes.substr(0, n);
  patch_u64(cut, 8, n - 16);
  return cut;
}

}  // namespace

TEST_CASE("a simulated run result survives the wire bit for bit", "[wire]") {
  const run_result& r = simulated();
  REQUIRE(r.steps == 10);
  REQUIRE(r.series.size() == 11 * r.segment_names.size());
  REQUIRE(r.campaign_names.size() == 2);
  REQUIRE(r.campaign_series.size() == 20);
  REQUIRE(r.vote_winner.size() == 2);
  REQUIRE(r.jury_overruled.size() == 2);
  bool votes = false, participants = false;
  for (const auto& t : r.campaign_series) {
    for (const auto v : t.votes) votes = votes || v > 0;
    for (const auto p : t.participants_by_segment) participants = participants || p > 0;
  }
  CHECK(votes);
  CHECK(participants);
  CHECK(r.summary.back().segment == "total");
  CHECK(r.wall_seconds > 0);

  const std::string bytes = analysis::encode(r);
  const run_result back = analysis::decode_run_result(bytes);
  check_identical(r, back);
  CHECK(test::identical(r, back));
  CHECK(analysis::encode(back) == bytes);
}

TEST_CASE("edge values survive the wire: NaN payloads and signed zeros and extreme integers",
          "[wire]") {
  run_result r;
  const double nan_with_payload = std::bit_cast<double>(std::uint64_t{0x7ff8dead'beef0001});
  r.replication = std::numeric_limits<std::uint64_t>::max();
  r.seed = 0x0123'4567'89ab'cdef;
  r.steps = std::numeric_limits<std::uint32_t>::max();
  r.segment_names = {"", std::string("nul\0inside", 10), "\xc3\xa4\xff"};
  r.series.resize(2);
  r.series[0].satisfaction_sum = nan_with_payload;
  r.series[1].revenue = -0.0;
  r.series[1].customers = std::numeric_limits<std::uint64_t>::max();
  r.touchpoint_series.resize(1);
  r.touchpoint_series[0].cost = std::numeric_limits<double>::denorm_min();
  r.public_rating = {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::max(),
                     not_available};
  r.origin_series = {1, 2, 3};
  r.campaign_series.resize(2);
  r.campaign_series[1].votes = {0, 7, std::numeric_limits<std::uint64_t>::max()};
  r.campaign_series[1].participants_by_segment = {5};
  r.campaign_series[1].cost = nan_with_payload;
  r.vote_winner = {-1, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), 0};
  r.jury_overruled = {true, false, true, true, false, false, false, true, true};
  r.network_mean_degree = -std::numeric_limits<double>::infinity();
  r.summary.resize(2);
  r.summary[0].segment = "regulars";
  r.summary[0].clv = nan_with_payload;
  r.summary[1].segment = "total";
  r.summary[1].touchpoint_cost = 1e308;
  r.horizon_discount = 0.5;
  r.wall_seconds = 1.0 / 3.0;

  const std::string bytes = analysis::encode(r);
  const run_result back = analysis::decode_run_result(bytes);
  check_identical(r, back);
  CHECK(std::bit_cast<std::uint64_t>(back.series[0].satisfaction_sum) == 0x7ff8dead'beef0001);
  CHECK(analysis::encode(back) == bytes);

  // A default result (every vector empty) too.
  check_identical(run_result{}, analysis::decode_run_result(analysis::encode(run_result{})));
}

TEST_CASE("a scenario recipe with overrides and persona folders survives the wire", "[wire]") {
  scenario_recipe r = small_burger_recipe();
  r.options.overrides.push_back({"touchpoints.store.quality.mean", "0.8", "variant better_store"});
  r.options.overrides.push_back({"segments", "[]", ""});
  r.options.persona_dirs = {"/tmp/personas", "", "relative/dir with spaces"};
  r.inputs = {{"scenarios/burger_contest.yaml", std::string(64, 'a'), "scenario"},
              {"personas/x.yaml", "", "persona"}};
  const std::string bytes = analysis::encode(r);
  const scenario_recipe back = analysis::decode_recipe(bytes);
  check_recipes_equal(r, back);
  CHECK(analysis::encode(back) == bytes);

  const scenario_recipe empty = analysis::decode_recipe(analysis::encode(scenario_recipe{}));
  check_recipes_equal(scenario_recipe{}, empty);

  // What the recipe is for: the same scenario loaded again gives the same run.
  const scenario_recipe burger = analysis::decode_recipe(analysis::encode(small_burger_recipe()));
  run_options o;
  o.replication = 3;
  CHECK(test::identical(run_replication(io::load_scenario(burger.file, burger.options), o),
                        simulated()));
}

TEST_CASE("a worker refuses a recipe whose input files changed since the coordinator loaded them",
          "[wire]") {
  scenario_recipe recipe = small_burger_recipe();
  const scenario loaded = io::load_scenario(recipe.file, recipe.options);
  REQUIRE(!loaded.inputs.empty());
  recipe.inputs = loaded.inputs;
  analysis::job_description job{recipe, 3, false};
  analysis::worker_cache cache;
  CHECK(test::identical(analysis::run_described(job, cache), simulated()));

  // The coordinator saw another version of the scenario file than this process now reads.
  job.recipe.inputs.front().sha256 = std::string(64, '0');
  cache.scenarios.clear();
  try {
    (void)analysis::run_described(job, cache);
    FAIL("an edited input ran");
  } catch (const input_error& e) {
    CHECK_THAT(e.what(), Catch::Contains(loaded.inputs.front().path));
    CHECK_THAT(e.what(), Catch::Contains("changed since the command started (sha256 " +
                                         loaded.inputs.front().sha256.substr(0, 12) +
                                         " now, 000000000000 then)"));
  }
  CHECK(cache.scenarios.empty());  // nothing of the changed file is kept for the next job

  // A file the coordinator did not record (the sweep file, say) is not checked.
  job.recipe.inputs.erase(job.recipe.inputs.begin());
  CHECK_NOTHROW(analysis::run_described(job, cache));
}

TEST_CASE(
    "a worker keeps the scenarios of recent recipes and shares a replication's customers and "
    "network",
    "[wire]") {
  // compare hands a worker the arms of one replication in turn: baseline, variant, baseline.
  const scenario_recipe baseline = small_burger_recipe();
  scenario_recipe without_poll = baseline;
  without_poll.options.overrides.push_back({"campaigns", "[]", "test"});
  analysis::worker_cache cache;
  const auto run = [&](const scenario_recipe& r, std::uint32_t replication) {
    return analysis::run_described(analysis::job_description{r, replication, false}, cache);
  };
  CHECK(test::identical(run(baseline, 3), simulated()));
  const run_result variant = run(without_poll, 3);
  CHECK(variant.campaign_names.empty());
  CHECK(test::identical(run(baseline, 3), simulated()));
  CHECK(cache.scenarios.size() == 2);
  REQUIRE(cache.builds.has_value());
  CHECK(cache.builds->network_builds() == 1);
  CHECK(cache.builds->population_builds() == 1);
  run_options alone;
  alone.replication = 3;
  CHECK(test::identical(
      variant, run_replication(io::load_scenario(without_poll.file, without_poll.options), alone)));
  // The next replication makes its own; the previous one's stay for its later jobs (several
  // workers take jobs of several replications in turn). Only the newest recipes stay.
  (void)run(baseline, 4);
  CHECK(cache.builds->network_builds() == 2);
  CHECK(cache.builds->population_builds() == 2);
  CHECK(test::identical(run(without_poll, 3), variant));
  CHECK(cache.builds->network_builds() == 2);
  CHECK(cache.builds->population_builds() == 2);
  for (int extra = 0; extra < 10; ++extra) {
    scenario_recipe other = baseline;
    other.options.overrides.push_back({"seed", std::to_string(100 + extra), "test"});
    (void)run(other, 0);
  }
  CHECK(cache.scenarios.size() == analysis::worker_cache::scenarios_kept);
}

TEST_CASE("every truncation of a wire message is refused", "[wire]") {
  const std::string result = analysis::encode(simulated());
  const std::string recipe = analysis::encode(small_burger_recipe());
  for (std::size_t n = 0; n < result.size(); ++n) {
    INFO("prefix of " << n << " of " << result.size() << " bytes");
    CHECK_THROWS_WITH(analysis::decode_run_result(std::string_view(result).substr(0, n)),
                      Catch::Contains("truncated message"));
  }
  for (std::size_t n = 0; n < recipe.size(); ++n) {
    INFO("prefix of " << n << " of " << recipe.size() << " bytes");
    CHECK_THROWS_WITH(analysis::decode_recipe(std::string_view(recipe).substr(0, n)),
                      Catch::Contains("truncated message"));
  }
  // The same cuts with a header that agrees: the payload's own lengths must catch them.
  for (std::size_t n = 16; n < result.size(); ++n) {
    INFO("payload cut to " << n << " of " << result.size() << " bytes");
    CHECK_THROWS_AS(analysis::decode_run_result(cut_with_consistent_header(result, n)),
                    std::runtime_error);
  }
  for (std::size_t n = 16; n < recipe.size(); ++n) {
    INFO("payload cut to " << n << " of " << recipe.size() << " bytes");
    CHECK_THROWS_AS(analysis::decode_recipe(cut_with_consistent_header(recipe, n)),
                    std::runtime_error);
  }
}

TEST_CASE("wire messages of the wrong kind or with a foreign header are refused", "[wire]") {
  const std::string result = analysis::encode(flags_only());
  const std::string recipe = analysis::encode(small_burger_recipe());
  CHECK_THROWS_WITH(analysis::decode_run_result(recipe),
                    Catch::Contains("expected a run result, got a scenario recipe"));
  CHECK_THROWS_WITH(analysis::decode_recipe(result),
                    Catch::Contains("expected a scenario recipe, got a run result"));
  CHECK_THROWS_WITH(analysis::decode_run_result("population: 3000\ntime: {horizon: 10}\n"),
                    Catch::Contains("not a cesim wire message"));

  std::string bad_version = result;
  bad_version[4] = 1;  // the version before recipes carried their inputs' hashes
  CHECK_THROWS_WITH(analysis::decode_run_result(bad_version), Catch::Contains("version 1"));
  std::string bad_kind = result;
  bad_kind[6] = 9;
  CHECK_THROWS_WITH(analysis::decode_run_result(bad_kind), Catch::Contains("unknown kind 9"));
  CHECK_THROWS_WITH(analysis::decode_run_result(result + "x"),
                    Catch::Contains("not a cesim wire message"));
  // Extra bytes that the header accounts for are left unread by the payload.
  std::string padded = result + "x";
  patch_u64(padded, 8, padded.size() - 16);
  CHECK_THROWS_WITH(analysis::decode_run_result(padded), Catch::Contains("unread"));
}

TEST_CASE("absurd lengths and flag bytes in a wire message are refused before allocating",
          "[wire]") {
  const std::string result = analysis::encode(flags_only());
  REQUIRE(analysis::decode_run_result(result).jury_overruled == flags_only().jury_overruled);
  // length_error or bad_alloc (not runtime_error) would mean it tried to allocate first.
  for (const std::uint64_t huge :
       {std::numeric_limits<std::uint64_t>::max(), std::uint64_t{1} << 62, std::uint64_t{4}}) {
    INFO("flag count " << huge);
    std::string patched = result;
    patch_u64(patched, flags_count_offset, huge);
    CHECK_THROWS_AS(analysis::decode_run_result(patched), std::runtime_error);
  }
  for (const std::size_t vector_at : {std::size_t{36}, std::size_t{36 + 16}}) {
    INFO("count at offset " << vector_at);
    std::string patched = result;
    patch_u64(patched, vector_at, std::uint64_t{1} << 40);
    CHECK_THROWS_WITH(analysis::decode_run_result(patched), Catch::Contains("cannot fit"));
  }
  std::string bad_flag = result;
  bad_flag[flags_count_offset + 8 + 1] = 2;
  CHECK_THROWS_WITH(analysis::decode_run_result(bad_flag), Catch::Contains("flag byte 2"));

  std::string recipe = analysis::encode(small_burger_recipe());
  patch_u64(recipe, 16, std::numeric_limits<std::uint64_t>::max());
  CHECK_THROWS_WITH(analysis::decode_recipe(recipe), Catch::Contains("cannot fit"));
}
