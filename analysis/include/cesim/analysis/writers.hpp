#pragma once
/// Writers turn results into text: the terminal table, JSON, tidy CSV and the run manifest.
/// They never compute model quantities; they format what the engine and statistics produced.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cesim/analysis/replicate.hpp"
#include "cesim/config/scenario.hpp"

namespace cesim::analysis {

/// Facts about a run for its manifest.
struct run_info {
  std::string command;  ///< "run", "compare", ...
  std::vector<std::string> arguments;
  std::uint64_t seed = 0;
  std::uint32_t threads = 0;
  std::uint32_t replications = 0;
  std::string started_utc;
  double wall_seconds = 0;
  std::uint32_t ranks = 1;  ///< MPI ranks that ran the jobs
  std::string shard;        ///< "I/N" when this process ran one shard of a sweep
};

/// Per segment and total: customers, retention, satisfaction, trust, loyalty, NPS, revenue.
/// With several replications each cell shows the mean and the half-width of its 95% interval.
std::string summary_table(const scenario& s, const replicated_result& r);

nlohmann::json summary_json(const scenario& s, const replicated_result& r);
/// One row per replication x step x segment (and "total"), one column per series metric.
std::string timeseries_csv(const replicated_result& r);
/// One row per replication x step x touchpoint.
std::string touchpoints_csv(const replicated_result& r);
/// Word-of-mouth reach: one row per replication x step x origin (organic, churn, touchpoints).
std::string word_of_mouth_csv(const replicated_result& r);
/// One line per origin: share of customers reached, with its interval.
std::string reach_table(const replicated_result& r);
/// One row per replication x step x campaign: invitations, participants, observers, stories, cost.
std::string campaigns_csv(const replicated_result& r);
/// Per campaign: participants, attributed word-of-mouth reach, amplification, cost.
std::string campaign_table(const scenario& s, const replicated_result& r);

/// Horizon figures of one campaign in one replication.
struct campaign_outcome {
  double invited = 0;
  double participations = 0;  ///< participant-steps
  double unique_participants = 0;
  double reached = 0;  ///< customers first reached by its stories
  double reach_share = 0;
  double amplification = 0;  ///< reached / unique participants
  double cost = 0;
  double referral_conversions = 0;
};
campaign_outcome campaign_outcome_of(const run_result& run, std::size_t campaign);
nlohmann::json manifest_json(const scenario& s, const run_info& info,
                             const std::vector<std::string>& outputs);

/// Rows of cells as aligned columns: the first column left-aligned, the others right-aligned; a
/// rule under the header row and before row `rule_before` (e.g. a total; none if out of range).
std::string aligned_table(const std::vector<std::vector<std::string>>& rows,
                          std::size_t rule_before = static_cast<std::size_t>(-1));

/// Number as CSV text: shortest round-trip form; NaN as an empty cell.
std::string csv_number(double v);
/// JSON number, or null for NaN and infinity.
nlohmann::json json_number(double v);
nlohmann::json estimate_json(const estimate& e);

std::string current_utc_time();
std::string host_name();

}  // namespace cesim::analysis
