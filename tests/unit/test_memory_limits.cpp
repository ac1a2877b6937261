#include <catch2/catch.hpp>
#include <limits>

#include "cesim/error.hpp"
#include "cesim/sim/memory.hpp"
#include "cesim/sim/simulation.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

/// Sets a limit for one test and restores the previous one, so tests run in one process do not
/// leak limits into each other.
class limit_for_test {
 public:
  explicit limit_for_test(std::uint64_t bytes, std::string source = "set by the test")
      : previous_(current_memory_limit()) {
    set_memory_limit({bytes, std::move(source)});
  }
  ~limit_for_test() { set_memory_limit(previous_); }
  limit_for_test(const limit_for_test&) = delete;
  limit_for_test& operator=(const limit_for_test&) = delete;

 private:
  memory_limit previous_;
};

constexpr std::uint64_t mib = std::uint64_t{1} << 20;
constexpr std::uint64_t gib = std::uint64_t{1} << 30;

}  // namespace

TEST_CASE("byte sizes parse with binary units and refuse anything else", "[memory]") {
  CHECK(parse_byte_size("8G") == 8 * gib);
  CHECK(parse_byte_size("8GB") == 8 * gib);
  CHECK(parse_byte_size("8 GiB") == 8 * gib);
  CHECK(parse_byte_size("512m") == 512 * mib);
  CHECK(parse_byte_size("1.5G") == 3 * gib / 2);
  CHECK(parse_byte_size("2048") == 2048);
  CHECK(parse_byte_size("64K") == 64 * 1024);
  CHECK(parse_byte_size("1T") == 1024 * gib);
  CHECK(parse_byte_size("none") == 0);
  CHECK(parse_byte_size("0") == 0);
  CHECK_FALSE(parse_byte_size(""));
  CHECK_FALSE(parse_byte_size("-1G"));
  CHECK_FALSE(parse_byte_size("G"));
  CHECK_FALSE(parse_byte_size("8X"));
  CHECK_FALSE(parse_byte_size("nan"));
  CHECK_FALSE(parse_byte_size("inf"));
  CHECK_FALSE(parse_byte_size("1e30"));
  CHECK_FALSE(parse_byte_size("99999999T"));
}

TEST_CASE("byte counts print in binary units", "[memory]") {
  CHECK(format_bytes(512) == "1 kB");
  CHECK(format_bytes(300 * mib) == "300 MB");
  CHECK(format_bytes(3 * gib / 2) == "1.5 GB");
  CHECK(format_bytes(2048 * gib) == "2.0 TB");
}

