// Problems found while fuzzing the scenario loader and the edge-list reader (docs/fuzzing.md),
// each as a readable test of the behaviour that replaced it. The raw inputs are replayed from
// tests/fuzz/regressions/ by the fuzz-replay tests.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cesim/io/scenario_loader.hpp"
#include "cesim/io/yaml_tree.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

/// The message of the first problem `load` reports, "" if it succeeds.
template <typename Load>
std::string first_problem(Load&& load) {
  try {
    load();
  } catch (const input_error& e) {
    return e.problems().front().to_string();
  }
  return "";
}

/// Anchors `levels` deep, each a list of ten aliases of the one before, over one text of
/// `text_bytes` bytes.
std::string repeated_text(std::size_t text_bytes, int levels) {
  std::string yaml = fmt::format("x-0: &a0 \"{}\"\n", std::string(text_bytes, 'A'));
  for (int level = 1; level <= levels; ++level) {
    yaml += fmt::format("x-{0}: &a{0} [", level);
    for (int k = 0; k < 10; ++k) yaml += fmt::format("{}*a{}", k == 0 ? "" : ", ", level - 1);
    yaml += "]\n";
  }
  return yaml;
}

}  // namespace

TEST_CASE("fuzz findings: a persona file that never ends is refused at the size limit",
          "[fuzz][yaml]") {
  // Found: `personas: /dev/zero` (stat size 0) made the loader read until memory ran out.
  io::yaml_limits limits;
  limits.max_file_bytes = 4096;
  CHECK(first_problem([&] { io::load_yaml_file("/dev/zero", limits); }) ==
        "/dev/zero: file is larger than the limit of 4096 bytes for YAML input");

  test::temp_dir dir;
  const std::string problem = first_problem(
      [&] { test::load_text(dir, "segments:\n  - {name: s, share: 1, personas: /dev/zero}\n"); });
  CHECK_THAT(problem, Catch::StartsWith("/dev/zero: file is larger than the limit of"));
}

TEST_CASE("fuzz findings: aliases that repeat long text are refused before memory runs out",
          "[fuzz][yaml]") {
  // Found: 1.5 KB of text behind six levels of ten aliases is a 1.7 KB file that expanded to
  // 1.5 GB while staying under the node limit.
  const std::string bomb = repeated_text(1500, 6);
  REQUIRE(bomb.size() < 2000);
  CHECK_THAT(first_problem([&] { io::parse_yaml(bomb, "t.yaml"); }),
             Catch::Contains("document expands to more than 67108864 bytes of text"));
  // The same shape over short text stays within both limits and loads.
  const io::ynode small = io::parse_yaml(repeated_text(10, 3), "t.yaml");
  CHECK(small.find("x-3")->items().size() == 10);
  CHECK(small.find("x-3")->items()[9].items()[9].items()[9].text() == std::string(10, 'A'));
}

TEST_CASE("fuzz findings: merging many large maps keeps the first value of each key",
          "[fuzz][yaml]") {
  // Found: every merged key was looked up in a list of those merged before, so 1500 aliases of
  // a 600-key map took 15 s (quadratic); a set makes it linear. The semantics are unchanged.
  std::string keys;
  for (int k = 0; k < 600; ++k) keys += fmt::format("{}k{}: {}", k == 0 ? "" : ", ", k, k);
  std::string refs = "*first";
  for (int k = 0; k < 1500; ++k) refs += ", *big";
  const std::string yaml = fmt::format(
      "x-first: &first {{k7: first, extra: 1}}\nx-big: &big {{{}}}\nmerged: {{k3: own, <<: "
      "[{}]}}\n",
      keys, refs);
  const io::ynode root = io::parse_yaml(yaml, "t.yaml");
  const io::ynode* merged = root.find("merged");
  REQUIRE(merged != nullptr);
  CHECK(merged->entries().size() == 601);
  CHECK(merged->find("k3")->text() == "own");    // an explicit key wins
  CHECK(merged->find("k7")->text() == "first");  // then the first map that gives it
  CHECK(merged->find("k599")->text() == "599");
  CHECK(merged->find("<<") == nullptr);
}

