#include "cesim/sim/memory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>

#include "cesim/error.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"

namespace cesim {
namespace fs = std::filesystem;

namespace {

/// Resident memory of the process apart from the customers and their network (binary,
/// libraries, TBB's threads, scenario, result series): 14 MB measured for 10,000 customers.
constexpr std::uint64_t base_overhead = std::uint64_t{24} << 20;
/// Short ids ("12 345\n") take about this many bytes per line of an edge-list file.
constexpr std::uint64_t edge_list_bytes_per_line = 10;

/// Bytes per stored tie entry for its strength (see social_network): none when every tie has
/// strength 1, a one-byte code for the generators' strong and weak ties, and for a weighted file,
/// whose distinct strengths are unknown before it is read, a float.
double strength_bytes(const network_config& net) {
  if (net.kind == network_kind::edge_list)
    return net.edge_list.weight_column > 0 ? sizeof(float) : 0;
  const bool weighted = net.ties == tie_assignment::structural
                            ? net.strong_strength != 1.0 || net.weak_strength != 1.0
                            : net.strong_share < 1.0 && net.weak_strength != 1.0;
  return weighted ? sizeof(std::uint8_t) : 0;
}

/// Mean over customers of the extra ties hub personas (degree weight above 1) open.
double mean_hub_excess(const scenario& s) {
  double excess = 0;
  double weight_sum = 0;
  for (const auto& seg : s.segments) {
    for (std::size_t k = 0; k < seg.persona_index.size(); ++k) {
      const double w = s.personas[seg.persona_index[k]].degree_weight;
      weight_sum += seg.share * seg.persona_weight[k] * w;
      excess += seg.share * seg.persona_weight[k] * std::max(0.0, w - 1.0);
    }
  }
  return weight_sum > 0 ? excess / weight_sum : 0.0;
}

std::uint64_t expected_edges(const scenario& s) {
  const auto& net = s.network;
  const double n = static_cast<double>(s.population);
  switch (net.kind) {
    case network_kind::well_mixed:
      return 0;
    case network_kind::edge_list: {
      std::error_code ec;
      const auto bytes = fs::file_size(net.edge_list.path, ec);
      return ec ? 0 : bytes / edge_list_bytes_per_line;
    }
    case network_kind::watts_strogatz:
    case network_kind::barabasi_albert: {
      const double half = std::max(1.0, std::round(net.mean_degree / 2));
      return static_cast<std::uint64_t>(n * half * (1.0 + mean_hub_excess(s)));
    }
    case network_kind::erdos_renyi:
    case network_kind::block_model:
      return static_cast<std::uint64_t>(n * net.mean_degree / 2);
  }
  return 0;
}

std::uint64_t times(std::uint64_t count, double bytes_each) {
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(count) * bytes_each));
}

std::optional<std::uint64_t> read_number_file(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text)) return std::nullopt;
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;  // e.g. "max"
  return value;
}

/// Memory left to this process's cgroup (v2, or v1's memory controller), if it is limited.
std::optional<std::uint64_t> cgroup_headroom() {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  std::optional<std::uint64_t> headroom;
  while (std::getline(self, line)) {
    if (line.starts_with("0::")) {
      // Every ancestor's limit applies too.
      for (fs::path dir = fs::path("/sys/fs/cgroup") / fs::path(line.substr(3)).relative_path();;
           dir = dir.parent_path()) {
        const auto max = read_number_file(dir / "memory.max");
        if (max) {
          const auto used = read_number_file(dir / "memory.current").value_or(0);
          const auto left = *max > used ? *max - used : 0;
          headroom = headroom ? std::min(*headroom, left) : left;
        }
        if (dir == "/sys/fs/cgroup" || !dir.has_relative_path()) break;
      }
    }
  }
  if (!headroom) {
    const auto v1 = read_number_file("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    // v1 reports "no limit" as a number near 2^63.
    if (v1 && *v1 < (std::uint64_t{1} << 60)) {
      const auto used = read_number_file("/sys/fs/cgroup/memory/memory.usage_in_bytes").value_or(0);
      headroom = *v1 > used ? *v1 - used : 0;
    }
  }
  return headroom;
}

std::optional<std::uint64_t> meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

memory_limit machine_limit() {
  const auto available = meminfo_available();
  const auto cgroup = cgroup_headroom();
  if (cgroup && (!available || *cgroup < *available))
    return {*cgroup, "what is left in this process's cgroup"};
  if (available)
    return {*available, "what the machine has available (MemAvailable in /proc/meminfo)"};
  return {0, "none: the machine's memory could not be read"};
}

std::mutex limit_lock;
std::optional<memory_limit> chosen_limit;

}  // namespace

