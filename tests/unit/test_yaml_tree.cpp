#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "cesim/io/yaml_tree.hpp"

using namespace cesim;
using namespace cesim::io;

namespace {

std::string first_problem(const std::string& text) {
  try {
    parse_yaml(text, "t.yaml");
  } catch (const input_error& e) {
    return e.problems().front().to_string();
  }
  return "no error";
}

}  // namespace

TEST_CASE("parsed nodes carry 1-based line and column", "[yaml]") {
  const ynode root = parse_yaml("a: 1\nb:\n  c: [x, y]\n", "t.yaml");
  REQUIRE(root.is_map());
  const ynode* c = root.find("b")->find("c");
  REQUIRE(c != nullptr);
  CHECK(c->is_sequence());
  CHECK(c->mark().line == 3);
  CHECK(c->mark().column == 6);
  CHECK(c->items()[1].text() == "y");
  CHECK(c->items()[1].mark().column == 10);
}

TEST_CASE("duplicate keys are errors naming both lines", "[yaml]") {
  CHECK(first_problem("a: 1\nb: 2\na: 3\n") ==
        "t.yaml:3:1: duplicate key 'a' (first given at line 1)");
}

TEST_CASE("aliases expand, and exponential alias bombs are refused", "[yaml]") {
  const ynode root = parse_yaml("base: &b {x: 1}\ncopy: *b\n", "t.yaml");
  CHECK(root.find("copy")->find("x")->text() == "1");

  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n",
                        c, prev);
    prev = c;
  }
  const auto message = first_problem(bomb);
  CHECK_THAT(message, Catch::Contains("document expands to more than 2000000 nodes"));
}

TEST_CASE("merge keys fill in what the map does not set itself", "[yaml]") {
  const ynode root =
      parse_yaml("base: &b {reach: 0.1, weight: 2}\ntp:\n  <<: *b\n  reach: 0.5\n", "t.yaml");
  const ynode* tp = root.find("tp");
  CHECK(tp->find("reach")->text() == "0.5");
  CHECK(tp->find("weight")->text() == "2");
  CHECK(tp->find("<<") == nullptr);
}

TEST_CASE("deep nesting, second documents and unknown tags are refused", "[yaml]") {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK_THAT(first_problem(deep), Catch::Contains("nesting deeper than 64 levels"));
  CHECK(first_problem("a: 1\n---\nb: 2\n") ==
        "t.yaml:2:1: a file may hold only one YAML document (found a second '---')");
  CHECK_THAT(first_problem("a: !custom 3\n"), Catch::Contains("unsupported YAML tag"));
}

TEST_CASE("malformed YAML names line and column", "[yaml]") {
  CHECK(first_problem("a: [1, 2\nb: 3\n") ==
        "t.yaml:2:2: malformed YAML: end of sequence flow not found");
}

TEST_CASE("scalars convert by the YAML 1.2 core schema", "[yaml]") {
  double d = 0;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  bool b = false;
  auto scalar = [](const char* text, bool quoted = false) {
    return ynode::make_scalar(text, quoted, {});
  };
  CHECK((scalar_to_double(scalar("0.25"), d) && d == 0.25));
  CHECK((scalar_to_double(scalar("-1e-3"), d) && d == -1e-3));
  CHECK((scalar_to_double(scalar(".inf"), d) && std::isinf(d)));
  CHECK((scalar_to_double(scalar(".nan"), d) && std::isnan(d)));
  CHECK_FALSE(scalar_to_double(scalar("0.5x"), d));
  CHECK_FALSE(scalar_to_double(scalar(""), d));
  CHECK((scalar_to_int64(scalar("1_000_000"), i) && i == 1000000));
  CHECK((scalar_to_int64(scalar("1e6"), i) && i == 1000000));
  CHECK_FALSE(scalar_to_int64(scalar("2.5"), i));
  CHECK((scalar_to_uint64(scalar("18446744073709551615"), u) && u == 18446744073709551615ull));
  CHECK_FALSE(scalar_to_uint64(scalar("-1"), u));
  CHECK((scalar_to_bool(scalar("true"), b) && b));
  CHECK_FALSE(scalar_to_bool(scalar("true", true), b));
  CHECK_FALSE(scalar_to_bool(scalar("yes"), b));
}

TEST_CASE("set_path edits maps, list elements by name or index, and creates missing keys",
          "[yaml]") {
  ynode root = parse_yaml(
      "touchpoints:\n  - {name: site, reach: 0.1}\n  - {name: hotline, reach: 0.2}\n", "t.yaml");
  const source_mark origin{std::make_shared<const std::string>("--set"), 0, 0};
  set_path(root, "touchpoints.hotline.reach", parse_override_value("0.5", origin), origin);
  set_path(root, "touchpoints[0].quality.mean", parse_override_value("0.9", origin), origin);
  set_path(root, "time.horizon", parse_override_value("10", origin), origin);
  set_path(root, "touchpoints.site.quality", parse_override_value("{mean: 0.8, sd: 0.05}", origin),
           origin);
  CHECK(root.find("touchpoints")->items()[1].find("reach")->text() == "0.5");
  CHECK(root.find("touchpoints")->items()[0].find("quality")->find("sd")->text() == "0.05");
  CHECK(root.find("time")->find("horizon")->text() == "10");
  CHECK(root.find("time")->find("horizon")->mark().file_name() == "--set");

  try {
    set_path(root, "touchpoints.store.reach", parse_override_value("1", origin), origin);
    FAIL("expected an error");
  } catch (const input_error& e) {
    CHECK(e.problems().front().message ==
          "'touchpoints' has no element named 'store' (known: site, hotline)");
  }
  CHECK_THROWS_AS(set_path(root, "touchpoints[5].reach", parse_override_value("1", origin), origin),
                  input_error);
  CHECK_THROWS_AS(set_path(root, "a..b", parse_override_value("1", origin), origin), input_error);
}
