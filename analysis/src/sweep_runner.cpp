#include "cesim/analysis/sweep_runner.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include "cesim/analysis/runner.hpp"
#include "cesim/sim/build_cache.hpp"
#include "cesim/sim/memory.hpp"
#include "cesim/sim/simulation.hpp"

namespace cesim::analysis {

std::vector<sweep_point> points_at(const sweep_spec& spec, std::size_t first_index,
                                   std::span<const double> unit) {
  const std::size_t d = spec.parameters.size();
  std::vector<sweep_point> points(d == 0 ? 0 : unit.size() / d);
  for (std::size_t i = 0; i < points.size(); ++i) {
    points[i].index = first_index + i;
    for (std::size_t k = 0; k < d; ++k) {
      auto [text, number] = value_at(spec.parameters[k], unit[i * d + k]);
      points[i].values.push_back(std::move(text));
      points[i].numbers.push_back(number);
    }
  }
  return points;
}

scenario_recipe point_recipe(const sweep_spec& spec, const std::vector<override_spec>& point,
                             const io::load_options& base) {
  // The sweep's fixed `set` first, then the command line (so --population can shrink a sweep
  // for a trial), then the point's parameters, which must win.
  scenario_recipe recipe{spec.scenario_file, base, {}};
  auto& overrides = recipe.options.overrides;
  const auto fixed = static_cast<long>(std::min(spec.fixed.size(), point.size()));
  overrides.insert(overrides.begin(), point.begin(), point.begin() + fixed);
  overrides.insert(overrides.end(), point.begin() + fixed, point.end());
  return recipe;
}

scenario load_point(const sweep_spec& spec, const std::vector<override_spec>& point,
                    const io::load_options& base) {
  const auto recipe = point_recipe(spec, point, base);
  return io::load_scenario(recipe.file, recipe.options);
}

void check_points(const sweep_spec& spec, const std::vector<std::vector<override_spec>>& points,
                  const io::load_options& base) {
  std::vector<diagnostic> problems;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& overrides : points) {
    try {
      // A point too large for memory is refused now, not after the points before it ran.
      require_memory(load_point(spec, overrides, base));
    } catch (const input_error& e) {
      // A systematic mistake repeats at every point: each (key, message) is listed once, and
      // twenty different ones say enough.
      for (const auto& p : e.problems())
        if (seen.insert({p.path, p.message}).second) problems.push_back(p);
      if (problems.size() >= 20) break;
    }
  }
  if (!problems.empty()) throw input_error(problems);
}

void run_points(const sweep_spec& spec, const std::vector<std::vector<override_spec>>& points,
                const point_run_options& options,
                const std::function<void(std::size_t, std::uint32_t, const run_result&)>& done) {
  if (points.empty()) return;
  const std::uint32_t replications = std::max<std::uint32_t>(1, options.replications);
  const scenario first = load_point(spec, points.front(), options.base);
  std::mutex progress_lock;
  job_batch batch;
  batch.jobs = points.size() * replications;
  batch.concurrent = default_concurrency(first, options.threads);
  // Replication r of every point has the same key, and points usually vary campaigns, word of
  // mouth or the market, not the customers or the network: one population and one network per
  // replication, kept while the points go by, serve them all. The cache compares every input,
  // so a point that does change them gets its own.
  std::optional<build_cache> own_cache;
  build_cache* shared = options.shared;
  if (shared == nullptr) {
    const auto room = room_for_shared_builds(first, replications, batch.concurrent);
    shared = &own_cache.emplace(room.count, room.network_bytes, room.population_bytes);
  }
  batch.run = [&](std::size_t job) {
    return run_one(load_point(spec, points[job / replications], options.base),
                   static_cast<std::uint32_t>(job % replications), options.check_invariants,
                   options.on_step, progress_lock, shared);
  };
  batch.describe = [&](std::size_t job) {
    job_description d{point_recipe(spec, points[job / replications], options.base),
                      static_cast<std::uint32_t>(job % replications), options.check_invariants};
    d.recipe.inputs = options.inputs;
    return d;
  };
  batch.done = [&](std::size_t job, run_result&& result) {
    done(job / replications, static_cast<std::uint32_t>(job % replications), result);
  };
  if (options.may_start_point)
    // A point's replications run to the end once it has started: a stop lands between points.
    batch.may_start = [&](std::size_t job) {
      return job % replications != 0 || options.may_start_point(job / replications);
    };
  batch.ran_elsewhere = [&](std::size_t) {
    count_steps_run_elsewhere(options.on_step, progress_lock, first.time.horizon);
  };
  execute(batch);
}

}  // namespace cesim::analysis