memory_estimate estimate_memory(const scenario& s) {
  const std::uint64_t n = s.population;
  const std::uint64_t edges = expected_edges(s);
  const double origins = 2.0 + static_cast<double>(s.touchpoints.size() + s.campaigns.size());

  // Per customer while the run steps: population (segment, persona, traits), state, the two
  // word-of-mouth mailboxes, reach bits per origin, heard and referral marks, and per campaign
  // a choice byte and up to three bit sets.
  const double people = 2 * sizeof(std::uint16_t) + trait_count * sizeof(float);
  const double state = sizeof(customer_status) + sizeof(std::uint8_t) + 5 * sizeof(float);
  const double mailbox =
      sizeof(std::int8_t) + sizeof(std::uint16_t) + sizeof(std::uint8_t) + 2 * sizeof(float);
  const double working = 2 * mailbox + (origins + 2) / 8 + sizeof(std::uint8_t) +
                         sizeof(std::uint16_t) +
                         static_cast<double>(s.campaigns.size()) * (1 + 3.0 / 8);
  const double running_per_customer = people + state + working;

  const double entry_bytes = sizeof(std::uint32_t) + strength_bytes(s.network);
  // While building, at its largest: the rows being filled, both directions of every tie, each
  // with its 16-bit slot in its bucket, beside the edge list where it is held (a file's, and
  // preferential attachment's, which is sequential); the other generators write their ties
  // block by block as assembly reads them. The rows are compacted in place. Per customer the row
  // offsets (counted twice, a margin for the builders' per-bucket and per-block arrays), the
  // kept counts, the persona weights and the ring order.
  const bool list_held =
      s.network.kind == network_kind::edge_list || s.network.kind == network_kind::barabasi_albert;
  const double list_bytes = list_held ? sizeof(edge) : 0.0;
  const double build_per_edge = list_bytes + 2 * (entry_bytes + sizeof(std::uint16_t));
  const double build_per_customer =
      2 * sizeof(std::uint64_t) + sizeof(std::uint32_t) + sizeof(double) + sizeof(std::uint32_t);
  const bool stored = s.network.kind != network_kind::well_mixed;

  const std::uint64_t built =
      stored ? times(n, sizeof(std::uint64_t)) + times(edges, 2 * entry_bytes) : 0;
  const std::uint64_t building =
      stored ? times(n, build_per_customer) + times(edges, build_per_edge) : 0;

  memory_estimate e;
  e.expected_edges = edges;
  e.network_built = built;
  e.shared_state = times(n, state);
  e.overhead = base_overhead;
  const std::uint64_t run_customers = times(n, running_per_customer);
  const std::uint64_t build_customers = times(n, people + state);
  if (build_customers + building > run_customers + built) {
    e.customers = build_customers;
    e.network = building;
  } else {
    e.customers = run_customers;
    e.network = built;
  }
  return e;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text == "none" || text == "unlimited") return 0;
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || !std::isfinite(number) || number < 0) return std::nullopt;
  std::string unit(ptr, text.data() + text.size());
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int power = -1;
  if (unit.empty() || unit == "B") power = 0;
  for (const auto& [letter, p] : {std::pair{'K', 1}, {'M', 2}, {'G', 3}, {'T', 4}})
    if (unit == std::string(1, letter) || unit == std::string(1, letter) + "B" ||
        unit == std::string(1, letter) + "IB")
      power = p;
  if (power < 0) return std::nullopt;
  const double bytes = number * std::pow(1024.0, power);
  if (bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::string format_bytes(std::uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024 * 1024)
    return fmt::format("{:.1f} TB", b / (1024.0 * 1024 * 1024 * 1024));
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f} GB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.0f} MB", b / (1024.0 * 1024));
  return fmt::format("{:.0f} kB", std::ceil(b / 1024.0));
}

