// Edge-list files (SNAP, KONECT, CSV exports): streamed through a fixed buffer, so loading a
// file costs memory for its edges only, never for its text.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cesim/network/network.hpp"

namespace cesim {
namespace {

constexpr std::size_t read_chunk_bytes = std::size_t{1} << 20;
/// Edges are collected in blocks and joined once at the end: a growing vector would briefly
/// hold three times its size while reallocating.
constexpr std::size_t edges_per_block = std::size_t{1} << 20;
constexpr double max_strength = 1e6;
constexpr std::size_t quoted_line_limit = 60;

using separator = edge_list_options::separator;

struct file_closer {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using file_handle = std::unique_ptr<std::FILE, file_closer>;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

/// A line as it may appear in a message: printable, and short enough to read.
std::string quoted(std::string_view line) {
  std::string text;
  for (const char c : line.substr(0, quoted_line_limit)) {
    const auto byte = static_cast<unsigned char>(c);
    text += ((byte < 0x20 && c != '\t') || byte == 0x7f) ? '?' : c;
  }
  if (line.size() > quoted_line_limit) text += "...";
  return "'" + text + "'";
}

/// One column of a data line; `column` is its 1-based character position, for messages.
struct field {
  std::string_view text;
  int column = 0;
};

class edge_list_parser {
 public:
  edge_list_parser(const edge_list_options& options, std::uint32_t agents)
      : options_(options),
        agents_(agents),
        file_(std::make_shared<const std::string>(options.path)),
        format_(options.format),
        header_pending_(options.skip_header),
        columns_needed_(static_cast<std::size_t>(std::max(2, options.weight_column))) {
    if (options.index_base < 0)
      fail(0, 0, fmt::format("network.index_base {} is negative: use 0 or 1", options.index_base));
    if (options.weight_column < 0 || options.weight_column == 1 || options.weight_column == 2)
      fail(0, 0,
           fmt::format("network.weight_column {} is not a weight column: use 0 (no weights) or the "
                       "1-based column after the two node ids (3 or more)",
                       options.weight_column));
  }

  std::vector<edge> read() {
    file_handle file(std::fopen(options_.path.c_str(), "rb"));
    if (!file) fail(0, 0, fmt::format("cannot open edge list: {}", std::strerror(errno)));

    // Not zeroed: fread fills what is read, and clearing a megabyte per small file dominated
    // the time of reading it.
    const auto buffer_owner = std::make_unique_for_overwrite<char[]>(read_chunk_bytes);
    const std::span<char> buffer(buffer_owner.get(), read_chunk_bytes);
    std::size_t filled = 0;  // bytes in the buffer, starting with the unfinished line
    bool first_chunk = true;
    for (bool at_end = false; !at_end;) {
      const std::size_t wanted = buffer.size() - filled;
      const std::size_t got = std::fread(buffer.data() + filled, 1, wanted, file.get());
      if (got < wanted) {
        if (std::ferror(file.get()))
          fail(0, 0, fmt::format("cannot read edge list: {}", std::strerror(errno)));
        at_end = true;
      }
      filled += got;

      std::size_t start = 0;
      if (first_chunk) {
        first_chunk = false;
        start = check_file_start(std::string_view(buffer.data(), filled));
      }
      while (start < filled) {
        const char* begin = buffer.data() + start;
        const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', filled - start));
        if (newline == nullptr) break;
        parse_line(std::string_view(begin, static_cast<std::size_t>(newline - begin)));
        start = static_cast<std::size_t>(newline - buffer.data()) + 1;
      }
      if (at_end) {
        if (start < filled) parse_line(std::string_view(buffer.data() + start, filled - start));
        break;
      }
      if (start == 0 && filled == buffer.size())
        fail(line_ + 1, 1,
             fmt::format("line longer than {} bytes: is this an edge list?", buffer.size()));
      std::memmove(buffer.data(), buffer.data() + start, filled - start);
      filled -= start;
    }
    return join_blocks();
  }

 private:
  [[noreturn]] void fail(std::uint64_t line, int column, std::string message) const {
    const int line_number = static_cast<int>(std::min<std::uint64_t>(line, INT_MAX));
    throw input_error(source_mark{file_, line_number, column}, "", std::move(message));
  }

  /// Skips a UTF-8 byte-order mark and refuses compressed downloads with a useful hint.
  std::size_t check_file_start(std::string_view head) const {
    if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
        static_cast<unsigned char>(head[1]) == 0x8b)
      fail(0, 0, "the edge list is gzip-compressed: decompress it first (e.g. gunzip)");
    return head.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  }

  void parse_line(std::string_view line) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#' || content.front() == '%') return;
    if (header_pending_) {
      header_pending_ = false;
      return;
    }
    if (format_ == separator::automatic) format_ = detect_separator(content);
    const bool first_data_line = !seen_data_;
    seen_data_ = true;

    split(line);
    if (fields_.size() < 2) malformed(line, 1, first_data_line);
    const std::uint32_t a = agent_id(fields_[0], line, first_data_line);
    const std::uint32_t b = agent_id(fields_[1], line, first_data_line);
    const float strength = options_.weight_column > 0 ? tie_strength() : 1.0f;
    if (a == unknown_id || b == unknown_id) {
      ++dropped_;
      return;
    }
    store(edge{a, b, strength});
  }

  static separator detect_separator(std::string_view line) {
    if (line.find(',') != std::string_view::npos) return separator::comma;
    if (line.find('\t') != std::string_view::npos) return separator::tab;
    return separator::whitespace;
  }

