// Social networks from edge-list files: parsing, its error messages, CSR assembly and the
// statistics `cesim network` prints.
#include <tbb/global_control.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cesim/network/network.hpp"
#include "test_support.hpp"

using namespace cesim;

namespace {

using separator = edge_list_options::separator;
using mismatch = edge_list_options::mismatch;

/// Writes `text` to `name` in `dir` and reads it as an edge list.
std::vector<edge> read_text(const test::temp_dir& dir, const std::string& name,
                            const std::string& text, edge_list_options options = {},
                            std::uint32_t agents = 100) {
  test::write_file(dir / name, text);
  options.path = (dir / name).string();
  return read_edge_list(options, agents);
}

/// The message a file gives, with the folder left out of the file name ("" if it loads).
std::string error_of(const test::temp_dir& dir, const std::string& name, const std::string& text,
                     edge_list_options options = {}, std::uint32_t agents = 100) {
  try {
    read_text(dir, name, text, options, agents);
  } catch (const input_error& e) {
    std::string message = e.what();
    const std::string folder = dir.path().string() + "/";
    if (message.rfind(folder, 0) == 0) message.erase(0, folder.size());
    return message;
  }
  return "";
}

bool same_edge(const edge& e, std::uint32_t a, std::uint32_t b, float strength = 1.0f) {
  return e.a == a && e.b == b && e.strength == strength;
}

/// Every entry's tie strength, however the network stores them.
std::vector<float> strengths_of(const social_network& net) {
  std::vector<float> out(net.neighbors.size());
  for (std::uint64_t k = 0; k < out.size(); ++k) out[k] = net.tie_strength(k);
  return out;
}

social_network assemble(std::uint32_t agents, std::vector<edge> edges) {
  return assemble_network(agents, edges);
}

/// Each agent tied to the k/2 nearest on either side (a Watts-Strogatz graph before rewiring).
social_network ring_lattice(std::uint32_t agents, std::uint32_t k) {
  std::vector<edge> edges;
  for (std::uint32_t i = 0; i < agents; ++i)
    for (std::uint32_t step = 1; step <= k / 2; ++step) edges.push_back({i, (i + step) % agents});
  return assemble_network(agents, edges);
}

}  // namespace

TEST_CASE("edge lists: comma, tab and whitespace files give the same edges", "[network][io]") {
  test::temp_dir dir;
  const std::vector<std::pair<std::string, separator>> files = {
      {"0,1\n1,2\n2,0\n", separator::comma},
      {"0\t1\n1\t2\n2\t0\n", separator::tab},
      {"0 1\n1  2\n \t2 \t 0 \n", separator::whitespace}};
  for (const auto& [text, format] : files) {
    INFO(text);
    for (const separator chosen : {separator::automatic, format}) {
      edge_list_options options;
      options.format = chosen;
      const auto edges = read_text(dir, "edges.txt", text, options);
      REQUIRE(edges.size() == 3);
      CHECK(same_edge(edges[0], 0, 1));
      CHECK(same_edge(edges[1], 1, 2));
      CHECK(same_edge(edges[2], 2, 0));
    }
  }
  // Spreadsheet exports: spaces after commas, quoted cells.
  const auto quoted = read_text(dir, "quoted.csv", "\"3\", \"4\"\n5 , 6\n");
  REQUIRE(quoted.size() == 2);
  CHECK(same_edge(quoted[0], 3, 4));
  CHECK(same_edge(quoted[1], 5, 6));
}

TEST_CASE("edge lists: comments, blank lines, CRLF and a header line are skipped",
          "[network][io]") {
  test::temp_dir dir;
  const std::string snap =
      "# Directed graph (each unordered pair of nodes is saved once): example.txt\r\n"
      "# FromNodeId\tToNodeId\r\n"
      "\r\n"
      "  % a KONECT-style comment\r\n"
      "0\t4\r\n"
      "   \r\n"
      "4\t7\r\n"
      "7\t0";  // no final newline
  const auto edges = read_text(dir, "snap.txt", snap);
  REQUIRE(edges.size() == 3);
  CHECK(same_edge(edges[0], 0, 4));
  CHECK(same_edge(edges[1], 4, 7));
  CHECK(same_edge(edges[2], 7, 0));

  edge_list_options options;
  options.skip_header = true;
  const auto with_header =
      read_text(dir, "header.csv", "# exported\nsource,target,weight\n1,2,0.5\n2,3,1\n", options);
  REQUIRE(with_header.size() == 2);
  CHECK(same_edge(with_header[0], 1, 2));
  CHECK(same_edge(with_header[1], 2, 3));
  // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first id.
  CHECK(read_text(dir, "bom.csv",
                  "\xEF\xBB\xBF"
                  "8,9\n")
            .size() == 1);
}

