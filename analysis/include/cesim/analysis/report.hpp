#pragma once
/// The self-contained HTML report: Vega-Lite charts (the libraries are compiled into the binary,
/// so the page opens offline and makes no requests) and the key tables, for run, compare and
/// prioritize. docs/report.md explains how to read it.
#include <string>
#include <vector>

#include "cesim/analysis/compare.hpp"
#include "cesim/analysis/writers.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/sim/results.hpp"

namespace cesim::analysis {

/// A chart made by the caller (sweep, sensitivity, calibration).
struct report_chart {
  std::string id;
  std::string title;
  std::string explanation;
  nlohmann::json spec;  ///< Vega-Lite, data inline
};

struct report_content {
  /// Overrides the title derived from the command.
  std::string title;
  /// Charts and an HTML fragment (tables) placed before the standard sections.
  std::vector<report_chart> charts;
  std::string tables_html;
  const scenario* baseline = nullptr;
  /// runs[arm][replication]; arm 0 is the baseline (the only arm for `cesim run`).
  const std::vector<std::vector<run_result>>* runs = nullptr;
  std::vector<std::string> arm_names;
  const comparison* variants = nullptr;  ///< compare
  const priorities* ranking = nullptr;   ///< prioritize
  run_info info;
};

/// The whole page. Every chart is a `div.chart`; once all are drawn the page sets
/// data-report-status="done", data-charts, data-rendered and data-errors on <body> (the
/// browser test reads them).
std::string html_report(const report_content& content);

/// The Vega-Lite specifications the page embeds, by chart id, in page order (for tests).
std::vector<std::pair<std::string, nlohmann::json>> report_charts(const report_content& content);

}  // namespace cesim::analysis
