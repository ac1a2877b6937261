#pragma once
/// Text, JSON and tidy CSV for comparisons, touchpoint priorities and time-series bands.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cesim/analysis/compare.hpp"
#include "cesim/config/scenario.hpp"

namespace cesim::analysis {

/// Per variant: incremental customers, retention, loyalty, NPS, reach, revenue, customer equity,
/// cost and return on cost, each with the half-width of its paired 95% interval.
std::string comparison_table(const comparison& c);
/// `arms[k]` is the scenario of arm k (0 = baseline): its overrides are listed.
nlohmann::json comparison_json(const comparison& c, const std::vector<scenario>& arms);
/// One row per variant x segment x metric (columns documented in docs/cli.md).
std::string comparison_csv(const comparison& c);

/// One row per arm x replication x segment x outcome metric: the raw paired observations.
std::string runs_csv(const std::vector<std::string>& names,
                     const std::vector<std::vector<run_result>>& runs);
/// One row per arm x step x segment x series metric: mean and 95% interval across replications.
std::string bands_csv(const std::vector<std::string>& names,
                      const std::vector<std::vector<run_result>>& runs);

std::string priority_table(const priorities& p);
nlohmann::json priorities_json(const priorities& p);
/// One row per touchpoint x action (improve, remove) x metric, with the rank.
std::string priorities_csv(const priorities& p);

}  // namespace cesim::analysis
