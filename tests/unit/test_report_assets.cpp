#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <string>

#include "cesim/analysis/report_assets.hpp"

namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

TEST_CASE("report scripts are embedded in load order", "[report_assets]") {
  const auto scripts = cesim::analysis::report_scripts();
  REQUIRE(scripts.size() == 3);
  CHECK(scripts[0].name == "vega");
  CHECK(scripts[1].name == "vega-lite");
  CHECK(scripts[2].name == "vega-embed");
  for (const auto& script : scripts) {
    INFO(script.name);
    CHECK_FALSE(script.version.empty());
  }
}

TEST_CASE("report scripts are whole and safe inside a script element", "[report_assets]") {
  for (const auto& script : cesim::analysis::report_scripts()) {
    INFO(script.name << " " << script.version);
    const std::string source = script.source();
    CHECK(source.size() > 50'000);
    std::size_t chunked = 0;
    for (const auto chunk : script.chunks) {
      CHECK(chunk.size() <= 16'000);
      chunked += chunk.size();
    }
    CHECK(chunked == source.size());
    const std::string lower = lowercase(source);
    CHECK(lower.find("</script") == std::string::npos);
    CHECK(lower.find("sourcemappingurl") == std::string::npos);
  }
}

TEST_CASE("each report script is the library it claims to be", "[report_assets]") {
  const auto scripts = cesim::analysis::report_scripts();
  REQUIRE(scripts.size() == 3);
  const std::string vega_lite = scripts[1].source();
  CHECK(vega_lite.find(".vegaLite=") != std::string::npos);
  if (scripts[1].version != "unknown") {  // unknown: offline build with unpinned files
    CHECK(vega_lite.find('"' + std::string(scripts[1].version) + '"') != std::string::npos);
  }
  CHECK(scripts[0].source().find(".vega=") != std::string::npos);
  CHECK(scripts[2].source().find(".vegaEmbed=") != std::string::npos);
}
