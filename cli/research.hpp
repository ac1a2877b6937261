#pragma once
// The research commands: sweeps over key paths, global sensitivity analysis and calibration.
// All three run through analysis::run_points, the shared runner.
#include <string>
#include <vector>

#include "common.hpp"

namespace cesim::cli {

int command_sweep(const std::string& file, const common_options& o, const output_options& oo,
                  const std::vector<std::string>& args);

struct sensitivity_options {
  std::string method = "sobol";   ///< sobol or morris
  std::size_t samples = 256;      ///< Saltelli base samples N (runs: N (d + 2))
  std::size_t trajectories = 20;  ///< Morris trajectories r (runs: r (d + 1))
  std::size_t levels = 4;
  std::size_t bootstrap = 1000;
};
int command_sensitivity(const std::string& file, const common_options& o,
                        const sensitivity_options& so, const output_options& oo,
                        const std::vector<std::string>& args);

}  // namespace cesim::cli