TEST_CASE("the estimate grows with customers and ties and has no network when well mixed",
          "[memory]") {
  test::temp_dir dir;
  const auto small = test::load_text(dir, test::small_scenario(100'000, 10));
  const auto large = test::load_text(dir, test::small_scenario(1'000'000, 10));
  const auto e_small = estimate_memory(small);
  const auto e_large = estimate_memory(large);
  // Linear in the population: ten times the customers, ten times the variable part.
  const auto ten_times = [](std::uint64_t bytes) {
    return Approx(10.0 * static_cast<double>(bytes));
  };
  CHECK(static_cast<double>(e_large.customers) == ten_times(e_small.customers).epsilon(0.001));
  CHECK(static_cast<double>(e_large.network) == ten_times(e_small.network).epsilon(0.001));
  CHECK(e_large.overhead == e_small.overhead);
  // Watts-Strogatz with mean degree 20: ten ties per customer, more with the influencer hubs.
  CHECK(e_large.expected_edges >= 10'000'000);
  CHECK(e_large.expected_edges < 12'000'000);
  // Each tie costs at least both directions' 4-byte ids and 16-bit bucket slots while the
  // network is built; the network dominates.
  CHECK(e_large.network > 12 * e_large.expected_edges);
  CHECK(e_large.network > e_large.customers);

  const auto denser = test::load_text(
      dir, test::small_scenario(1'000'000, 10, "network: {type: erdos_renyi, mean_degree: 40}\n"));
  CHECK(estimate_memory(denser).expected_edges == 20'000'000);
  CHECK(estimate_memory(denser).network > e_large.network + e_large.network / 2);

  const auto mixed = test::load_text(
      dir,
      test::small_scenario(1'000'000, 10, "network: {type: well_mixed, contacts_per_step: 5}\n"));
  CHECK(estimate_memory(mixed).network == 0);
  CHECK(estimate_memory(mixed).expected_edges == 0);
  CHECK(estimate_memory(mixed).customers > 50 * 1'000'000);
}

TEST_CASE("an edge list's estimate follows the size of its file", "[memory]") {
  test::temp_dir dir;
  std::string lines;
  for (int i = 0; i < 999; ++i) lines += std::to_string(i) + " " + std::to_string(i + 1) + "\n";
  test::write_file(dir / "ties.txt", lines);
  const auto s = test::load_text(
      dir,
      test::small_scenario(
          1000, 10, "network: {type: edge_list, file: " + (dir / "ties.txt").string() + "}\n"));
  const auto e = estimate_memory(s);
  // About ten bytes per line: a cautious count for short ids.
  CHECK(e.expected_edges == lines.size() / 10);
  CHECK(e.network > 0);
}

TEST_CASE("a run that does not fit is refused naming the file the estimate and the limit",
          "[memory]") {
  test::temp_dir dir;
  const auto s = test::load_text(dir, test::small_scenario(2'000'000, 10));
  const auto estimate = estimate_memory(s).total();
  {
    const limit_for_test limit(estimate + 1);
    CHECK_NOTHROW(require_memory(s));
  }
  const limit_for_test limit(100 * mib, "set by --memory-limit 100M");
  try {
    require_memory(s);
    FAIL("no resource_error");
  } catch (const resource_error& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::StartsWith(s.file + ": 2000000 customers need an estimated " +
                                          format_bytes(estimate) + " of memory"));
    CHECK_THAT(message, Catch::Contains("more than the limit of 100 MB, which is set by "
                                        "--memory-limit 100M"));
    CHECK_THAT(message, Catch::Contains("--memory-limit or CESIM_MEMORY_LIMIT"));
  }
  // The simulation checks before it synthesises a single customer.
  CHECK_THROWS_AS(simulation(s, run_options{}), resource_error);
}

TEST_CASE("no limit means no check", "[memory]") {
  test::temp_dir dir;
  auto s = test::load_text(dir, test::small_scenario(1000, 10));
  s.population = 4'000'000'000;  // terabytes
  const limit_for_test none(0);
  CHECK_NOTHROW(require_memory(s));
  CHECK(replications_that_fit(s, 8) == 8);
}

TEST_CASE("replications side by side are as many as fit and at least one", "[memory]") {
  test::temp_dir dir;
  const auto s = test::load_text(dir, test::small_scenario(500'000, 10));
  const auto e = estimate_memory(s);
  const std::uint64_t each = e.customers + e.network;
  {
    const limit_for_test limit(e.overhead + 2 * each + each / 2);
    CHECK(replications_that_fit(s, 8) == 2);
    CHECK(replications_that_fit(s, 1) == 1);
  }
  {
    const limit_for_test limit(e.overhead + 100 * each);
    CHECK(replications_that_fit(s, 8) == 8);
  }
  {
    // Too small for one: still one, which require_memory then refuses with its message.
    const limit_for_test limit(mib);
    CHECK(replications_that_fit(s, 8) == 1);
  }
}

TEST_CASE("the machine's limit is what is available and stays fixed once read", "[memory]") {
  const auto first = current_memory_limit();
  CHECK(first.bytes > 0);
  CHECK_FALSE(first.source.empty());
  CHECK(current_memory_limit().bytes == first.bytes);
}

TEST_CASE("populations and networks kept for sharing get the memory the runs in flight leave",
          "[memory]") {
  test::temp_dir dir;
  const auto s = test::load_text(dir, test::small_scenario(500'000, 10));
  const auto e = estimate_memory(s);
  REQUIRE(e.network > e.network_built);  // the build's peak is above the finished network
  REQUIRE(e.network_built > 0);
  // A run on a shared population also pays for the initial state the kept one holds.
  const std::uint64_t state = 500'000 * (sizeof(customer_status) + 1 + 5 * sizeof(float));
  CHECK(e.shared_state == state);
  const std::uint64_t run = e.customers + e.network + state;
  const std::uint64_t population = 500'000 * population_bytes_per_agent();
  const std::uint64_t kept = 3 * (population + e.network_built);
  {
    const limit_for_test limit(e.overhead + 2 * run + kept);
    const auto room = room_for_shared_builds(s, 10, 2);
    CHECK(room.count == 10);
    // Three of each, split as one kept population and one finished network take the memory.
    CHECK(room.network_bytes + room.population_bytes == kept);
    CHECK(static_cast<double>(room.population_bytes) ==
          Approx(3.0 * static_cast<double>(population)).epsilon(1e-9));
    const auto one_run = room_for_shared_builds(s, 10, 1);
    CHECK(one_run.network_bytes + one_run.population_bytes == run + kept);
    const auto many_runs =  // no room left
        room_for_shared_builds(s, 10, static_cast<std::uint32_t>(2 + kept / run + 1));
    CHECK(many_runs.network_bytes == 0);
    CHECK(many_runs.population_bytes == 0);
    CHECK(room_for_shared_builds(s, 0, 1).count == 1);
    // Two processes on the machine (MPI ranks on one node): each keeps within half the limit.
    set_processes_per_machine(2);
    const auto half = room_for_shared_builds(s, 10, 1);
    set_processes_per_machine(1);
    const std::uint64_t share = (e.overhead + 2 * run + kept) / 2;
    CHECK(half.network_bytes + half.population_bytes == share - e.overhead - run);
    // Runs side by side that share populations count the kept state too.
    CHECK(replications_that_fit(s, 10) == (2 * run + kept) / (e.customers + e.network));
    CHECK(replications_that_fit(s, 10, true) == 2 + kept / run);
  }
  {
    const limit_for_test none(0);
    CHECK(room_for_shared_builds(s, 10, 1).count == 10);
    CHECK(room_for_shared_builds(s, 1000, 1).count == kept_without_limit);
    CHECK(room_for_shared_builds(s, 10, 1).network_bytes ==
          std::numeric_limits<std::uint64_t>::max());
    CHECK(room_for_shared_builds(s, 10, 1).population_bytes ==
          std::numeric_limits<std::uint64_t>::max());
  }
}
