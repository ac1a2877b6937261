#pragma once
/// Summary statistics across replications.
#include <cstddef>
#include <span>

namespace cesim::analysis {

/// Mean with a two-sided 95% Student-t interval. NaN values (e.g. loyalty of a segment without
/// customers) are skipped and reduce n.
struct estimate {
  double mean = 0;
  double sd = 0;
  double ci_low = 0;
  double ci_high = 0;
  std::size_t n = 0;
};

estimate summarize(std::span<const double> values, double confidence = 0.95);

/// Student-t quantile for a two-sided interval of the given confidence.
double t_critical(std::size_t degrees_of_freedom, double confidence = 0.95);

}  // namespace cesim::analysis
