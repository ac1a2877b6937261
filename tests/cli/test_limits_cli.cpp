// Resource limits end to end: runs that will not fit in memory are refused before anything is
// allocated or written, with the estimate and the limit; ids stay within 32 bits.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "test_support.hpp"

using namespace cesim;
namespace fs = std::filesystem;

namespace {

const std::string default_scenario =
    (test::source_dir() / "scenarios" / "burger_contest.yaml").string();

bool is_empty_dir(const fs::path& dir) {
  return fs::is_directory(dir) && fs::directory_iterator(dir) == fs::directory_iterator();
}

/// Sets an environment variable for one test (inherited by the spawned binary).
class environment_for_test {
 public:
  environment_for_test(const char* name, const char* value) : name_(name) {
    ::setenv(name, value, 1);
  }
  ~environment_for_test() { ::unsetenv(name_); }
  environment_for_test(const environment_for_test&) = delete;
  environment_for_test& operator=(const environment_for_test&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("a run too large for the memory limit exits 5 naming estimate and limit", "[cli]") {
  test::temp_dir dir;
  const auto r = test::run_cesim({"run", default_scenario, "--population", "4000000000",
                                  "--memory-limit", "8G", "--out", (dir / "out").string()});
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, Catch::StartsWith("error: " + default_scenario +
                                      ": 4000000000 customers need an estimated "));
  CHECK_THAT(r.err, Catch::Contains(" GB of memory (") &&
                        Catch::Contains("more than the limit of 8.0 GB, which is set by "
                                        "--memory-limit 8G") &&
                        Catch::Contains("Lower 'population' or 'network.mean_degree'"));
  CHECK(is_empty_dir(dir.path()));
}

TEST_CASE("CESIM_MEMORY_LIMIT sets the limit and a bad value is a usage error", "[cli]") {
  test::temp_dir dir;
  {
    const environment_for_test limit("CESIM_MEMORY_LIMIT", "50M");
    const auto r = test::run_cesim({"run", default_scenario, "--population", "1000000", "--horizon",
                                    "12", "--out", (dir / "out").string()});
    CHECK(r.exit_code == 5);
    CHECK_THAT(r.err, Catch::Contains("more than the limit of 50 MB, which is set by "
                                      "CESIM_MEMORY_LIMIT=50M"));
    // The command line wins over the environment.
    const auto allowed =
        test::run_cesim({"run", default_scenario, "--population", "2000", "--horizon", "12",
                         "--memory-limit", "none", "--quiet", "--out", (dir / "out").string()});
    CHECK(allowed.exit_code == 0);
  }
  const environment_for_test bad("CESIM_MEMORY_LIMIT", "lots");
  const auto r = test::run_cesim({"run", default_scenario, "--population", "2000", "--horizon",
                                  "12", "--out", (dir / "out2").string()});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("CESIM_MEMORY_LIMIT='lots' is not a size"));
  CHECK_FALSE(fs::exists(dir / "out2"));
}

TEST_CASE("a memory limit that is not a size is a usage error", "[cli]") {
  const auto r = test::run_cesim({"run", default_scenario, "--memory-limit", "8 apples"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("'8 apples' is not a size: use e.g. 8G, 512M or none"));
}

TEST_CASE("a sweep with a point too large is refused before any point runs", "[cli]") {
  test::temp_dir dir;
  test::write_file(dir / "sweep.yaml", "sweep: 1\nscenario: " + default_scenario + R"(
metrics: [customers]
design: {type: grid}
set: {time.horizon: 12}
parameters:
  - {path: population, values: [2000, 3000000000]}
)");
  const auto r = test::run_cesim({"sweep", (dir / "sweep.yaml").string(), "--memory-limit", "4G",
                                  "--out", (dir / "out").string()});
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, Catch::Contains("3000000000 customers need an estimated"));
  CHECK_FALSE(fs::exists(dir / "out" / "results.csv"));
}

TEST_CASE("validate prints the memory a run needs and warns when it exceeds the limit", "[cli]") {
  const auto fits = test::run_cesim({"validate", default_scenario});
  CHECK(fits.exit_code == 0);
  CHECK_THAT(fits.out, Catch::Contains("memory: an estimated ") &&
                           Catch::Contains(" MB per run; the limit is "));
  const auto too_big = test::run_cesim(
      {"validate", default_scenario, "--population", "500000000", "--memory-limit", "16G"});
  // Valid input stays valid: a larger machine can run it.
  CHECK(too_big.exit_code == 0);
  CHECK_THAT(too_big.err,
             Catch::Contains("warning: " + default_scenario + ": one run needs an estimated ") &&
                 Catch::Contains("more than the limit of 16.0 GB, which is set by --memory-limit "
                                 "16G"));
}

TEST_CASE("populations beyond 32-bit ids are refused before any estimate", "[cli]") {
  const auto r = test::run_cesim({"run", default_scenario, "--population", "4294967296"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("--population 4294967296: population: must be in [1, "
                                    "4294967295], got 4294967296"));
}