memory_limit current_memory_limit() {
  const std::lock_guard guard(limit_lock);
  if (!chosen_limit) {
    if (const char* env = std::getenv("CESIM_MEMORY_LIMIT"); env != nullptr && *env != '\0') {
      const auto bytes = parse_byte_size(env);
      if (!bytes)
        throw resource_error(
            fmt::format("CESIM_MEMORY_LIMIT='{}' is not a size: use e.g. 8G, 512M or none", env));
      chosen_limit = memory_limit{*bytes, fmt::format("set by CESIM_MEMORY_LIMIT={}", env)};
    } else {
      chosen_limit = machine_limit();
    }
  }
  return *chosen_limit;
}

void set_memory_limit(memory_limit limit) {
  const std::lock_guard guard(limit_lock);
  chosen_limit = std::move(limit);
}

void require_memory(const scenario& s) {
  const auto limit = current_memory_limit();
  if (limit.bytes == 0) return;
  const auto e = estimate_memory(s);
  if (e.total() <= limit.bytes) return;
  const std::string network =
      s.network.kind == network_kind::well_mixed
          ? std::string("no stored network")
          : fmt::format("{} for about {} ties", format_bytes(e.network), e.expected_edges);
  throw resource_error(fmt::format(
      "{}: {} customers need an estimated {} of memory ({} for customers, {}, {} fixed), more "
      "than the limit of {}, which is {}. Lower 'population' or 'network.mean_degree', or set the "
      "limit "
      "with --memory-limit or CESIM_MEMORY_LIMIT (e.g. 64G; none: no check).",
      s.file.empty() ? std::string("scenario") : s.file, s.population, format_bytes(e.total()),
      format_bytes(e.customers), network, format_bytes(e.overhead), format_bytes(limit.bytes),
      limit.source));
}

std::uint32_t replications_that_fit(const scenario& s, std::uint32_t wanted, bool sharing) {
  const auto limit = current_memory_limit();
  if (limit.bytes == 0 || wanted <= 1) return std::max<std::uint32_t>(1, wanted);
  const auto e = estimate_memory(s);
  // The fixed overhead is paid once per process, not once per replication.
  const std::uint64_t each =
      std::max<std::uint64_t>(1, e.customers + e.network + (sharing ? e.shared_state : 0));
  const std::uint64_t room = limit.bytes > e.overhead ? limit.bytes - e.overhead : 0;
  return static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(room / each, 1, std::uint64_t{wanted}));
}

namespace {
std::atomic<std::uint32_t> machine_processes{1};
}  // namespace

void set_processes_per_machine(std::uint32_t processes) {
  machine_processes.store(std::max<std::uint32_t>(1, processes), std::memory_order_relaxed);
}

std::uint32_t processes_per_machine() {
  return machine_processes.load(std::memory_order_relaxed);
}

shared_room room_for_shared_builds(const scenario& s, std::uint32_t wanted, std::uint32_t runs) {
  wanted = std::max<std::uint32_t>(1, wanted);
  const auto limit = current_memory_limit();
  if (limit.bytes == 0)
    return {std::min(wanted, kept_without_limit), std::numeric_limits<std::uint64_t>::max(),
            std::numeric_limits<std::uint64_t>::max()};
  const auto e = estimate_memory(s);
  const std::uint64_t share = limit.bytes / processes_per_machine();
  // The runs in flight come first, each with the population and network it builds or holds,
  // and the initial state its kept population holds beside the run's copy.
  const std::uint64_t taken =
      e.overhead + std::uint64_t{runs} * (e.customers + e.network + e.shared_state);
  const std::uint64_t left = share > taken ? share - taken : 0;
  // Split as one kept population (customers and initial state) and one finished network take
  // it, so that the two of a replication fit side by side.
  const std::uint64_t population =
      times(s.population, static_cast<double>(population_bytes_per_agent()));
  const std::uint64_t population_share =
      population + e.network_built == 0
          ? left
          : static_cast<std::uint64_t>(static_cast<double>(left) * static_cast<double>(population) /
                                       static_cast<double>(population + e.network_built));
  return {wanted, left - population_share, population_share};
}

}  // namespace cesim
