#pragma once
/// Runs a scenario at many parameter points, each for R replications, through the shared runner:
/// the engine behind `cesim sweep`, `cesim sensitivity` and `cesim calibrate`. Points are
/// described by their key-path overrides; replication r of every point uses the key (seed, r),
/// so points differ only by their parameters (common random numbers across the design).
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "cesim/analysis/sweep_spec.hpp"
#include "cesim/analysis/wire.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/io/scenario_loader.hpp"
#include "cesim/sim/build_cache.hpp"
#include "cesim/sim/results.hpp"

namespace cesim::analysis {

struct point_run_options {
  std::uint32_t replications = 1;
  unsigned threads = 1;
  /// Applied before each point's own overrides (command-line --set, --population, ...).
  io::load_options base;
  /// The input files as the command loaded them at its start; runs in other processes check
  /// theirs against these (see scenario_recipe::inputs).
  std::vector<input_file> inputs;
  bool check_invariants = false;
  std::function<void()> on_step;
  /// Asked before the first replication of each point; false stops the sweep there (a point
  /// already started still runs all its replications).
  std::function<bool(std::size_t)> may_start_point;
  /// Shares populations and networks between points (null: run_points keeps one of each per
  /// replication, as many as fit in memory next to the runs in flight).
  build_cache* shared = nullptr;
};

/// The design points at the rows of `unit` (row-major, one column per parameter), each mapped
/// by its parameter's range, values or distribution; numbered from `first_index`.
std::vector<sweep_point> points_at(const sweep_spec& spec, std::size_t first_index,
                                   std::span<const double> unit);

/// How to load the scenario of one point (in this process or another): the sweep's fixed `set`,
/// then the base options' overrides (the command line), then the point's parameter values.
scenario_recipe point_recipe(const sweep_spec& spec, const std::vector<override_spec>& point,
                             const io::load_options& base);
scenario load_point(const sweep_spec& spec, const std::vector<override_spec>& point,
                    const io::load_options& base);

/// Loads the scenario of every point before anything runs, so a value the scenario rejects
/// stops the command at once, naming the point (at most 20 problems are listed).
void check_points(const sweep_spec& spec, const std::vector<std::vector<override_spec>>& points,
                  const io::load_options& base);

/// Runs points x replications; each run loads its point's scenario (scenarios are not all kept
/// in memory). `done(point, replication, result)` is called serially in (point, replication)
/// order as runs finish, whatever the thread count.
void run_points(const sweep_spec& spec, const std::vector<std::vector<override_spec>>& points,
                const point_run_options& options,
                const std::function<void(std::size_t, std::uint32_t, const run_result&)>& done);

}  // namespace cesim::analysis
