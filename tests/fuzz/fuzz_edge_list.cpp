// Fuzz target: bytes as an edge-list file, read by cesim::read_edge_list under option sets
// chosen from the first two bytes (which stay part of the file, so plain edge lists are good
// seeds), then assembled into the CSR network by assemble_network. Acceptable outcomes: edges
// whose network matches a simple reference, or an input_error naming the file. Anything else
// (another exception, a crash, a sanitizer report, a hang, huge memory) is a finding.
#include <tbb/global_control.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <typeinfo>
#include <utility>
#include <vector>

#include "cesim/network/network.hpp"
#include "fuzz_support.hpp"

namespace {

using cesim::edge;
using cesim::edge_list_options;
using cesim::fuzz::finding;

/// Populations to read against: empty, tiny, and large enough for several CSR buckets and two
/// radix passes (ids above 12 bits).
constexpr std::array<std::uint32_t, 8> agent_counts{0, 1, 2, 3, 10, 100, 1025, 5000};
/// weight_column values: none, the usual third and a later column, and one the reader refuses.
constexpr std::array<int, 4> weight_columns{0, 3, 4, 2};

struct trial {
  edge_list_options options;
  std::uint32_t agents = 100;
};

/// Every option from the bits of one byte; the population from another.
trial decode(std::uint8_t options_byte, std::uint8_t agents_byte) {
  trial t;
  auto& o = t.options;
  o.format = static_cast<edge_list_options::separator>(options_byte & 3u);
  o.index_base = (options_byte >> 2) & 1;
  o.directed = ((options_byte >> 3) & 1u) != 0;
  o.skip_header = ((options_byte >> 4) & 1u) != 0;
  o.on_unknown_id = ((options_byte >> 5) & 1u) != 0 ? edge_list_options::mismatch::drop
                                                    : edge_list_options::mismatch::error;
  o.weight_column = weight_columns[(options_byte >> 6) & 3u];
  t.agents = agent_counts[agents_byte & 7u];
  return t;
}

/// The network assemble_network must build: each unordered pair of distinct agents once, with
/// the largest strength given for it.
std::map<std::pair<std::uint32_t, std::uint32_t>, float> reference_ties(
    const std::vector<edge>& edges) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, float> ties;
  for (const edge& e : edges) {
    if (e.a == e.b) continue;
    const auto key = std::minmax(e.a, e.b);
    auto [it, inserted] = ties.emplace(key, e.strength);
    if (!inserted) it->second = std::max(it->second, e.strength);
  }
  return ties;
}

void check_network(const cesim::social_network& net, const std::vector<edge>& edges,
                   std::uint32_t agents) {
  auto require = [](bool ok, std::string_view what) {
    if (!ok) finding(fmt::format("assemble_network: {}", what));
  };
  const auto ties = reference_ties(edges);
  require(net.agents == agents && !net.well_mixed, "wrong agent count");
  require(net.offsets.size() == std::size_t{agents} + 1 && net.offsets.front() == 0 &&
              net.offsets.back() == net.neighbors.size(),
          "offsets do not frame the neighbour array");
  require(net.strength.empty() || net.strength.size() == net.neighbors.size(),
          "strengths and neighbours differ in length");
  require(net.strength_code.empty() || net.strength_code.size() == net.neighbors.size(),
          "strength codes and neighbours differ in length");
  require(net.strength.empty() || net.strength_code.empty(), "strengths stored twice");
  require(std::is_sorted(net.strength_levels.begin(), net.strength_levels.end()) &&
              net.strength_levels.size() <= 256 &&
              (net.strength_levels.empty() == net.strength_code.empty()),
          "strength table not ascending, too long, or without codes");
  require(net.neighbors.size() == 2 * ties.size(), "not every tie stored in both directions once");
  bool all_one = true;
  for (const auto& [pair, strength] : ties) all_one = all_one && strength == 1.0f;
  require(net.weighted() != all_one, "strengths kept or dropped wrongly");
  for (std::uint32_t i = 0; i < agents; ++i) {
    require(net.offsets[i] <= net.offsets[i + 1], "offsets decrease");
    for (std::uint64_t k = net.offsets[i]; k < net.offsets[i + 1]; ++k) {
      const std::uint32_t j = net.neighbors[k];
      require(j < agents && j != i, "neighbour out of range or a self-loop");
      require(k == net.offsets[i] || net.neighbors[k - 1] < j, "row not strictly increasing");
      const auto it = ties.find(std::minmax(i, j));
      require(it != ties.end(), "a tie that is not in the edge list");
      require(net.tie_strength(k) == it->second, "tie strength is not the largest given");
    }
  }
}

void run_trial(const trial& t, const std::string& path) {
  edge_list_options options = t.options;
  options.path = path;
  std::vector<edge> edges;
  try {
    edges = cesim::read_edge_list(options, t.agents);
  } catch (const cesim::input_error& e) {
    cesim::fuzz::check_input_error(e, "read_edge_list");
    for (const auto& problem : e.problems())
      if (*problem.where.file != path)
        finding(
            fmt::format("read_edge_list: a problem names another file: '{}'", problem.to_string()));
    return;
  } catch (const std::exception& e) {
    finding(fmt::format("read_edge_list threw {} instead of input_error: {}", typeid(e).name(),
                        e.what()));
  }
  for (const edge& e : edges)
    if (e.a >= t.agents || e.b >= t.agents || !(e.strength > 0))
      finding("read_edge_list returned an edge outside the population or without strength");
  try {
    std::vector<edge> consumed = edges;  // assemble_network frees its argument
    check_network(cesim::assemble_network(t.agents, consumed), edges, t.agents);
  } catch (const std::exception& e) {
    finding(fmt::format("assemble_network threw {}: {}", typeid(e).name(), e.what()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cesim::fuzz::input_file input("edges.txt");
  // Inputs this small are assembled in one part anyway; idle TBB workers spinning next to the
  // fuzzer would only halve its speed on a small machine.
  static const tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
  input.write(data, size);
  const std::uint8_t first = size > 0 ? data[0] : 0;
  const std::uint8_t second = size > 1 ? data[1] : 0;
  run_trial(trial{}, input.path());  // the defaults: automatic separator, 0-based, 100 agents
  run_trial(decode(first, second), input.path());
  run_trial(decode(second, first), input.path());
  return 0;
}
