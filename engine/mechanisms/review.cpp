#include "cesim/mechanisms/review.hpp"

namespace cesim::mechanisms {

double update_public_rating(const compiled_model& m, double rating, std::uint64_t ratings,
                            double rating_sum) {
  if (ratings == 0) return rating;
  const double w = m.sc->review.update_rate;
  return (1.0 - w) * rating + w * (rating_sum / static_cast<double>(ratings));
}

}  // namespace cesim::mechanisms