TEST_CASE("fuzz findings: a lognormal with a vanishing mean is refused instead of drawing NaN",
          "[fuzz][loader]") {
  // Found: mean 1e-300 made mean * mean underflow to 0, so mu and sigma became -inf and inf and
  // every drawn margin NaN.
  test::temp_dir dir;
  const auto problems = test::problems_in_file(dir / "scenario.yaml", [&] {
    test::load_text(dir, R"(segments:
  - name: s
    share: 1
    personas: sceptic
    traits:
      margin: {dist: lognormal, mean: 1e-300, sd: 1}
)");
  });
  REQUIRE(problems.size() == 1);
  CHECK(problems.front() ==
        "6:39: segments[0].traits.margin.mean: must be at least 1e-100 for a lognormal "
        "distribution, got 1e-300");
  // Small but ordinary means still load.
  const scenario s = test::load_text(dir, R"(segments:
  - name: s
    share: 1
    personas: sceptic
    traits:
      margin: {dist: lognormal, mean: 1e-6, sd: 1e-6}
)");
  CHECK(std::isfinite(s.segments.front().trait_overrides[index_of(trait::margin)]->quantile(0.5)));
}

TEST_CASE("fuzz findings: shares a little over 1 still give counts that sum to the population",
          "[fuzz][loader]") {
  // Found: shares may sum to 1 within 1e-6, and with 4 billion customers their floors alone
  // exceeded the population by 3200, which the synthesis would have created anyway.
  test::temp_dir dir;
  const scenario s = test::load_text(dir, R"(population: 4000000000
segments:
  - {name: a, share: 0.5000004, personas: sceptic}
  - {name: b, share: 0.5000004, personas: sceptic}
)");
  REQUIRE(s.segments.size() == 2);
  CHECK(s.segments[0].count + s.segments[1].count == 4000000000u);
  CHECK(s.segments[0].count == 2000000000u);
  CHECK(s.segments[1].count == 2000000000u);
}

TEST_CASE("fuzz findings: a persona name too long for a file name is an unknown persona",
          "[fuzz][loader]") {
  // Found by libFuzzer: looking up a 300-character name in the persona library made
  // std::filesystem::exists throw filesystem_error (File name too long), which escaped the
  // loader instead of an input_error.
  test::temp_dir dir;
  const std::string name(300, 'x');
  const auto problems = test::problems_in_file(dir / "scenario.yaml", [&] {
    test::load_text(dir, "segments:\n  - {name: s, share: 1, personas: " + name + "}\n");
  });
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems.front(),
             Catch::StartsWith("2:35: segments[0].personas: unknown persona 'xxx"));
}

TEST_CASE("fuzz findings: an empty list entry is an error instead of vanishing", "[fuzz][loader]") {
  // Found by libFuzzer: `segments:` followed by a bare `-` loaded as a scenario without
  // segments; empty touchpoints, campaigns and variants vanished the same way.
  test::temp_dir dir;
  CHECK(test::problems_in_file(dir / "scenario.yaml",
                               [&] { test::load_text(dir, "segments:\n-\n"); }) ==
        std::vector<std::string>{"3:1: segments[0]: must be a map of keys, got an empty entry"});
  // yaml-cpp places an empty value where the next token starts.
  const auto problems = test::problems_in_file(dir / "scenario.yaml", [&] {
    test::load_text(dir, R"(segments:
  - {name: s, share: 1, personas: sceptic}
channels: [web]
touchpoints:
  -
  - {name: site, phase: purchase, channel: web}
campaigns:
  -
variants:
  -
)");
  });
  CHECK(problems ==
        std::vector<std::string>{"6:3: touchpoints[0]: must be a map of keys, got an empty entry",
                                 "11:1: variants[0]: must be a map of keys, got an empty entry",
                                 "9:1: campaigns[0]: must be a map of keys, got an empty entry"});
}

TEST_CASE("fuzz findings: maps of many keys load in time linear in their size", "[fuzz][loader]") {
  // Found while reviewing the targets: every key was compared with all keys before it (the
  // duplicate check) and every top-level "x-" key with all those before it (marking it known),
  // so a 2.3 MB file of 200,000 keys took 107 s to parse and 6.5 minutes to load.
  constexpr int keys = 50'000;
  std::string anchors;
  for (int k = 0; k < keys; ++k) anchors += fmt::format("x-{}: {}\n", k, k);
  test::temp_dir dir;
  const scenario s =
      test::load_text(dir, "segments:\n  - {name: s, share: 1, personas: sceptic}\n" + anchors);
  CHECK(s.segments.size() == 1);

  std::string map = "big:\n";
  for (int k = 0; k < keys; ++k) map += fmt::format("  k{}: {}\n", k, k);
  CHECK(io::parse_yaml(map, "t.yaml").find("big")->entries().size() == keys);
  CHECK(first_problem([&] { io::parse_yaml(map + "  k7: again\n", "t.yaml"); }) ==
        fmt::format("t.yaml:{}:3: duplicate key 'k7' (first given at line 9)", keys + 2));
}