TEST_CASE("edge lists: 1-based ids map to agents 0..n-1", "[network][io]") {
  test::temp_dir dir;
  edge_list_options options;
  options.index_base = 1;
  const auto edges = read_text(dir, "edges.txt", "1 2\n2 10\n", options, 10);
  REQUIRE(edges.size() == 2);
  CHECK(same_edge(edges[0], 0, 1));
  CHECK(same_edge(edges[1], 1, 9));
  CHECK(error_of(dir, "edges.txt", "1 2\n0 2\n", options, 10) ==
        "edges.txt:2:1: node id 0 is below network.index_base 1: set network.index_base: 0 if "
        "the file's ids start at 0");
}

TEST_CASE("edge lists: a weight column gives tie strengths; other columns are ignored",
          "[network][io]") {
  test::temp_dir dir;
  edge_list_options options;
  options.weight_column = 3;
  // KONECT: "from to weight timestamp".
  const auto edges = read_text(dir, "out.konect",
                               "% sym unweighted\n1 2 0.5 1095135831\n2 3 4 1095135832\n"
                               "3 1 1e6 1095135833\n",
                               options);
  REQUIRE(edges.size() == 3);
  CHECK(same_edge(edges[0], 1, 2, 0.5f));
  CHECK(same_edge(edges[1], 2, 3, 4.0f));
  CHECK(same_edge(edges[2], 3, 1, 1e6f));
  // Without weight_column the third column is ignored.
  const auto unweighted = read_text(dir, "out.konect", "1 2 0.5 17\n");
  REQUIRE(unweighted.size() == 1);
  CHECK(same_edge(unweighted[0], 1, 2, 1.0f));

  options.weight_column = 4;
  CHECK(read_text(dir, "edges.csv", "1,2,x,0.25\n", options).front().strength == 0.25f);
}

TEST_CASE("edge lists: directed duplicates merge into one tie, self-loops are dropped",
          "[network][io]") {
  test::temp_dir dir;
  edge_list_options options;
  options.directed = true;
  options.weight_column = 3;
  auto edges = read_text(dir, "edges.csv", "0,1,0.5\n1,0,2\n1,2,1\n2,2,3\n0,1,0.25\n", options, 3);
  REQUIRE(edges.size() == 5);  // the reader keeps everything; assembly merges
  CHECK(same_edge(edges[3], 2, 2, 3.0f));
  const social_network net = assemble_network(3, edges);
  CHECK(net.edges() == 2);
  CHECK(net.offsets == std::vector<std::uint64_t>{0, 1, 3, 4});
  CHECK(net.neighbors == cesim::uninitialized_vector<std::uint32_t>{1, 0, 2, 1});
  CHECK(strengths_of(net) == std::vector<float>{2.0f, 2.0f, 1.0f, 1.0f});
  CHECK(net.strength_levels == std::vector<float>{0.25f, 0.5f, 1.0f, 2.0f});
}

TEST_CASE("edge lists: malformed lines name the file, line and column", "[network][io]") {
  test::temp_dir dir;
  CHECK(error_of(dir, "edges.csv", "# ids\n0 1\na b\n") ==
        "edges.csv:3:1: malformed line: expected two node ids, got 'a b'");
  CHECK(error_of(dir, "edges.csv", "0 1\n\n7\n") ==
        "edges.csv:3:1: malformed line: expected two node ids, got '7'");
  CHECK(error_of(dir, "edges.csv", "0 1\n2 x\n") ==
        "edges.csv:2:3: malformed line: expected two node ids, got '2 x'");
  CHECK(error_of(dir, "edges.csv", "0 1\n2.5 3\n") ==
        "edges.csv:2:1: malformed line: expected two node ids, got '2.5 3'");
  CHECK(error_of(dir, "edges.csv", "0,1\n3,,4\n") ==
        "edges.csv:2:3: malformed line: expected two node ids, got '3,,4'");
  // A header the user did not declare gets a hint.
  CHECK(error_of(dir, "edges.csv", "from,to\n0,1\n") ==
        "edges.csv:1:1: malformed line: expected two node ids, got 'from,to' (if this line "
        "holds column names, set network.header: true)");
  // A tab-separated file read as comma-separated has one column per line.
  edge_list_options comma;
  comma.format = separator::comma;
  CHECK(error_of(dir, "edges.tsv", "# x\n0\t1\n", comma) ==
        "edges.tsv:2:1: malformed line: expected two node ids, got '0\t1'");
}

