// Every file in tests/data/bad ends with the exact diagnostics it must produce:
//   # expect: LINE:COLUMN: key.path: message
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cesim/io/scenario_loader.hpp"
#include "test_support.hpp"

using namespace cesim;
namespace fs = std::filesystem;

TEST_CASE("every bad scenario gives exactly its documented errors", "[loader][bad]") {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(test::data_dir() / "bad"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 25);
  for (const auto& file : files) {
    std::vector<std::string> expected;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("# expect: ", 0) == 0) expected.push_back(line.substr(10));
    INFO(file.filename().string());
    REQUIRE_FALSE(expected.empty());
    std::vector<std::string> actual;
    try {
      io::load_scenario(file.string());
    } catch (const input_error& e) {
      for (const auto& p : e.problems()) {
        const std::string text = p.to_string();
        const std::string prefix = file.string() + ":";
        CHECK(text.rfind(prefix, 0) == 0);
        actual.push_back(text.substr(prefix.size()));
      }
    }
    CHECK(actual == expected);
  }
}
