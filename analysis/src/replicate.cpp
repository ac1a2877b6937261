#include "cesim/analysis/replicate.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>

#include "cesim/sim/simulation.hpp"

namespace cesim::analysis {

std::vector<segment_estimates> summarize_runs(const std::vector<run_result>& runs) {
  std::vector<segment_estimates> out;
  if (runs.empty()) return out;
  const auto metrics = summary_metrics();
  for (std::size_t s = 0; s < runs.front().summary.size(); ++s) {
    segment_estimates e;
    e.segment = runs.front().summary[s].segment;
    std::vector<double> values(runs.size());
    for (const auto& m : metrics) {
      for (std::size_t r = 0; r < runs.size(); ++r) values[r] = runs[r].summary[s].*(m.field);
      e.metrics.push_back(summarize(values));
    }
    out.push_back(std::move(e));
  }
  return out;
}

replicated_result run_replications(const scenario& s, const replication_options& options) {
  replicated_result out;
  const std::uint32_t total = std::max<std::uint32_t>(1, options.replications);
  const std::uint32_t wave = std::max<std::uint32_t>(1, options.concurrent);
  out.runs.resize(total);
  for (std::uint32_t first = 0; first < total; first += wave) {
    const std::uint32_t last = std::min(total, first + wave);
    tbb::parallel_for(first, last, [&](std::uint32_t r) {
      run_options ro;
      ro.replication = r;
      ro.check_invariants = options.check_invariants;
      if (options.on_step) ro.on_step = [&, r](std::uint32_t step) { options.on_step(r, step); };
      out.runs[r] = run_replication(s, ro);
    });
  }
  out.summary = summarize_runs(out.runs);
  return out;
}

}  // namespace cesim::analysis
