#pragma once
/// Deciding `uniform < logistic(x)` for a gate number without the exponential.
#include <array>
#include <cstdint>

#include "cesim/util/math.hpp"

namespace cesim {

/// Conversion and churn compare every agent's gate uniform u = (k + 0.5) / 2^32 with a logistic
/// probability, one `exp` per agent and step, although u is far from the probability for
/// almost every agent. The table splits the 2^32 gate numbers into 4096 buckets by their top 12
/// bits and keeps, per bucket, bounds on x: below the first, logistic(x) is certainly at most
/// the bucket's smallest u (the gate fails); above the second it is certainly more than the
/// largest (it passes). Only an x between the bounds computes logistic(x) and compares as
/// before, so `passes` answers exactly what `u < logistic(x)` answers, for every k and x.
///
/// Why exact: the bounds are the bucket edges' logits moved outwards by a margin of 1e-6 in x.
/// Moving x by 1e-6 changes logistic(x) by a relative 1e-6 * (1 - p) >= 2.4e-10 wherever a bound
/// is used (p <= 1 - 2^-12: the top bucket never passes early), far more than the few units in
/// the last place by which the computed logistic, exp and logit can be off.
class logistic_gate {
 public:
  /// The shared table (64 kB, built on first use).
  static const logistic_gate& instance();

  [[nodiscard]] bool passes(std::uint32_t k, double x) const {
    const std::uint32_t b = k >> shift;
    if (x <= fails_up_to_[b]) return false;
    if (x >= passes_from_[b]) return true;
    return (static_cast<double>(k) + 0.5) * 0x1p-32 < logistic(x);
  }

 private:
  static constexpr unsigned bucket_bits = 12;
  static constexpr unsigned shift = 32 - bucket_bits;
  static constexpr std::size_t buckets = std::size_t{1} << bucket_bits;
  logistic_gate();
  std::array<double, buckets> fails_up_to_{};
  std::array<double, buckets> passes_from_{};
};

}  // namespace cesim
