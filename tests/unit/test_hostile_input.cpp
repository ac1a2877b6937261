// Hostile scenario files through the whole loader: each gets a clear error naming file, line and
// key, within bounded time and memory (the limits in yaml_limits, not a timer). docs/reliability.md
// lists these cases with what happens.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "cesim/error.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

const std::string minimal = R"(segments:
  - {name: all, share: 1.0, personas: loyal_regular}
touchpoints:
  - {name: site, phase: pre_purchase, channel: web}
)";

/// The problems of loading `text` as a scenario, each as "line:column: key: message".
std::vector<std::string> problems_of(const std::string& text) {
  test::temp_dir dir;
  const auto file = dir / "scenario.yaml";
  test::write_file(file, text);
  return test::problems_in_file(file, [&] { (void)io::load_scenario(file.string()); });
}

/// Joins by append: GCC 12 warns (-Wrestrict) on "literal" + std::string for long strings.
std::string joined(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto part : parts) out.append(part);
  return out;
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("deep nesting is refused at the level that is too deep", "[loader][hostile]") {
  // 100,000 levels would overflow the stack of a recursive reader.
  CHECK(problems_of(
            joined({"population: ", repeat("[", 100'000), repeat("]", 100'000), "\n", minimal})) ==
        std::vector<std::string>{"1:76: nesting deeper than 64 levels"});
  std::string block;
  for (std::size_t level = 0; level < 100; ++level)
    block += std::string(2 * level, ' ') + "k" + std::to_string(level) + ":\n";
  CHECK(problems_of(block) == std::vector<std::string>{"65:129: nesting deeper than 64 levels"});
}

TEST_CASE("an alias bomb is refused before it expands", "[loader][hostile]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  const std::string names = "abcdefgh";
  for (std::size_t k = 1; k < names.size(); ++k)
    bomb += fmt::format("{0}: &{0} [{1}]\n", names[k],
                        repeat(std::string("*") + names[k - 1] + ", ", 9) + "*" + names[k - 1]);
  const auto problems = problems_of(bomb + minimal);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::StartsWith("7:") &&
                              Catch::Contains("document expands to more than") &&
                              Catch::Contains("refusing to expand further"));
}

TEST_CASE("enormous text values and files are refused by size", "[loader][hostile]") {
  CHECK(problems_of(joined({"name: ", std::string(2 << 20, 'x'), "\n", minimal})) ==
        std::vector<std::string>{
            "1:7: a text value of 2097152 bytes exceeds the limit of 1048576 bytes"});
  const auto big = problems_of(joined({"# ", std::string(17 << 20, 'x'), "\n", minimal}));
  REQUIRE(big.size() == 1);
  CHECK_THAT(big[0], Catch::Contains("larger than the limit of 16777216 bytes for YAML input"));
}

TEST_CASE("numbers too large negative or not finite name their key", "[loader][hostile]") {
  CHECK(problems_of("population: 1e400\n" + minimal) ==
        std::vector<std::string>{
            "1:13: population: must be a finite number in [1, 4294967295], got 1e400"});
  CHECK(problems_of("seed: 18446744073709551616\n" + minimal) ==
        std::vector<std::string>{"1:7: seed: must be a whole number in [0, "
                                 "18446744073709551615], got '18446744073709551616'"});
  CHECK(problems_of("time: {horizon: -3}\n" + minimal) ==
        std::vector<std::string>{"1:17: time.horizon: must be in [1, 100000], got -3"});
  std::string with_nan = minimal;
  with_nan.replace(with_nan.find("channel: web}"), 13, "channel: web, reach: .nan}");
  CHECK(problems_of(with_nan) ==
        std::vector<std::string>{
            "4:60: touchpoints[0].reach: must be a finite number in [0, 1], got .nan"});
  std::string with_inf = minimal;
  with_inf.replace(with_inf.find("channel: web}"), 13,
                   "channel: web, quality: {mean: .inf, sd: 0.1}}");
  CHECK(problems_of(with_inf) ==
        std::vector<std::string>{
            "4:69: touchpoints[0].quality.mean: must be a finite number in [0, 1], got .inf"});
}

TEST_CASE("wrong types are reported each at its key", "[loader][hostile]") {
  CHECK(
      problems_of("population: [1, 2]\nname: {x: 1}\nsegments: 5\n") ==
      std::vector<std::string>{"2:7: name: must be text, got a map",
                               "1:13: population: must be a number in [1, 4294967295], got a list",
                               "3:11: segments: must be a non-empty list of segments"});
}

TEST_CASE("duplicate keys in nested flow maps name both places", "[loader][hostile]") {
  std::string twice = minimal;
  twice.replace(twice.find("channel: web}"), 13, "channel: web, reach: 0.1, reach: 0.2}");
  CHECK(problems_of(twice) ==
        std::vector<std::string>{"4:65: duplicate key 'reach' (first given at line 4)"});
}

TEST_CASE("a scenario or sweep named where the other kind of file belongs is refused",
          "[loader][hostile]") {
  test::temp_dir dir;
  // A scenario naming itself as its persona file: there is no include mechanism to loop, and
  // the file is not read as a persona.
  const auto self = dir / "self.yaml";
  test::write_file(self, "segments:\n  - {name: all, share: 1.0, personas: ./self.yaml}\n");
  CHECK(test::problems_in_file(self, [&] { (void)io::load_scenario(self.string()); }) ==
        std::vector<std::string>{"1:1: is named as a persona file but holds a scenario; a persona "
                                 "file starts with 'persona: <name>'"});
  const auto sweep = dir / "sweep.yaml";
  test::write_file(sweep, "sweep: 1\nscenario: sweep.yaml\nmetrics: [customers]\nparameters: []\n");
  const auto problems =
      test::problems_in_file(sweep, [&] { (void)io::load_scenario(sweep.string()); });
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::StartsWith("1:1: this is a sweep file, not a scenario"));
}

TEST_CASE("binary garbage and control characters are malformed YAML with a position",
          "[loader][hostile]") {
  const auto nul = problems_of(std::string("population: 10\0\n", 16) + minimal);
  REQUIRE(nul.size() == 1);
  CHECK_THAT(nul[0], Catch::Contains("malformed YAML"));
  const auto tab = problems_of("segments:\n\t- {name: all}\n");
  CHECK(tab == std::vector<std::string>{"2:2: malformed YAML: illegal block entry"});
}

TEST_CASE("a file of a hundred thousand unknown keys lists a hundred and counts the rest",
          "[loader][hostile]") {
  std::string keys = minimal;
  for (int k = 0; k < 100'000; ++k) keys += fmt::format("k{}: 1\n", k);
  const auto problems = problems_of(keys);
  REQUIRE(problems.size() == diagnostics::max_listed + 1);
  CHECK_THAT(problems.front(), Catch::StartsWith("5:1: k0: unknown key 'k0'"));
  CHECK(problems.back() ==
        " 99900 more problems not listed (the first 100 are); fix these and run again");
}