  /// Fills fields_ with the columns up to the last one needed (later columns are ignored).
  void split(std::string_view line) {
    fields_.clear();
    std::size_t pos = 0;
    if (format_ == separator::whitespace) {
      while (fields_.size() < columns_needed_) {
        while (pos < line.size() && is_blank(line[pos])) ++pos;
        if (pos == line.size()) break;
        const std::size_t begin = pos;
        while (pos < line.size() && !is_blank(line[pos])) ++pos;
        fields_.push_back(field{line.substr(begin, pos - begin), static_cast<int>(begin) + 1});
      }
      return;
    }
    const char delimiter = format_ == separator::comma ? ',' : '\t';
    while (fields_.size() < columns_needed_) {
      const std::size_t end = std::min(line.find(delimiter, pos), line.size());
      std::string_view text = line.substr(pos, end - pos);
      std::size_t begin = pos;
      while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
        ++begin;
      }
      text = trim(text);
      // Spreadsheet exports quote every cell.
      if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        text = text.substr(1, text.size() - 2);
        ++begin;
      }
      fields_.push_back(field{text, static_cast<int>(begin) + 1});
      if (end == line.size()) break;
      pos = end + 1;
    }
  }

  [[noreturn]] void malformed(std::string_view line, int column, bool first_data_line) const {
    std::string message =
        fmt::format("malformed line: expected two node ids, got {}", quoted(trim(line)));
    const bool has_letters = std::any_of(line.begin(), line.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
    if (first_data_line && !options_.skip_header && has_letters)
      message += " (if this line holds column names, set network.header: true)";
    fail(line_, column, std::move(message));
  }

  static constexpr std::uint32_t unknown_id = std::numeric_limits<std::uint32_t>::max();

  /// The agent a node id names, or unknown_id for an edge to drop.
  std::uint32_t agent_id(const field& f, std::string_view line, bool first_data_line) const {
    std::string_view text = f.text;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (!f.text.empty() && f.text.front() == '-') {
      std::uint64_t magnitude = 0;
      const auto [ptr, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), magnitude);
      if (ptr == text.data() + text.size() && ec != std::errc::invalid_argument)
        fail(line_, f.column,
             fmt::format("negative node id {}: ids must be non-negative integers", f.text));
      malformed(line, f.column, first_data_line);
    }
    std::uint64_t id = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ptr != text.data() + text.size() || ec == std::errc::invalid_argument || text.empty())
      malformed(line, f.column, first_data_line);
    const bool huge = ec == std::errc::result_out_of_range;
    const auto base = static_cast<std::uint64_t>(options_.index_base);
    if (!huge && id < base)
      fail(
          line_, f.column,
          fmt::format(
              "node id {} is below network.index_base {}: set network.index_base: {} if the file's "
              "ids start at {}",
              id, base, id, id));
    if (!huge && id - base < agents_) return static_cast<std::uint32_t>(id - base);
    if (options_.on_unknown_id == edge_list_options::mismatch::drop) return unknown_id;

    const std::string valid = agents_ == 0
                                  ? std::string("no ids are valid")
                                  : fmt::format("valid ids: {} to {}", base, base + agents_ - 1);
    const std::string needed = huge ? std::string() : fmt::format(" to at least {}", id - base + 1);
    fail(line_, f.column,
         fmt::format("node id {} is beyond the population of {} agents ({}): raise the "
                     "population{} or set network.unknown_ids: drop to skip edges with unknown ids",
                     f.text, agents_, valid, needed));
  }

  float tie_strength() const {
    const auto column = static_cast<std::size_t>(options_.weight_column);
    if (fields_.size() < column)
      fail(line_, 1,
           fmt::format(
               "missing tie strength: network.weight_column is {} but the line has {} columns",
               column, fields_.size()));
    const field& f = fields_[column - 1];
    std::string_view text = f.text;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const auto strength = static_cast<float>(value);
    const bool parsed = ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
    if (!parsed || !std::isfinite(value) || !(value > 0) || value > max_strength || !(strength > 0))
      fail(line_, f.column,
           fmt::format("bad tie strength '{}' in column {}: expected a number above 0 and at "
                       "most 1e6",
                       f.text, column));
    return strength;
  }

  void store(const edge& e) {
    if (blocks_.empty() || blocks_.back().size() == edges_per_block) {
      blocks_.emplace_back();
      // Small files grow their one block as needed; large ones get full blocks at once.
      if (blocks_.size() > 1) blocks_.back().reserve(edges_per_block);
    }
    blocks_.back().push_back(e);
  }

  std::vector<edge> join_blocks() {
    std::size_t total = 0;
    for (const auto& block : blocks_) total += block.size();
    if (total == 0) {
      if (dropped_ > 0)
        fail(0, 0,
             fmt::format("no edges: all {} edges name ids beyond the population of {} agents",
                         dropped_, agents_));
      fail(0, 0, "no edges: the edge list has no data lines");
    }
    if (blocks_.size() == 1) {
      blocks_.front().shrink_to_fit();
      return std::move(blocks_.front());
    }
    std::vector<edge> edges;
    edges.reserve(total);
    for (auto& block : blocks_) {
      edges.insert(edges.end(), block.begin(), block.end());
      std::vector<edge>().swap(block);  // free as we go: peak memory stays one block above
    }
    return edges;
  }

  const edge_list_options& options_;
  std::uint32_t agents_;
  std::shared_ptr<const std::string> file_;
  separator format_;
  bool header_pending_;
  bool seen_data_ = false;
  std::size_t columns_needed_;
  std::uint64_t line_ = 0;
  std::uint64_t dropped_ = 0;
  std::vector<field> fields_;
  std::vector<std::vector<edge>> blocks_;
};

}  // namespace

std::vector<edge> read_edge_list(const edge_list_options& options, std::uint32_t agents) {
  return edge_list_parser(options, agents).read();
}

}  // namespace cesim