TEST_CASE("edge lists: negative ids and ids beyond the population", "[network][io]") {
  test::temp_dir dir;
  CHECK(error_of(dir, "edges.txt", "0 1\n2 -4\n") ==
        "edges.txt:2:3: negative node id -4: ids must be non-negative integers");
  CHECK(error_of(dir, "edges.txt", "0 1\n2 10\n", {}, 10) ==
        "edges.txt:2:3: node id 10 is beyond the population of 10 agents (valid ids: 0 to 9): "
        "raise the population to at least 11 or set network.unknown_ids: drop to skip edges with "
        "unknown ids");
  edge_list_options one_based;
  one_based.index_base = 1;
  CHECK(error_of(dir, "edges.txt", "1 2\n11 3\n", one_based, 10) ==
        "edges.txt:2:1: node id 11 is beyond the population of 10 agents (valid ids: 1 to 10): "
        "raise the population to at least 11 or set network.unknown_ids: drop to skip edges with "
        "unknown ids");
  CHECK(error_of(dir, "edges.txt", "0 99999999999999999999999\n", {}, 10) ==
        "edges.txt:1:3: node id 99999999999999999999999 is beyond the population of 10 agents "
        "(valid ids: 0 to 9): raise the population or set network.unknown_ids: drop to skip edges "
        "with unknown ids");

  edge_list_options drop;
  drop.on_unknown_id = mismatch::drop;
  const auto kept = read_text(dir, "edges.txt", "0 1\n2 10\n12 3\n4 5\n", drop, 10);
  REQUIRE(kept.size() == 2);
  CHECK(same_edge(kept[0], 0, 1));
  CHECK(same_edge(kept[1], 4, 5));
  CHECK(error_of(dir, "edges.txt", "0 10\n11 3\n", drop, 10) ==
        "edges.txt: no edges: all 2 edges name ids beyond the population of 10 agents");
}

TEST_CASE("edge lists: bad tie strengths", "[network][io]") {
  test::temp_dir dir;
  edge_list_options options;
  options.weight_column = 3;
  const std::string expected_tail = " in column 3: expected a number above 0 and at most 1e6";
  for (const std::string bad : {"0", "-1", "abc", "inf", "nan", "2e6", "1e-60", "0.5x"}) {
    INFO(bad);
    CHECK(error_of(dir, "edges.txt", "0 1 1\n1 2 " + bad + "\n", options) ==
          "edges.txt:2:5: bad tie strength '" + bad + "'" + expected_tail);
  }
  CHECK(error_of(dir, "edges.txt", "0 1 1\n1 2\n", options) ==
        "edges.txt:2:1: missing tie strength: network.weight_column is 3 but the line has 2 "
        "columns");
  options.weight_column = 2;
  CHECK(error_of(dir, "edges.txt", "0 1\n", options) ==
        "edges.txt: network.weight_column 2 is not a weight column: use 0 (no weights) or the "
        "1-based "
        "column after the two node ids (3 or more)");
}

TEST_CASE("edge lists: empty, missing and compressed files", "[network][io]") {
  test::temp_dir dir;
  CHECK(error_of(dir, "empty.txt", "") == "empty.txt: no edges: the edge list has no data lines");
  CHECK(error_of(dir, "comments.txt", "# nodes: 10\n\n% nothing else\n") ==
        "comments.txt: no edges: the edge list has no data lines");
  edge_list_options header_only;
  header_only.skip_header = true;
  CHECK(error_of(dir, "header.csv", "a,b\n", header_only) ==
        "header.csv: no edges: the edge list has no data lines");

  edge_list_options missing;
  missing.path = (dir / "missing.txt").string();
  try {
    read_edge_list(missing, 10);
    FAIL("a missing file must be an error");
  } catch (const input_error& e) {
    CHECK(std::string(e.what()) ==
          missing.path + ": cannot open edge list: No such file or directory");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems().front().where.line == 0);
  }
  CHECK(error_of(dir, "edges.txt.gz", std::string("\x1f\x8b\x08\x00rest", 8)) ==
        "edges.txt.gz: the edge list is gzip-compressed: decompress it first (e.g. gunzip)");
}

