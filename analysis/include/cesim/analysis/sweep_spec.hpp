#pragma once
/// Sweep files: a base scenario run at many parameter points (`cesim sweep SWEEP.yaml`).
///
/// A sweep names a scenario, the key paths to vary and how (a range, a list of values or a
/// distribution), and a design that chooses the points. Each point becomes a list of key-path
/// overrides, applied to the scenario exactly like `--set`, so a value the scenario would
/// reject is reported with the sweep file's line. The format is documented in docs/sweep-spec.md.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/error.hpp"

namespace cesim::analysis {

enum class design_type { grid, random, lhs, sobol };
/// "grid", "random", "lhs" or "sobol".
std::string_view design_name(design_type type);

enum class parameter_kind { range, values, distribution };
enum class range_scale { linear, log };
enum class distribution_family { normal, lognormal, triangular };

/// A distribution of one parameter, sampled by its inverse CDF.
struct sweep_distribution {
  distribution_family family = distribution_family::normal;
  double mean = 0;  ///< normal, lognormal (of the value itself, not of its logarithm)
  double sd = 0;    ///< normal, lognormal
  double min = 0;   ///< triangular
  double mode = 0;  ///< triangular
  double max = 0;   ///< triangular
};

struct sweep_parameter {
  std::string name;   ///< short column name, unique in the sweep
  std::string path;   ///< scenario key path, as for `cesim run --set`
  source_mark where;  ///< of the parameter's entry in the sweep file
  parameter_kind kind = parameter_kind::range;

  // kind == range
  double low = 0;
  double high = 1;
  range_scale scale = range_scale::linear;
  /// Rounded to whole numbers (range or distribution).
  bool integer = false;

  // kind == values: each as YAML flow text, and as a number (NaN when not numeric)
  std::vector<std::string> values;
  std::vector<double> value_numbers;

  // kind == distribution
  sweep_distribution distribution;
};

struct sweep_spec {
  std::string file;  ///< the sweep file as given
  std::string name;  ///< `name`, or the file name made safe
  std::string description;
  std::string scenario_file;  ///< resolved against the sweep file's folder; exists
  std::uint64_t seed = 1;     ///< design seed (random, lhs); not the scenario's seed
  std::uint32_t replications = 1;
  std::vector<std::string> metrics;  ///< outcome_metrics() names, in the order given
  design_type design = design_type::grid;
  std::size_t points = 0;  ///< number of design points (for grid: the product of the levels)
  std::size_t levels = 3;  ///< grid levels of each `range` parameter
  std::vector<override_spec> fixed;  ///< `set`, applied to every point before the parameters
  std::vector<sweep_parameter> parameters;
};

/// Upper bound on points x replications, so a typo cannot start a run of years.
inline constexpr std::size_t max_sweep_runs = 1'000'000;

/// Reads and validates a sweep file. Does not load the scenario (see point_overrides).
/// Throws input_error listing every problem, each with file:line:column and key path.
sweep_spec load_sweep(const std::string& path);

/// One design point: its index (0-based) and, per parameter, the value as YAML flow text and
/// as a number (NaN for non-numeric values).
struct sweep_point {
  std::size_t index = 0;
  std::vector<std::string> values;
  std::vector<double> numbers;
};

/// The whole design, a pure function of the spec (the random designs are seeded by spec.seed).
/// grid: full factorial in row-major order, the last parameter varying fastest.
std::vector<sweep_point> make_design(const sweep_spec& spec);

/// Overrides for a point: the fixed `set` first, then one per parameter, each with an origin
/// such as "sweep.yaml:14:5 (point 17, parameters[2])" that scenario errors will show.
std::vector<override_spec> point_overrides(const sweep_spec& spec, const sweep_point& point);

/// Maps a unit-cube coordinate u in [0, 1) to a parameter value, as text and number (NaN when
/// not numeric). u = 0 gives the low end, u near 1 the high end (see docs/sweep-spec.md).
/// Used by make_design and by sensitivity analyses that make their own unit designs.
std::pair<std::string, double> value_at(const sweep_parameter& parameter, double u);

/// n x d points in [0, 1)^d, row-major, for the sampling designs (random, lhs, sobol); the same
/// points make_design maps. Throws std::invalid_argument for grid.
std::vector<double> unit_design(design_type type, std::size_t n, std::size_t d, std::uint64_t seed);

}  // namespace cesim::analysis
