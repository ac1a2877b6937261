#pragma once
// The research commands: sweeps over key paths, global sensitivity analysis and calibration.
// All three run through analysis::run_points, the shared runner.
#include <string>
#include <vector>

#include "cesim/analysis/calibration.hpp"
#include "common.hpp"

namespace cesim::cli {

/// Long batch runs: --resume continues a stopped run in its folder; --shard runs one slice.
struct batch_options {
  bool resume = false;
  std::optional<std::string> shard;  ///< "I/N"
};

int command_sweep(const std::string& file, const common_options& o, const output_options& oo,
                  const batch_options& bo, const std::vector<std::string>& args);

/// Joins the folders of a sharded sweep into the table one run would have written.
int command_merge(const std::vector<std::string>& dirs, const output_options& oo,
                  bool allow_missing, const std::vector<std::string>& args);

struct sensitivity_options {
  std::string method = "sobol";   ///< sobol or morris
  std::size_t samples = 256;      ///< Saltelli base samples N (runs: N (d + 2))
  std::size_t trajectories = 20;  ///< Morris trajectories r (runs: r (d + 1))
  std::size_t levels = 4;
  std::size_t bootstrap = 1000;
};
int command_sensitivity(const std::string& file, const common_options& o,
                        const sensitivity_options& so, const output_options& oo,
                        const batch_options& bo, const std::vector<std::string>& args);

struct calibration_options {
  std::string observed;                   ///< CSV: step or date, metric, value[, segment]
  std::optional<std::string> start_date;  ///< date of step 0, for a `date` column
  analysis::abc_options abc;
  std::size_t predictive = 20;  ///< posterior particles re-run for the predictive band
};
int command_calibrate(const std::string& file, const common_options& o,
                      const calibration_options& co, const output_options& oo,
                      const batch_options& bo, const std::vector<std::string>& args);

}  // namespace cesim::cli