TEST_CASE("edge lists: large files are streamed through a fixed buffer", "[network][io]") {
  test::temp_dir dir;
  constexpr std::uint32_t agents = 1'000'003;
  constexpr std::uint32_t lines = 2'000'000;
  const auto a_of = [](std::uint32_t k) { return k % agents; };
  const auto b_of = [](std::uint32_t k) {
    return static_cast<std::uint32_t>((std::uint64_t{k} * 7919 + 13) % agents);
  };
  std::string text = "# generated\n";
  text.reserve(std::size_t{lines} * 18);
  for (std::uint32_t k = 0; k < lines; ++k) {
    text += std::to_string(a_of(k));
    text += k % 2 == 0 ? "\t" : "\t ";
    text += std::to_string(b_of(k));
    text += k % 3 == 0 ? "\r\n" : "\n";
  }
  REQUIRE(text.size() > std::size_t{16} << 20);  // many read chunks, lines cut at their ends
  edge_list_options options;
  options.format = separator::whitespace;
  const auto edges = read_text(dir, "big.txt", text, options, agents);
  REQUIRE(edges.size() == lines);
  std::uint32_t wrong = 0;
  for (std::uint32_t k = 0; k < lines; ++k)
    if (!same_edge(edges[k], a_of(k), b_of(k))) ++wrong;
  CHECK(wrong == 0);
  CHECK(edges.capacity() == edges.size());

  // A line longer than the read buffer is refused instead of growing it.
  CHECK(error_of(dir, "long.txt", "0 1\n" + std::string(std::size_t{1} << 21, '1') + "\n") ==
        "long.txt:2:1: line longer than 1048576 bytes: is this an edge list?");
}

TEST_CASE("assembly: compressed sparse rows of a small graph", "[network][assemble]") {
  // 0-1, 0-2, 1-2, 2-3; agent 4 has no contacts.
  const social_network net = assemble(5, {{2, 3}, {1, 0}, {0, 2}, {2, 1}});
  CHECK(net.agents == 5);
  CHECK_FALSE(net.well_mixed);
  CHECK(net.offsets == std::vector<std::uint64_t>{0, 2, 4, 7, 8, 8});
  CHECK(net.neighbors == cesim::uninitialized_vector<std::uint32_t>{1, 2, 0, 2, 0, 1, 3, 2});
  CHECK_FALSE(net.weighted());
  CHECK(net.strength.empty());
  CHECK(net.strength_code.empty());
  CHECK(net.edges() == 4);
  CHECK(net.degree(2) == 3);
  CHECK(net.degree(4) == 0);
  CHECK(net.tie_strength(0) == 1.0f);
  CHECK(net.bytes() == 6 * sizeof(std::uint64_t) + 8 * sizeof(std::uint32_t));

  const social_network empty = assemble(3, {});
  CHECK(empty.offsets == std::vector<std::uint64_t>{0, 0, 0, 0});
  CHECK(empty.neighbors.empty());
  const social_network nobody = assemble(0, {});
  CHECK(nobody.offsets == std::vector<std::uint64_t>{0});
  CHECK_THROWS_AS(assemble(3, {{0, 3}}), std::invalid_argument);
}

