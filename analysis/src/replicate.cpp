#include "cesim/analysis/replicate.hpp"

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

std::vector<estimate> band(const std::vector<run_result>& runs,
                           const std::function<double(const run_result&, std::uint32_t)>& value) {
  std::vector<estimate> out;
  if (runs.empty()) return out;
  std::vector<double> values(runs.size());
  for (std::uint32_t t = 0; t <= runs.front().steps; ++t) {
    for (std::size_t r = 0; r < runs.size(); ++r) values[r] = value(runs[r], t);
    out.push_back(summarize(values));
  }
  return out;
}

replicated_result run_replications(const scenario& s, const replication_options& options) {
  replicated_result out;
  out.runs = std::move(run_arms(std::span<const scenario>(&s, 1), options).front());
  out.summary = summarize_runs(out.runs);
  return out;
}

}  // namespace cesim::analysis
