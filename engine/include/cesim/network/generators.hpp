#pragma once
/// Builds the scenario's social network over a synthesized population.
#include "cesim/config/scenario.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"
#include "cesim/rng/philox.hpp"

namespace cesim {

/// Generates (or loads) the network the scenario describes. Deterministic for a key whatever the
/// thread count. Personas' degree_weight gives influencers more contacts: in erdos_renyi through
/// Chung-Lu weights (expected degree c * w / mean w), in block_model by scaling the ties a customer
/// opens, in watts_strogatz and barabasi_albert as (w - 1) * c / 2 extra random ties.
social_network build_network(const scenario& s, const population& people, rng::key key);

}  // namespace cesim