TEST_CASE("assembly: duplicates merge keeping the strongest tie, self-loops go",
          "[network][assemble]") {
  std::vector<edge> edges = {{0, 1, 0.5f}, {1, 0, 0.75f}, {0, 1, 0.25f}, {2, 2, 0.1f},
                             {1, 2, 1.0f}, {2, 1, 1.0f},  {3, 0, 3.0f}};
  const social_network net = assemble_network(4, edges);
  CHECK(edges.empty());  // freed during assembly
  CHECK(net.offsets == std::vector<std::uint64_t>{0, 2, 4, 5, 6});
  CHECK(net.neighbors == cesim::uninitialized_vector<std::uint32_t>{1, 3, 0, 2, 1, 0});
  CHECK(strengths_of(net) == std::vector<float>{0.75f, 3.0f, 0.75f, 1.0f, 1.0f, 3.0f});
  // A few strengths: one byte per entry, an index into the ascending table of strengths (the
  // self-loop's 0.1 is not among them).
  CHECK(net.strength.empty());
  CHECK(net.strength_levels == std::vector<float>{0.25f, 0.5f, 0.75f, 1.0f, 3.0f});
  CHECK(net.strength_code == cesim::uninitialized_vector<std::uint8_t>{2, 4, 2, 3, 3, 4});
  CHECK(net.bytes() == 5 * sizeof(std::uint64_t) + 6 * sizeof(std::uint32_t) + 6 + 5 * 4);

  // A self-loop's strength does not make the network weighted; merged duplicates of 1 stay 1.
  const social_network uniform = assemble(3, {{0, 1}, {1, 0}, {2, 2, 0.5f}, {1, 2}, {1, 2}});
  CHECK_FALSE(uniform.weighted());
  CHECK(uniform.strength_levels.empty());
  CHECK(uniform.neighbors == cesim::uninitialized_vector<std::uint32_t>{1, 0, 2, 1});
  // A weaker duplicate of a strength-1 tie merges away: no strengths are needed.
  CHECK_FALSE(assemble(2, {{0, 1, 0.5f}, {1, 0, 1.0f}}).weighted());
  // One strength for all, other than 1, is still a weighted network.
  const social_network weak = assemble(3, {{0, 1, 0.5f}, {1, 2, 0.5f}});
  CHECK(weak.strength_levels == std::vector<float>{0.5f});
  CHECK(strengths_of(weak) == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
}

TEST_CASE("assembly: up to 256 distinct strengths are coded in a byte, more are kept as floats",
          "[network][assemble]") {
  // A path 0-1-2-...; tie k has strength 1 + k / 64 (exact in a float).
  const auto path = [](std::uint32_t ties) {
    std::vector<edge> edges;
    for (std::uint32_t k = 0; k < ties; ++k)
      edges.push_back({k, k + 1, 1.0f + static_cast<float>(k) / 64.0f});
    return edges;
  };
  const auto expected = [](const social_network& net) {
    std::vector<float> out;
    for (std::uint32_t i = 0; i < net.agents; ++i) {
      if (i > 0) out.push_back(1.0f + static_cast<float>(i - 1) / 64.0f);
      if (i + 1 < net.agents) out.push_back(1.0f + static_cast<float>(i) / 64.0f);
    }
    return out;
  };
  const social_network coded = assemble(257, path(256));
  CHECK(coded.strength_levels.size() == 256);
  CHECK(coded.strength_code.size() == 512);
  CHECK(coded.strength.empty());
  CHECK(strengths_of(coded) == expected(coded));

  const social_network full = assemble(258, path(257));
  CHECK(full.strength_levels.empty());
  CHECK(full.strength_code.empty());
  CHECK(full.strength.size() == 514);
  CHECK(strengths_of(full) == expected(full));
}

TEST_CASE("assembly: ties written block by block give the network of the stored list",
          "[network][assemble]") {
  // Stored ties, then generated blocks, then stored again: the network of their concatenation.
  constexpr std::uint32_t agents = 50'000;
  const auto block_ties = [](std::size_t block, std::vector<edge>& out) {
    std::mt19937_64 draw(block);
    for (int k = 0; k < 5000; ++k)
      out.push_back({static_cast<std::uint32_t>(draw() % agents),
                     static_cast<std::uint32_t>(draw() % agents),
                     static_cast<float>(draw() % 3 + 1) * 0.5f});
  };
  std::vector<edge> first = {{0, 1, 2.0f}, {5, 7, 0.5f}, {1, 0, 1.0f}};
  std::vector<edge> last = {{7, 5, 1.5f}, {3, 3, 1.0f}, {49'999, 0, 1.0f}};
  std::vector<edge> all = first;
  for (std::size_t b = 0; b < 7; ++b) block_ties(b, all);
  all.insert(all.end(), last.begin(), last.end());

  // Blocks are written from several threads: count with atomics, assert afterwards.
  std::atomic<int> writes{0};
  std::atomic<int> handed_filled{0};
  edge_source source;
  source.add(first);
  source.add_generated(7, [&](std::size_t b, std::vector<edge>& out) {
    ++writes;
    if (!out.empty()) ++handed_filled;
    block_ties(b, out);
  });
  source.add(last);
  CHECK(source.stored_ties() == 6);
  const social_network from_source = assemble_network(agents, source);
  CHECK(writes == 14);  // each block written twice: counted, then placed
  CHECK(handed_filled == 0);
  CHECK(source.stored_ties() == 0);  // released once placed

  const social_network from_list = assemble_network(agents, all);
  CHECK(from_source.offsets == from_list.offsets);
  CHECK(from_source.neighbors == from_list.neighbors);
  CHECK(strengths_of(from_source) == strengths_of(from_list));
  CHECK(from_source.strength_levels == std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f});
}

TEST_CASE("assembly: the same network with one thread or two", "[network][assemble]") {
  // Few distinct strengths travel as codes, many as floats: both ways must agree.
  const bool many_strengths = GENERATE(false, true);
  CAPTURE(many_strengths);
  std::mt19937_64 draw(42);
  constexpr std::uint32_t agents = 300'000;
  std::vector<edge> edges(1'500'000);
  for (auto& e : edges) {
    e.a = static_cast<std::uint32_t>(draw() % agents);
    // Mostly near neighbors, so that duplicates are common.
    e.b = draw() % 4 == 0 ? static_cast<std::uint32_t>(draw() % agents)
                          : static_cast<std::uint32_t>((e.a + draw() % 8) % agents);
    e.strength = static_cast<float>(draw() % (many_strengths ? 1000 : 5) + 1) * 0.25f;
  }
  // A hub with more entries (before merging) than a bucket is radix-sorted with.
  for (int repeat = 0; repeat < 15; ++repeat)
    for (std::uint32_t i = 1; i < agents; ++i)
      edges.push_back({repeat % 2 == 0 ? 7 : i, repeat % 2 == 0 ? i : 7,
                       static_cast<float>((i + static_cast<std::uint32_t>(repeat)) % 3 + 1)});

  social_network nets[2];
  for (int threads = 1; threads <= 2; ++threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(threads));
    std::vector<edge> copy = edges;
    nets[threads - 1] = assemble_network(agents, copy);
  }
  CHECK(nets[0].offsets == nets[1].offsets);
  CHECK(nets[0].neighbors == nets[1].neighbors);
  CHECK(nets[0].strength == nets[1].strength);
  CHECK(nets[0].strength_code == nets[1].strength_code);
  CHECK(nets[0].strength_levels == nets[1].strength_levels);
  CHECK(nets[0].strength_code.empty() == many_strengths);
  CHECK(nets[0].strength.empty() != many_strengths);

  // Rows sorted, without self-loops or repeats, and symmetric.
  const social_network& net = nets[0];
  REQUIRE(net.offsets.back() == net.neighbors.size());
  CHECK(net.degree(7) >= agents - 2);  // everyone but itself and perhaps agent 0
  std::uint64_t bad_rows = 0;
  std::uint64_t asymmetric = 0;
  for (std::uint32_t i = 0; i < agents; ++i) {
    for (std::uint64_t k = net.offsets[i]; k < net.offsets[i + 1]; ++k) {
      const std::uint32_t j = net.neighbors[k];
      if (j == i || (k > net.offsets[i] && net.neighbors[k - 1] >= j)) ++bad_rows;
      const auto first = net.neighbors.begin() + static_cast<std::ptrdiff_t>(net.offsets[j]);
      const auto last = net.neighbors.begin() + static_cast<std::ptrdiff_t>(net.offsets[j + 1]);
      const auto back = std::lower_bound(first, last, i);
      if (back == last || *back != i ||
          net.tie_strength(static_cast<std::uint64_t>(back - net.neighbors.begin())) !=
              net.tie_strength(k))
        ++asymmetric;
    }
  }
  CHECK(bad_rows == 0);
  CHECK(asymmetric == 0);
}

TEST_CASE("statistics: a triangle with a pendant and an isolated agent", "[network][stats]") {
  // Triangle 0-1-2, pendant 3 on 0, agent 4 alone. Clustering per agent: 1/3, 1, 1, 0, 0.
  const social_network net = assemble(5, {{0, 1}, {1, 2}, {2, 0}, {0, 3}});
  const network_statistics s = describe_network(net);
  CHECK(s.agents == 5);
  CHECK(s.edges == 4);
  CHECK(s.mean_degree == Approx(1.6));
  CHECK(s.min_degree == 0);
  CHECK(s.max_degree == 3);
  CHECK(s.degree_sd == Approx(std::sqrt(1.04)));
  CHECK(s.isolated == 1);
  CHECK(s.degree_quantiles == std::vector<std::uint64_t>{0, 1, 2, 2, 3, 3});
  CHECK(s.clustering == Approx(7.0 / 15.0));  // networkx average_clustering
  CHECK(s.clustering_sample == 5);
  CHECK(s.components == 2);
  CHECK(s.largest_component == 4);
  CHECK(s.strong_tie_share == 1.0);
}

TEST_CASE("statistics: ring lattices have clustering 3(k-2)/(4(k-1))", "[network][stats]") {
  const network_statistics small = describe_network(ring_lattice(1000, 4));
  CHECK(small.clustering == Approx(0.5));
  CHECK(small.clustering_sample == 1000);
  CHECK(small.min_degree == 4);
  CHECK(small.max_degree == 4);
  CHECK(small.degree_sd == 0.0);
  CHECK(small.components == 1);
  CHECK(small.largest_component == 1000);
  CHECK(describe_network(ring_lattice(500, 6)).clustering == Approx(0.6));

  // Beyond 200,000 agents the clustering is averaged over a sample.
  const social_network large = ring_lattice(250'000, 4);
  const network_statistics sampled = describe_network(large, 7);
  CHECK(sampled.clustering_sample == 100'000);
  CHECK(sampled.clustering == Approx(0.5));
  CHECK(sampled.components == 1);
  CHECK(sampled.largest_component == 250'000);
}

TEST_CASE("statistics: the sample is deterministic and unbiased", "[network][stats]") {
  // Agents 0..125,000 in triangles (clustering 1), the rest in pairs (clustering 0).
  constexpr std::uint32_t agents = 250'001;
  std::vector<edge> edges;
  for (std::uint32_t i = 0; i + 2 < 125'001; i += 3)
    edges.insert(edges.end(), {{i, i + 1}, {i + 1, i + 2}, {i + 2, i}});
  for (std::uint32_t i = 125'001; i + 1 < agents; i += 2) edges.push_back({i, i + 1});
  const social_network net = assemble_network(agents, edges);
  const network_statistics first = describe_network(net, 3);
  CHECK(first.clustering == describe_network(net, 3).clustering);
  CHECK(first.clustering != describe_network(net, 4).clustering);
  CHECK(first.clustering == Approx(0.5).margin(0.01));
  CHECK(first.components == 41'667 + 62'500);
  CHECK(first.largest_component == 3);
}

TEST_CASE("statistics: networks without ties, weighted ties, well-mixed", "[network][stats]") {
  const network_statistics none = describe_network(assemble(4, {}));
  CHECK(none.edges == 0);
  CHECK(none.mean_degree == 0.0);
  CHECK(none.isolated == 4);
  CHECK(none.clustering == 0.0);
  CHECK(none.components == 4);
  CHECK(none.largest_component == 1);
  CHECK(none.degree_quantiles == std::vector<std::uint64_t>(6, 0));

  const network_statistics nobody = describe_network(assemble(0, {}));
  CHECK(nobody.components == 0);
  CHECK(nobody.largest_component == 0);
  CHECK(nobody.clustering_sample == 0);

  const network_statistics weighted =
      describe_network(assemble(4, {{0, 1, 0.5f}, {1, 2, 1.0f}, {2, 3, 2.0f}}));
  CHECK(weighted.strong_tie_share == Approx(2.0 / 3.0));
  CHECK(weighted.components == 1);

  social_network mixed;
  mixed.agents = 1000;
  mixed.well_mixed = true;
  mixed.contacts_per_step = 6;
  const network_statistics well = describe_network(mixed);
  CHECK(well.agents == 1000);
  CHECK(well.mean_degree == 6.0);
  CHECK(well.edges == 0);
  CHECK(well.components == 1);
  CHECK(well.largest_component == 1000);
  CHECK(well.strong_tie_share == 1.0);
}
