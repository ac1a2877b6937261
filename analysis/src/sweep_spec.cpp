#include "cesim/analysis/sweep_spec.hpp"

#include <Random123/philox.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/triangular.hpp>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>

// The loader's map_reader is internal to the engine (not on its public include path); sweep
// files use it so that their messages read exactly like a scenario's.
#include "cesim/analysis/compare.hpp"
#include "cesim/analysis/sobol_sequence.hpp"
#include "cesim/config/parameters.hpp"
#include "cesim/io/yaml_tree.hpp"
#include "reader.hpp"

namespace cesim::analysis {
namespace fs = std::filesystem;
using io::ynode;
using io::detail::load_context;
using io::detail::map_reader;

std::string_view design_name(design_type type) {
  switch (type) {
    case design_type::grid:
      return "grid";
    case design_type::random:
      return "random";
    case design_type::lhs:
      return "lhs";
    case design_type::sobol:
      return "sobol";
  }
  return "grid";
}

namespace {

constexpr std::uint64_t max_replications = 1'000'000;
// Whole numbers above 2^53 are not all representable as doubles.
constexpr double max_whole = 9007199254740992.0;

std::string describe(const ynode& v) {
  return v.is_scalar() ? "'" + v.text() + "'" : "a " + std::string(v.type_name());
}

std::string mark_text(const source_mark& m) {
  return fmt::format("{}:{}:{}", m.file_name(), m.line, m.column);
}

/// A whole number in [lo, hi] at key; nullopt when absent or wrong (then with an error).
std::optional<std::uint64_t> read_count(map_reader& m, std::string_view key, std::uint64_t lo,
                                        std::uint64_t hi) {
  const ynode* v = m.get(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  std::uint64_t x = 0;
  if (!io::scalar_to_uint64(*v, x) || x < lo || x > hi) {
    m.error(key, fmt::format("must be a whole number in [{}, {}], got {}", lo, hi, describe(*v)));
    return std::nullopt;
  }
  return x;
}

/// A finite number at key; nullopt when absent (an error when required) or not a number.
std::optional<double> read_number(map_reader& m, std::string_view key, bool required) {
  const ynode* v = m.get(key);
  if (v == nullptr || v->is_null()) {
    if (required) m.error(key, "required key is missing");
    return std::nullopt;
  }
  double x = 0;
  if (!io::scalar_to_double(*v, x) || !std::isfinite(x)) {
    m.error(key, fmt::format("must be a finite number, got {}", describe(*v)));
    return std::nullopt;
  }
  return x;
}

/// Why `path` is not a key path `set_path` accepts (the same grammar), or nullopt.
std::optional<std::string> key_path_problem(std::string_view path) {
  if (path.empty()) return "it is empty";
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      const auto close = path.find(']', i);
      if (close == std::string_view::npos) return "'[' without ']'";
      const auto digits = path.substr(i + 1, close - i - 1);
      if (digits.empty() ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return "an index in [] must be a whole number";
      i = close + 1;
    } else {
      const auto end = std::min(path.find_first_of(".[", i), path.size());
      if (end == i) return "it has an empty key";
      if (path.substr(i, end - i).find(']') != std::string_view::npos) return "']' without '['";
      i = end;
    }
    if (i < path.size() && path[i] == '.') {
      ++i;
      if (i == path.size()) return "it ends with '.'";
    }
  }
  return std::nullopt;
}

/// touchpoints[2].reach -> touchpoints_2_reach: usable as a CSV column and a key.
std::string default_name(std::string_view path) {
  std::string name;
  for (char c : path) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (keep) {
      name += c;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

std::string number_text(double x, bool integer) {
  if (integer && std::fabs(x) <= max_whole) return fmt::format("{}", static_cast<std::int64_t>(x));
  return format_number(x);
}

/// The value at fraction t in [0, 1] of [low, high], linearly or log-spaced; exact at the ends.
double interpolate(double low, double high, range_scale scale, double t) {
  if (t <= 0) return low;
  if (t >= 1) return high;
  if (scale == range_scale::linear) return std::clamp(low + t * (high - low), low, high);
  // low * ratio^t gives round values at round fractions (1, 10, 100); the logarithms serve
  // when the ratio overflows.
  const double ratio = high / low;
  const double x = std::isfinite(ratio)
                       ? low * std::pow(ratio, t)
                       : std::exp(std::log(low) + t * (std::log(high) - std::log(low)));
  return std::clamp(x, low, high);
}

double whole_in(double x, double low, double high) {
  return std::clamp(std::round(x), low, high);
}

/// Number of grid levels of a parameter: an integer range has no more levels than whole
/// numbers, so its levels never repeat.
std::size_t grid_level_count(const sweep_parameter& p, std::size_t levels) {
  switch (p.kind) {
    case parameter_kind::values:
      return p.values.size();
    case parameter_kind::range:
      if (p.integer)
        return std::min<std::size_t>(levels, static_cast<std::size_t>(p.high - p.low) + 1);
      return levels;
    case parameter_kind::distribution:
      break;
  }
  throw std::invalid_argument("a grid design cannot use a distribution parameter");
}

std::vector<std::pair<std::string, double>> grid_axis(const sweep_parameter& p,
                                                      std::size_t levels) {
  const std::size_t n = grid_level_count(p, levels);
  std::vector<std::pair<std::string, double>> axis;
  axis.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (p.kind == parameter_kind::values) {
      axis.emplace_back(p.values[i], p.value_numbers[i]);
      continue;
    }
    const double t = n == 1 ? 0.5 : static_cast<double>(i) / static_cast<double>(n - 1);
    double x = interpolate(p.low, p.high, p.scale, t);
    if (p.integer) x = whole_in(x, p.low, p.high);
    axis.emplace_back(number_text(x, p.integer), x);
  }
  return axis;
}

/// Random numbers for the sampling designs: Philox keyed by (seed, purpose), counting from
/// (a, 0). Own conversions rather than std distributions, whose output differs between
/// standard libraries: a design is the same on every platform.
class design_stream {
 public:
  enum purpose : std::uint64_t { random_points = 1, lhs_strata = 2, lhs_jitter = 3 };

  design_stream(std::uint64_t seed, purpose what, std::uint64_t a)
      : key_{{seed, static_cast<std::uint64_t>(what)}}, ctr_{{a, 0, 0, 0}} {}

  std::uint64_t next() {
    if (used_ == 4) {
      out_ = r123::Philox4x64{}(ctr_, key_);
      ++ctr_.v[1];
      used_ = 0;
    }
    return out_.v[used_++];
  }
  /// Uniform on [0, 1), 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  /// Uniform on {0, ..., n - 1} (n > 0), without modulo bias.
  std::uint64_t below(std::uint64_t n) {
    constexpr auto top = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = top - top % n;
    for (;;)
      if (const std::uint64_t x = next(); x < limit) return x % n;
  }

 private:
  r123::Philox4x64::key_type key_;
  r123::Philox4x64::ctr_type ctr_;
  r123::Philox4x64::ctr_type out_{};
  unsigned used_ = 4;
};

std::vector<double> random_design(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::vector<double> u(n * d);
  // One stream per point: point i is the same whatever the number of points.
  for (std::size_t i = 0; i < n; ++i) {
    design_stream draws(seed, design_stream::random_points, i);
    for (std::size_t j = 0; j < d; ++j) u[i * d + j] = draws.unit();
  }
  return u;
}

std::vector<double> latin_hypercube(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::vector<double> u(n * d);
  const double strata = static_cast<double>(n);
  std::vector<std::size_t> stratum(n);
  for (std::size_t j = 0; j < d; ++j) {
    std::iota(stratum.begin(), stratum.end(), std::size_t{0});
    design_stream shuffle(seed, design_stream::lhs_strata, j);
    for (std::size_t i = n; i > 1; --i) std::swap(stratum[i - 1], stratum[shuffle.below(i)]);
    design_stream jitter(seed, design_stream::lhs_jitter, j);
    for (std::size_t i = 0; i < n; ++i) {
      const double k = static_cast<double>(stratum[i]);
      double x = (k + jitter.unit()) / strata;
      // Rounding may push x across a stratum boundary; floor(x * n) must be the stratum.
      while (std::floor(x * strata) > k) x = std::nextafter(x, 0.0);
      while (std::floor(x * strata) < k) x = std::nextafter(x, 1.0);
      u[i * d + j] = x;
    }
  }
  return u;
}

class sweep_reader {
 public:
  explicit sweep_reader(const std::string& file) : file_(file), ctx_{diag_, 1.0} {}

  sweep_spec read() {
    const ynode root = io::load_yaml_file(file_);
    if (root.is_null())
      throw input_error(root.mark(), "",
                        "the file is empty; a sweep needs 'sweep: 1', 'scenario', 'design' and "
                        "'parameters'");
    if (!root.is_map())
      throw input_error(root.mark(), "", "a sweep file must be a map of keys at the top level");
    if (root.find("sweep") == nullptr && root.find("segments") != nullptr)
      throw input_error(root.mark(), "",
                        "this is a scenario file, not a sweep; name it in a sweep's 'scenario'");
    spec_.file = file_;
    map_reader top(ctx_, &root, "", "", root.mark());
    read_header(top);
    read_scenario(top);
    read_metrics(top);
    read_design(top);
    read_set(top);
    read_parameters(top);
    top.finish();
    check_design(top);
    diag_.throw_if_any();
    return std::move(spec_);
  }

 private:
  void read_header(map_reader& top) {
    if (const ynode* v = top.get("sweep"); v == nullptr || v->is_null()) {
      top.error("sweep", "required key is missing: the sweep file version, 'sweep: 1'");
    } else if (double x = 0; !io::scalar_to_double(*v, x) || x != 1) {
      top.error("sweep",
                fmt::format("must be 1 (the only sweep file version), got {}", describe(*v)));
    }
    // Top-level keys starting with "x-" are ignored, as in scenarios: a home for anchors.
    for (const auto& e : top.node()->entries())
      if (e.key.rfind("x-", 0) == 0) top.get(e.key);
    std::string from_file = fs::path(file_).stem().string();
    for (char& c : from_file)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
    if (from_file.size() > 64) from_file.resize(64);
    spec_.name = top.text("name", from_file.empty() ? "sweep" : from_file);
    if (top.get("name") != nullptr && !io::detail::valid_name(spec_.name))
      top.error("name", fmt::format("sweep name '{}' may contain only letters, digits, '_' and '-' "
                                    "(at most 64; it names the output folder)",
                                    spec_.name));
    spec_.description = top.text("description");
    if (const ynode* seed = top.get("seed"); seed != nullptr && !seed->is_null()) {
      if (!io::scalar_to_uint64(*seed, spec_.seed))
        top.error("seed", fmt::format("must be a whole number in [0, 18446744073709551615], got {}",
                                      describe(*seed)));
    }
    spec_.replications = static_cast<std::uint32_t>(
        read_count(top, "replications", 1, max_replications).value_or(1));
  }

  void read_scenario(map_reader& top) {
    const auto given = top.required_text("scenario");
    if (!given) return;
    fs::path path(*given);
    if (path.is_relative()) path = fs::path(file_).parent_path() / path;
    path = path.lexically_normal();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      top.error("scenario", fmt::format("scenario file '{}' not found (looked for {}; a relative "
                                        "path starts at the sweep file's folder)",
                                        *given, path.string()));
    } else if (!fs::is_regular_file(path, ec)) {
      top.error("scenario", fmt::format("'{}' is not a file", path.string()));
    }
    spec_.scenario_file = path.string();
  }

  void read_metrics(map_reader& top) {
    std::vector<std::string> known;
    for (const auto& m : outcome_metrics()) known.emplace_back(m.name);
    const ynode* list = top.get("metrics");
    if (list == nullptr || list->is_null()) {
      spec_.metrics = known;
      return;
    }
    if (!list->is_sequence() || list->items().empty()) {
      top.error("metrics", fmt::format("must be a list of outcome metric names such as [loyalty, "
                                       "nps]; leave it out to record all, got {}",
                                       list->is_sequence() ? "an empty list" : describe(*list)));
      return;
    }
    for (std::size_t i = 0; i < list->items().size(); ++i) {
      const ynode& item = list->items()[i];
      const std::string path = fmt::format("metrics[{}]", i);
      if (!item.is_scalar()) {
        diag_.error(item.mark(), path,
                    fmt::format("must be a metric name, got {}", describe(item)));
      } else if (std::find(known.begin(), known.end(), item.text()) == known.end()) {
        diag_.error(item.mark(), path,
                    fmt::format("unknown outcome metric '{}'{}", item.text(),
                                io::detail::suggestion(item.text(), known)));
      } else if (std::find(spec_.metrics.begin(), spec_.metrics.end(), item.text()) !=
                 spec_.metrics.end()) {
        diag_.error(item.mark(), path, fmt::format("metric '{}' is listed twice", item.text()));
      } else {
        spec_.metrics.push_back(item.text());
      }
    }
  }

  void read_design(map_reader& top) {
    const ynode* node = top.get("design");
    if (node == nullptr || node->is_null()) {
      top.error("design",
                "required key is missing: how to choose the points, e.g. design: {type: lhs, "
                "points: 64} or design: {type: grid, levels: 5}");
      return;
    }
    map_reader d(ctx_, node, "design", "", top.mark());
    if (!d.present()) return;
    const std::size_t errors_before = diag_.size();
    spec_.design = d.choice<design_type>("type",
                                         {{"grid", design_type::grid},
                                          {"random", design_type::random},
                                          {"lhs", design_type::lhs},
                                          {"sobol", design_type::sobol}},
                                         design_type::grid, true);
    design_known_ = diag_.size() == errors_before;
    const auto points = read_count(d, "points", 1, max_sweep_runs);
    const auto levels = read_count(d, "levels", 2, max_sweep_runs);
    if (design_known_ && spec_.design == design_type::grid) {
      if (d.get("points") != nullptr)
        d.error("points",
                "a grid has as many points as combinations of levels and values; use 'levels' "
                "or a random, lhs or sobol design");
      spec_.levels = levels.value_or(3);
    } else if (design_known_) {
      if (d.get("levels") != nullptr)
        d.error("levels", fmt::format("only a grid has levels; a {} design takes 'points'",
                                      design_name(spec_.design)));
      if (d.get("points") == nullptr)
        d.error("points", fmt::format("required key is missing: the number of points of the {} "
                                      "design, e.g. points: 64",
                                      design_name(spec_.design)));
      spec_.points = points.value_or(0);
    }
    d.finish();
  }

  void read_set(map_reader& top) {
    const ynode* set = top.get("set");
    if (set == nullptr || set->is_null()) return;
    if (!set->is_map()) {
      top.error("set", fmt::format("must be a map of key paths to values, e.g. set: "
                                   "{{time.horizon: 13}}, got {}",
                                   describe(*set)));
      return;
    }
    for (const auto& e : set->entries()) {
      if (const auto problem = key_path_problem(e.key)) {
        diag_.error(e.key_mark, "set." + e.key, "not a valid key path: " + *problem);
        continue;
      }
      spec_.fixed.push_back(
          override_spec{e.key, e.value.to_flow(), fmt::format("{} (set)", mark_text(e.key_mark))});
      fixed_marks_.emplace(e.key, e.key_mark);
    }
  }

  void read_parameters(map_reader& top) {
    const ynode* list = top.get("parameters");
    if (list == nullptr || list->is_null() || (list->is_sequence() && list->items().empty())) {
      top.error("parameters",
                "needs at least one parameter, e.g. parameters: [{path: "
                "campaigns.contest.incentive, range: [0.1, 0.9]}]; to run the scenario alone, "
                "use cesim run");
      return;
    }
    if (!list->is_sequence()) {
      top.error("parameters", fmt::format("must be a list of parameters (path and one of range, "
                                          "values, distribution), got {}",
                                          describe(*list)));
      return;
    }
    std::map<std::string, std::size_t> by_path;
    std::map<std::string, std::size_t> by_name;
    for (std::size_t k = 0; k < list->items().size(); ++k) {
      const ynode& node = list->items()[k];
      map_reader m(ctx_, &node, fmt::format("parameters[{}]", k), "", node.mark());
      if (!m.present()) continue;
      auto p = read_parameter(m);
      m.finish();
      if (p.path.empty()) continue;
      const auto known_path = by_path.find(p.path);
      if (known_path != by_path.end()) {
        m.error("path", fmt::format("'{}' is already varied by parameters[{}] (line {})", p.path,
                                    list_index_[known_path->second],
                                    spec_.parameters[known_path->second].where.line));
        continue;
      }
      if (const auto fixed = fixed_marks_.find(p.path); fixed != fixed_marks_.end()) {
        m.error("path", fmt::format("'{}' is also fixed by 'set' (line {}); the parameter would "
                                    "override it, so remove one",
                                    p.path, fixed->second.line));
      }
      if (!p.name.empty()) {
        if (const auto known_name = by_name.find(p.name); known_name != by_name.end()) {
          m.error(m.node()->find("name") != nullptr ? "name" : "path",
                  fmt::format("name '{}' is already used by parameters[{}] (line {}); give one of "
                              "them another 'name'",
                              p.name, list_index_[known_name->second],
                              spec_.parameters[known_name->second].where.line));
          continue;
        }
      }
      by_path.emplace(p.path, spec_.parameters.size());
      by_name.emplace(p.name, spec_.parameters.size());
      spec_.parameters.push_back(std::move(p));
      list_index_.push_back(k);
    }
  }

  sweep_parameter read_parameter(map_reader& m) {
    sweep_parameter p;
    p.where = m.mark();
    if (const auto path = m.required_text("path")) {
      if (const auto problem = key_path_problem(*path))
        m.error("path", "not a valid key path: " + *problem);
      else
        p.path = *path;
    }
    if (m.get("name") != nullptr) {
      p.name = m.text("name");
      if (!io::detail::valid_name(p.name))
        m.error("name",
                fmt::format("parameter name '{}' may contain only letters, digits, '_' and '-' (at "
                            "most 64; it names an output column)",
                            p.name));
    } else if (!p.path.empty()) {
      p.name = default_name(p.path);
      if (!io::detail::valid_name(p.name))
        m.error("path", fmt::format("the column name made from this path, '{}', is too long "
                                    "(at most 64 characters); give the parameter a short 'name'",
                                    p.name));
    }

    // Exactly one way to vary the value.
    std::vector<std::string_view> kinds;
    for (std::string_view key : {"range", "values", "distribution"})
      if (const ynode* v = m.get(key); v != nullptr && !v->is_null()) kinds.push_back(key);
    const bool has_scale = m.node()->find("scale") != nullptr;
    const bool has_integer = m.node()->find("integer") != nullptr;
    p.scale = m.choice<range_scale>(
        "scale", {{"linear", range_scale::linear}, {"log", range_scale::log}}, range_scale::linear);
    p.integer = m.boolean("integer", false);
    if (kinds.empty()) {
      m.error_here("needs one of 'range', 'values' or 'distribution'");
      return p;
    }
    if (kinds.size() > 1) {
      m.error(kinds[1], fmt::format("'{}' and '{}' cannot both be given; a parameter has exactly "
                                    "one of range, values, distribution",
                                    kinds[0], kinds[1]));
      return p;
    }
    if (kinds[0] == "range") {
      p.kind = parameter_kind::range;
      read_range(m, p);
    } else if (kinds[0] == "values") {
      p.kind = parameter_kind::values;
      read_values(m, p);
    } else {
      p.kind = parameter_kind::distribution;
      read_parameter_distribution(m, p);
    }
    if (has_scale && p.kind != parameter_kind::range) m.error("scale", "only a range has a scale");
    if (has_integer && p.kind == parameter_kind::values)
      m.error("integer",
              "values are used as written; 'integer' applies to a range or a "
              "distribution");
    return p;
  }

  void read_range(map_reader& m, sweep_parameter& p) {
    const ynode& v = *m.get("range");
    double low = 0;
    double high = 0;
    if (!v.is_sequence() || v.items().size() != 2 || !io::scalar_to_double(v.items()[0], low) ||
        !io::scalar_to_double(v.items()[1], high) || !std::isfinite(low) || !std::isfinite(high)) {
      m.error("range", fmt::format("must be [low, high], two numbers, got {}", v.to_flow()));
      return;
    }
    if (!(low < high)) {
      m.error("range", fmt::format("low must be below high, got {}", v.to_flow()));
      return;
    }
    if (p.scale == range_scale::log && low <= 0) {
      m.error("range", fmt::format("scale: log needs low > 0, got {}", v.to_flow()));
      return;
    }
    if (p.integer && (low != std::floor(low) || high != std::floor(high) ||
                      std::fabs(low) > max_whole || std::fabs(high) > max_whole)) {
      m.error("range", fmt::format("integer: true needs whole-number ends (at most 2^53 in size), "
                                   "got {}",
                                   v.to_flow()));
      return;
    }
    p.low = low;
    p.high = high;
  }

  void read_values(map_reader& m, sweep_parameter& p) {
    const ynode& v = *m.get("values");
    if (!v.is_sequence() || v.items().empty()) {
      m.error("values", fmt::format("must be a non-empty list of values, e.g. [0.5, 0.6, 0.7], "
                                    "got {}",
                                    v.is_sequence() ? "an empty list" : describe(v)));
      return;
    }
    for (const auto& item : v.items()) {
      double x = std::nan("");
      if (!item.is_scalar() || item.quoted() || !io::scalar_to_double(item, x) || !std::isfinite(x))
        x = std::nan("");
      p.values.push_back(item.to_flow());
      p.value_numbers.push_back(x);
    }
  }

  void read_parameter_distribution(map_reader& m, sweep_parameter& p) {
    map_reader d(ctx_, m.get("distribution"), m.path_of("distribution"), "", m.mark());
    if (!d.present()) return;
    const std::size_t errors_before = diag_.size();
    auto& dist = p.distribution;
    dist.family = d.choice<distribution_family>("dist",
                                                {{"normal", distribution_family::normal},
                                                 {"lognormal", distribution_family::lognormal},
                                                 {"triangular", distribution_family::triangular}},
                                                distribution_family::normal, true);
    // Without a family the other keys cannot be judged.
    if (diag_.size() != errors_before) return;
    switch (dist.family) {
      case distribution_family::normal:
      case distribution_family::lognormal: {
        const auto mean = read_number(d, "mean", true);
        const auto sd = read_number(d, "sd", true);
        if (sd && *sd <= 0)
          d.error("sd", fmt::format("must be above 0, got {}", format_number(*sd)));
        if (mean && *mean <= 0 && dist.family == distribution_family::lognormal)
          d.error("mean", fmt::format("must be above 0 for a lognormal (the mean of the value "
                                      "itself), got {}",
                                      format_number(*mean)));
        dist.mean = mean.value_or(0);
        dist.sd = sd.value_or(1);
        break;
      }
      case distribution_family::triangular: {
        const auto min = read_number(d, "min", true);
        const auto mode = read_number(d, "mode", true);
        const auto max = read_number(d, "max", true);
        if (!min || !mode || !max) break;
        if (!(*min < *max))
          d.error("max", fmt::format("must be above min ({}), got {}", format_number(*min),
                                     format_number(*max)));
        else if (*mode < *min || *mode > *max)
          d.error("mode",
                  fmt::format("must lie within [min, max] = [{}, {}], got {}", format_number(*min),
                              format_number(*max), format_number(*mode)));
        dist.min = *min;
        dist.mode = *mode;
        dist.max = *max;
        break;
      }
    }
    d.finish();
  }

  /// Checks that need the design and the parameters together.
  void check_design(map_reader& top) {
    if (!design_known_ || spec_.parameters.empty()) return;
    const std::size_t d = spec_.parameters.size();
    if (spec_.design == design_type::grid) {
      bool countable = true;
      for (std::size_t k = 0; k < d; ++k) {
        const auto& p = spec_.parameters[k];
        if (p.kind != parameter_kind::distribution) continue;
        const ynode& entry = top.node()->find("parameters")->items()[list_index_[k]];
        const ynode* dist = entry.find("distribution");
        diag_.error(dist != nullptr ? dist->mark() : p.where,
                    fmt::format("parameters[{}].distribution", list_index_[k]),
                    "a grid cannot use a distribution (it has no levels); use 'range' or "
                    "'values', or a random, lhs or sobol design");
        countable = false;
      }
      if (!countable) return;
      // Saturates above the limit rather than overflowing.
      std::size_t points = 1;
      for (const auto& p : spec_.parameters)
        points = std::min(points * grid_level_count(p, spec_.levels), max_sweep_runs + 1);
      spec_.points = points;
    }
    if (spec_.design == design_type::sobol && d > sobol_max_dimensions())
      top.error("parameters", fmt::format("a sobol design supports at most {} parameters, got {}",
                                          sobol_max_dimensions(), d));
    const std::size_t runs = spec_.points * spec_.replications;
    if (spec_.points > max_sweep_runs)
      top.error("design",
                fmt::format("the grid has more than {} points, the limit", max_sweep_runs));
    else if (runs > max_sweep_runs)
      top.error("design", fmt::format("{} points x {} replications = {} runs, more than the limit "
                                      "of {}",
                                      spec_.points, spec_.replications, runs, max_sweep_runs));
  }

  std::string file_;
  diagnostics diag_;
  load_context ctx_;
  sweep_spec spec_;
  bool design_known_ = false;
  std::map<std::string, source_mark> fixed_marks_;
  std::vector<std::size_t> list_index_;  ///< of each accepted parameter in the file's list
};

}  // namespace

sweep_spec load_sweep(const std::string& path) {
  return sweep_reader(path).read();
}

std::pair<std::string, double> value_at(const sweep_parameter& p, double u) {
  if (!(u >= 0)) u = 0;  // also NaN
  if (u > 1) u = 1;
  switch (p.kind) {
    case parameter_kind::values: {
      if (p.values.empty()) throw std::invalid_argument("parameter '" + p.name + "' has no values");
      const auto n = p.values.size();
      const auto i = std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
      return {p.values[i], p.value_numbers[i]};
    }
    case parameter_kind::range: {
      if (!p.integer) {
        const double x = interpolate(p.low, p.high, p.scale, u);
        return {format_number(x), x};
      }
      // Half a unit beyond each end, so that every whole number is equally likely (log-uniform
      // weights for a log scale) and the ends are not drawn half as often.
      const double x = whole_in(interpolate(p.low - 0.5, p.high + 0.5, p.scale, u), p.low, p.high);
      return {number_text(x, true), x};
    }
    case parameter_kind::distribution: {
      // Inverse CDFs are infinite at 0 and 1; 2^-53 is about 8.2 standard deviations out.
      const double q = std::clamp(u, 0x1p-53, 1 - 0x1p-53);
      const auto& d = p.distribution;
      double x = 0;
      switch (d.family) {
        case distribution_family::normal:
          x = boost::math::quantile(boost::math::normal_distribution<>(d.mean, d.sd), q);
          break;
        case distribution_family::lognormal: {
          // mean and sd describe the value itself, as in scenario distributions.
          const double sigma2 = std::log1p((d.sd * d.sd) / (d.mean * d.mean));
          const double mu = std::log(d.mean) - sigma2 / 2;
          x = boost::math::quantile(boost::math::lognormal_distribution<>(mu, std::sqrt(sigma2)),
                                    q);
          break;
        }
        case distribution_family::triangular:
          x = boost::math::quantile(boost::math::triangular_distribution<>(d.min, d.mode, d.max),
                                    q);
          break;
      }
      if (p.integer) x = std::round(x);
      return {number_text(x, p.integer), x};
    }
  }
  return {};
}

std::vector<double> unit_design(design_type type, std::size_t n, std::size_t d,
                                std::uint64_t seed) {
  switch (type) {
    case design_type::random:
      return random_design(n, d, seed);
    case design_type::lhs:
      return latin_hypercube(n, d, seed);
    case design_type::sobol:
      // Skip the first point, the origin: every coordinate 0 is the lowest corner.
      return d == 0 ? std::vector<double>{} : sobol_points(n, d, 1);
    case design_type::grid:
      break;
  }
  throw std::invalid_argument("a grid has no unit design; use make_design");
}

std::vector<sweep_point> make_design(const sweep_spec& spec) {
  const std::size_t d = spec.parameters.size();
  std::vector<sweep_point> design;
  auto add_point = [&](std::size_t index) -> sweep_point& {
    auto& point = design.emplace_back();
    point.index = index;
    point.values.reserve(d);
    point.numbers.reserve(d);
    return point;
  };
  if (spec.design == design_type::grid) {
    std::vector<std::vector<std::pair<std::string, double>>> axes;
    std::size_t total = 1;
    for (const auto& p : spec.parameters) {
      axes.push_back(grid_axis(p, spec.levels));
      total *= axes.back().size();
    }
    design.reserve(total);
    std::vector<std::size_t> level(d, 0);
    for (std::size_t i = 0; i < total; ++i) {
      auto& point = add_point(i);
      for (std::size_t k = 0; k < d; ++k) {
        point.values.push_back(axes[k][level[k]].first);
        point.numbers.push_back(axes[k][level[k]].second);
      }
      // Odometer: the last parameter turns fastest.
      for (std::size_t k = d; k-- > 0;) {
        if (++level[k] < axes[k].size()) break;
        level[k] = 0;
      }
    }
    return design;
  }
  const auto unit = unit_design(spec.design, spec.points, d, spec.seed);
  design.reserve(spec.points);
  for (std::size_t i = 0; i < spec.points; ++i) {
    auto& point = add_point(i);
    for (std::size_t k = 0; k < d; ++k) {
      auto [text, number] = value_at(spec.parameters[k], unit[i * d + k]);
      point.values.push_back(std::move(text));
      point.numbers.push_back(number);
    }
  }
  return design;
}

std::vector<override_spec> point_overrides(const sweep_spec& spec, const sweep_point& point) {
  if (point.values.size() != spec.parameters.size())
    throw std::invalid_argument("sweep point has a different number of values than parameters");
  std::vector<override_spec> overrides = spec.fixed;
  for (std::size_t k = 0; k < spec.parameters.size(); ++k) {
    const auto& p = spec.parameters[k];
    overrides.push_back(override_spec{
        p.path, point.values[k],
        fmt::format("{} (point {}, parameters[{}])", mark_text(p.where), point.index, k)});
  }
  return overrides;
}

}  // namespace cesim::analysis
