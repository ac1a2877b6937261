#include "cesim/sim/run_state.hpp"

#include "cesim/network/generators.hpp"
#include "cesim/sim/build_cache.hpp"
#include "cesim/util/huge_pages.hpp"

namespace cesim {

namespace {

/// The run's customers, and its initial state in `state`.
std::shared_ptr<const population> synthesize_into(const scenario& s, rng::key key,
                                                  build_cache* shared, agent_state& state) {
  if (shared == nullptr) {
    auto made = std::make_shared<synthesized_population>(synthesize_population(s, key));
    state = std::move(made->initial);
    return {made, &made->people};
  }
  auto kept = shared->population_for(s, key);
  state.copy_from(kept->initial);
  return {kept, &kept->people};
}

}  // namespace

run_state::run_state(const scenario& s, rng::key k, build_cache* shared)
    : sc(s), key(k), model(s), customers(synthesize_into(s, k, shared, state)), people(*customers) {
  network = shared != nullptr
                ? shared->network_for(sc, people, key)
                : std::make_shared<const social_network>(build_network(sc, people, key));
  outbox.resize(people.size);
  inbox.resize(people.size);
  reach.reset(model.origin_names.size(), people.size);
  tellers.assign((std::size_t{people.size} + 63) / 64, 0);
  assign_on_huge_pages(heard, people.size, std::uint8_t{0});
  assign_on_huge_pages(referred_by, people.size, std::uint16_t{0});
  campaigns = std::make_unique<campaign_engine>(sc, model, people.size);
}

step_view run_state::view(std::uint32_t step, double public_rating) {
  return step_view{model, people, state,       outbox, inbox, tellers,      *network,
                   reach, heard,  referred_by, key,    step,  public_rating};
}

double run_state::initial_public_rating() const {
  double sum = 0;
  std::uint64_t n = 0;
  for (std::uint32_t i = 0; i < people.size; ++i)
    if (state.status[i] == customer_status::customer) {
      sum += state.satisfaction[i];
      ++n;
    }
  return n == 0 ? 0.5 : sum / static_cast<double>(n);
}

}  // namespace cesim
