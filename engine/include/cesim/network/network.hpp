#pragma once
/// The social network over customers: undirected, stored as compressed sparse rows with 32-bit
/// agent ids. The contacts of agent i are neighbors[offsets[i] .. offsets[i + 1]), sorted, without
/// self-loops or duplicates; tie strengths (if not all 1) sit at the same positions.
///
/// Most networks know only a few strengths (the generators: strong and weak ties), so each entry
/// then holds a one-byte code into a short table of the strengths: a quarter of the memory of a
/// float per entry. Networks with more than 256 distinct strengths (weighted edge-list files)
/// keep a float per entry.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cesim/error.hpp"
#include "cesim/util/default_init.hpp"

namespace cesim {

struct social_network {
  std::uint32_t agents = 0;
  /// Well-mixed: no stored edges; each receiver samples `contacts_per_step` random others per step.
  bool well_mixed = false;
  std::uint32_t contacts_per_step = 0;
  std::vector<std::uint64_t> offsets;  ///< agents + 1 entries (empty when well-mixed)
  /// Filled in parallel as the network is built, so not zeroed first.
  uninitialized_vector<std::uint32_t> neighbors;
  /// Per entry, the index of its tie's strength in `strength_levels` (ascending, at most 256
  /// strengths); or empty.
  uninitialized_vector<std::uint8_t> strength_code;
  std::vector<float> strength_levels;
  /// Per entry, its tie's strength, when there are too many distinct strengths for codes; or
  /// empty. With neither codes nor strengths, every tie has strength 1.
  uninitialized_vector<float> strength;

  [[nodiscard]] std::uint64_t degree(std::uint32_t i) const { return offsets[i + 1] - offsets[i]; }
  /// Undirected edges (each stored twice).
  [[nodiscard]] std::uint64_t edges() const { return neighbors.size() / 2; }
  /// Whether some tie has a strength other than 1.
  [[nodiscard]] bool weighted() const { return !strength_code.empty() || !strength.empty(); }
  [[nodiscard]] float tie_strength(std::uint64_t entry) const {
    if (!strength_code.empty()) return strength_levels[strength_code[entry]];
    return strength.empty() ? 1.0f : strength[entry];
  }
  [[nodiscard]] std::size_t bytes() const;
};

/// One undirected edge before CSR assembly.
struct edge {
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  float strength = 1.0f;
};

/// The ties of a network as a sequence of parts, read in order, that assembly reads twice (once
/// to count, once to place): stored lists, or blocks that a generator writes afresh on each read.
/// A generated network's edge list (12 bytes a tie, 1.2 GB at 10 million customers and mean
/// degree 20) is then never held whole: recomputing a block costs about what first writes to that
/// much fresh memory cost (docs/performance.md).
class edge_source {
 public:
  /// Writes the ties of block `block` into `out` (empty on entry), the same ones on every call.
  using block_writer = std::function<void(std::size_t block, std::vector<edge>& out)>;

  /// Stored ties, kept until release().
  void add(std::vector<edge> ties);
  /// `blocks` generated blocks, in block order.
  void add_generated(std::size_t blocks, block_writer write);

  /// One part: stored ties, or a generated block.
  struct part {
    std::span<const edge> stored;
    const block_writer* write = nullptr;
    std::size_t block = 0;
  };
  /// The parts in order, stored lists cut to at most `max_stored_part` ties each so that a large
  /// one (a file) can be read by several threads.
  [[nodiscard]] std::vector<part> parts(std::size_t max_stored_part) const;
  /// Calls fn(std::span<const edge>) with the part's ties; `scratch` holds a generated block.
  template <typename Fn>
  static void read(const part& p, std::vector<edge>& scratch, Fn&& fn) {
    if (p.write == nullptr) {
      fn(p.stored);
      return;
    }
    scratch.clear();
    (*p.write)(p.block, scratch);
    fn(std::span<const edge>(scratch));
  }
  /// Ties held in memory: stored lists only.
  [[nodiscard]] std::size_t stored_ties() const;
  /// Frees the stored lists (the parts that refer to them become invalid).
  void release();

 private:
  std::vector<std::vector<edge>> stored_;
  struct generated {
    std::size_t blocks;
    std::unique_ptr<block_writer> write;  ///< parts point at it: it never moves
  };
  /// In order of addition: an index into stored_ (is_stored) or into generated_.
  struct segment {
    bool is_stored;
    std::size_t index;
  };
  std::vector<generated> generated_;
  std::vector<segment> order_;
};

/// Builds the CSR form from the ties (in parallel): both directions are stored, self-loops
/// dropped, duplicates merged keeping the largest strength; the strengths are dropped when every
/// tie is 1. Releases the source's stored ties once they are no longer needed.
social_network assemble_network(std::uint32_t agents, edge_source& source);
/// The same from an edge list. Frees `edges` once it is no longer needed.
social_network assemble_network(std::uint32_t agents, std::vector<edge>& edges);

/// Options of an edge-list file (public network collections: CSV, TSV or whitespace separated,
/// `#` or `%` comment lines, 0- or 1-based ids, directed or undirected, optional weight column).
struct edge_list_options {
  std::string path;
  enum class separator : std::uint8_t {
    automatic,
    comma,
    tab,
    whitespace
  } format = separator::automatic;
  int index_base = 0;     ///< 0 or 1: the id of the first customer in the file
  bool directed = false;  ///< a directed edge a->b becomes the undirected tie a-b
  int weight_column = 0;  ///< 1-based column holding the tie strength; 0: none (strength 1)
  /// What to do with ids >= the population: refuse (error naming the line) or drop those edges.
  enum class mismatch : std::uint8_t { error, drop } on_unknown_id = mismatch::error;
  bool skip_header = false;  ///< first non-comment line holds column names
};

/// Streams an edge-list file into edges without holding its text in memory. Errors
/// (unreadable file, malformed line, id out of range, bad weight) are input_errors naming the
/// file and line. Ids are mapped to agents as id - index_base.
std::vector<edge> read_edge_list(const edge_list_options& options, std::uint32_t agents);

/// What `cesim network` prints: enough to check the network is the one intended.
struct network_statistics {
  std::uint32_t agents = 0;
  std::uint64_t edges = 0;
  double mean_degree = 0;
  std::uint64_t min_degree = 0;
  std::uint64_t max_degree = 0;
  double degree_sd = 0;
  std::uint64_t isolated = 0;                   ///< agents without contacts
  std::vector<std::uint64_t> degree_quantiles;  ///< degree at 10 %, 25 %, 50 %, 75 %, 90 %, 99 %
  double clustering = 0;  ///< average local clustering coefficient (sampled for large networks)
  std::uint64_t clustering_sample = 0;  ///< agents averaged over
  std::uint64_t components = 0;
  std::uint64_t largest_component = 0;
  double strong_tie_share = 1;  ///< share of ties with strength 1
};
network_statistics describe_network(const social_network& net, std::uint64_t seed = 1);

}  // namespace cesim
