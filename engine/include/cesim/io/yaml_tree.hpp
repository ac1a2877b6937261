#pragma once
/// A small YAML document model with exact source marks.
///
/// Built from yaml-cpp's event stream rather than YAML::Node so that loading can reject what
/// yaml-cpp accepts silently (duplicate keys, alias expansion bombs, deep nesting, several
/// documents), and so that key-path overrides (`--set`, variants, sweeps) edit the document
/// before typed validation: an override is checked exactly like a value written in the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cesim/error.hpp"

namespace cesim::io {

/// Bounds that keep hostile input from exhausting time or memory.
struct yaml_limits {
  std::size_t max_file_bytes = std::size_t{16} << 20;
  std::size_t max_nodes = 2'000'000;  ///< after alias expansion
  /// Text of all keys and scalars after alias expansion: an alias repeats its anchor's text,
  /// so a small file could otherwise ask for gigabytes.
  std::size_t max_expanded_bytes = std::size_t{64} << 20;
  std::size_t max_depth = 64;
  std::size_t max_scalar_bytes = std::size_t{1} << 20;
};

class ynode {
 public:
  enum class kind : std::uint8_t { null, scalar, sequence, map };
  struct entry;

  ynode() = default;
  static ynode make_null(source_mark mark);
  static ynode make_scalar(std::string text, bool quoted, source_mark mark);
  static ynode make_sequence(source_mark mark);
  static ynode make_map(source_mark mark);

  [[nodiscard]] kind type() const { return kind_; }
  [[nodiscard]] bool is_null() const { return kind_ == kind::null; }
  [[nodiscard]] bool is_scalar() const { return kind_ == kind::scalar; }
  [[nodiscard]] bool is_sequence() const { return kind_ == kind::sequence; }
  [[nodiscard]] bool is_map() const { return kind_ == kind::map; }
  [[nodiscard]] const source_mark& mark() const { return mark_; }

  /// Scalar text as written (without quotes).
  [[nodiscard]] const std::string& text() const { return text_; }
  /// True when the scalar was quoted: it is a string even if it looks like a number.
  [[nodiscard]] bool quoted() const { return quoted_; }

  [[nodiscard]] const std::vector<ynode>& items() const { return items_; }
  [[nodiscard]] std::vector<ynode>& items() { return items_; }
  [[nodiscard]] const std::vector<entry>& entries() const { return entries_; }
  [[nodiscard]] std::vector<entry>& entries() { return entries_; }

  [[nodiscard]] const ynode* find(std::string_view key) const;
  [[nodiscard]] ynode* find(std::string_view key);
  /// Sets or replaces a map entry.
  ynode& set(std::string key, ynode value, source_mark key_mark = {});
  bool erase(std::string_view key);
  void push_back(ynode value);

  /// Gives this subtree one mark, e.g. the command-line option that supplied it.
  void remark(const source_mark& mark);

  /// Number of nodes in this subtree, this one included.
  [[nodiscard]] std::size_t subtree_size() const;
  /// "scalar", "list", "map" or "null", for messages.
  [[nodiscard]] std::string_view type_name() const;
  /// Compact flow-style rendering, for messages and manifests.
  [[nodiscard]] std::string to_flow() const;

 private:
  kind kind_ = kind::null;
  bool quoted_ = false;
  std::string text_;
  std::vector<ynode> items_;
  std::vector<entry> entries_;
  source_mark mark_;
};

struct ynode::entry {
  std::string key;
  source_mark key_mark;
  ynode value;
};

// Defined once entry is complete: clang instantiates the vector code it calls right here, and
// that code needs entry's destructor.
inline void ynode::push_back(ynode value) {
  items_.push_back(std::move(value));
}

/// Parses one YAML document. Throws input_error naming file, line and column.
ynode parse_yaml(std::string_view text, const std::string& file_name,
                 const yaml_limits& limits = {});
/// Reads and parses a file; a missing or unreadable file is an input_error too.
ynode load_yaml_file(const std::string& path, const yaml_limits& limits = {});

/// Scalar conversions following the YAML 1.2 core schema (plus `1_000` digit grouping).
/// Return false when the text is not of that type.
bool scalar_to_double(const ynode& node, double& out);
bool scalar_to_int64(const ynode& node, std::int64_t& out);
bool scalar_to_uint64(const ynode& node, std::uint64_t& out);
bool scalar_to_bool(const ynode& node, bool& out);

/// Sets the node at a key path such as `campaigns.contest.incentive`, `touchpoints[2].reach`
/// or `segments.students.share`. A path step that is not an index selects, in a list, the
/// element whose `name` equals it. Missing map keys are created; a missing list element is
/// an error naming the known names. `origin` says where the override came from.
void set_path(ynode& root, std::string_view path, ynode value, const source_mark& origin);
/// Parses `value` as YAML flow text (a number, a string, `{mean: 0.8, sd: 0.1}`, ...).
ynode parse_override_value(std::string_view value, const source_mark& origin);

}  // namespace cesim::io
