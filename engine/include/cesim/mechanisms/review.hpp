#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Customers post ratings (their satisfaction) that review touchpoints show next step.
void post_ratings(const step_view& v, agent_range range, block_tally& tally);

/// The public rating after a step: exponential smoothing of the mean of this step's ratings.
double update_public_rating(const compiled_model& m, double rating, std::uint64_t ratings,
                            double rating_sum);

}  // namespace cesim::mechanisms
