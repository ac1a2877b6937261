// The docs must not drift from the code: the parameter table in docs/model.md is the output of
// `cesim params --format markdown` (regenerate it with scripts/update-docs).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace cesim;

TEST_CASE("docs/model.md carries the current parameter table", "[docs]") {
  const std::string doc = test::read_file(test::source_dir() / "docs" / "model.md");
  const std::string begin = "<!-- params:begin -->\n";
  const std::string end = "<!-- params:end -->";
  const auto b = doc.find(begin);
  const auto e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string in_doc = doc.substr(b + begin.size(), e - b - begin.size());
  const std::string generated = test::run_cesim({"params", "--format", "markdown"}).out;
  CHECK(in_doc == generated);
}

TEST_CASE("docs/yaml-reference.md mentions every parameter key", "[docs]") {
  const std::string doc = test::read_file(test::source_dir() / "docs" / "yaml-reference.md");
  const auto json = nlohmann::json::parse(test::run_cesim({"params", "--format", "json"}).out);
  for (const auto& p : json) {
    const std::string key = p["key"];
    // The reference lists keys inside their section, so look for the last part of the path.
    const std::string leaf =
        key.substr(key.find_last_of('.') == std::string::npos ? 0 : key.find_last_of('.') + 1);
    INFO(key);
    CHECK(doc.find(leaf) != std::string::npos);
  }
}
