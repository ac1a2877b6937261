#include "cesim/mechanisms/review.hpp"

namespace cesim::mechanisms {

void post_ratings(const step_view& v, agent_range range, block_tally& tally) {
  const double p = v.model.sc->review.rating_probability;
  if (p <= 0) return;
  const auto& st = v.state;
  rng::gate_draws rating_gate(v.key, v.step, rng::stream::rating);
  for (std::uint32_t i = range.begin; i < range.end; ++i) {
    if (st.status[i] != customer_status::customer) continue;
    if (rating_gate.uniform(i) >= p) continue;
    auto& t = tally.segments[v.people.segment[i]];
    ++t.ratings;
    t.rating_sum += st.satisfaction[i];
  }
}

double update_public_rating(const compiled_model& m, double rating, std::uint64_t ratings,
                            double rating_sum) {
  if (ratings == 0) return rating;
  const double w = m.sc->review.update_rate;
  return (1.0 - w) * rating + w * (rating_sum / static_cast<double>(ratings));
}

}  // namespace cesim::mechanisms
