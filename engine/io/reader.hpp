#pragma once
// Internal: typed, validating access to a YAML map. Each reader remembers which keys were asked
// for, so finish() can report every other key as unknown, with the closest known key.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cesim/config/parameters.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/error.hpp"
#include "cesim/io/yaml_tree.hpp"

namespace cesim::io::detail {

std::size_t edit_distance(std::string_view a, std::string_view b);
/// " (did you mean 'reach'?)" or " (known: a, b, c)".
std::string suggestion(std::string_view unknown, const std::vector<std::string>& known);

struct load_context {
  diagnostics& diag;
  double weeks_per_step = 1;
};

/// Converts a value declared per week (see time_scaling) to one per step.
double scale_to_step(double value, time_scaling scaling, double weeks_per_step);

class map_reader {
 public:
  /// `node` may be null (an absent optional section: every read gives its default).
  /// `table_prefix` is the parameter-table key of this map, e.g. "touchpoints[].quality".
  map_reader(load_context& ctx, const ynode* node, std::string path, std::string table_prefix,
             source_mark fallback_mark);

  [[nodiscard]] bool present() const { return node_ != nullptr && node_->is_map(); }
  [[nodiscard]] const ynode* node() const { return node_; }
  [[nodiscard]] const source_mark& mark() const;

  /// The value at key, or null. Marks the key as known.
  const ynode* get(std::string_view key);
  /// Marks keys as known without reading them (read elsewhere).
  void allow(std::initializer_list<std::string_view> keys);

  /// A parameter from the table (table_prefix + "." + key): default when absent, checked
  /// against the table's range, scaled to per-step units.
  double number(std::string_view key);
  /// Same for a table parameter without a default: nullopt when absent (no error).
  std::optional<double> maybe_number(std::string_view key);
  /// A number checked against an explicit range (for distribution parameters and the like).
  std::optional<double> bounded_number(std::string_view key, double lo, double hi, bool required,
                                       std::string_view what = "");
  std::string text(std::string_view key, std::string_view fallback = {});
  std::optional<std::string> required_text(std::string_view key);
  bool boolean(std::string_view key, bool fallback);

  template <typename E>
  E choice(std::string_view key, std::initializer_list<std::pair<std::string_view, E>> options,
           E fallback, bool required = false) {
    const ynode* v = get(key);
    if (v == nullptr) {
      if (required) error_missing(key);
      return fallback;
    }
    std::vector<std::string> names;
    for (const auto& [name, value] : options) {
      if (v->is_scalar() && v->text() == name) return value;
      names.emplace_back(name);
    }
    error_choice(key, *v, names);
    return fallback;
  }

  [[nodiscard]] std::string path_of(std::string_view key) const;
  [[nodiscard]] std::string prefix_of(std::string_view key) const;
  /// Mark of the value at key if present, else of this map.
  [[nodiscard]] source_mark mark_of(std::string_view key) const;
  void error(std::string_view key, std::string message);
  void error_here(std::string message);
  /// Reports keys never asked for. Call once, after all reads.
  void finish();

  [[nodiscard]] load_context& context() { return ctx_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  double checked(std::string_view key, const ynode& v, const param_spec& spec);
  void error_missing(std::string_view key);
  void error_choice(std::string_view key, const ynode& v, const std::vector<std::string>& names);

  load_context& ctx_;
  const ynode* node_;
  std::string path_;
  std::string table_prefix_;
  source_mark fallback_mark_;
  std::vector<std::string> known_;
};

/// Reads a number or a distribution map ({dist: beta, mean: .., sd: ..}) with domain [lo, hi].
distribution read_distribution(load_context& ctx, const ynode& node, const std::string& path,
                               double lo, double hi);

/// Names double as key-path steps and CSV values: letters, digits, '_' and '-' only.
bool valid_name(std::string_view name);

}  // namespace cesim::io::detail
