#include "cesim/util/logistic_gate.hpp"

#include <cmath>
#include <limits>

namespace cesim {

logistic_gate::logistic_gate() {
  constexpr double margin = 1e-6;
  const auto logit = [](double u) { return std::log(u / (1.0 - u)); };
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::uint64_t first = std::uint64_t{b} << shift;
    const std::uint64_t last = first + (std::uint64_t{1} << shift) - 1;
    const double smallest = (static_cast<double>(first) + 0.5) * 0x1p-32;
    const double largest = (static_cast<double>(last) + 0.5) * 0x1p-32;
    fails_up_to_[b] = logit(smallest) - margin;
    // Near 1 a shift of x barely moves logistic(x): the top bucket always computes.
    passes_from_[b] =
        b + 1 == buckets ? std::numeric_limits<double>::infinity() : logit(largest) + margin;
  }
}

const logistic_gate& logistic_gate::instance() {
  static const logistic_gate table;
  return table;
}

}  // namespace cesim
