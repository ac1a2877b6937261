#pragma once
/// Everything the steps of one run read and write, built from a scenario as a run builds it:
/// the customers, their state and network, the word-of-mouth mailboxes and marks, and the
/// campaigns. The simulation steps it; tests and benchmarks drive single mechanisms over the same
/// state, so they measure and check what a run does.
#include <cstdint>
#include <memory>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/mechanisms/campaigns.hpp"
#include "cesim/mechanisms/context.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"
#include "cesim/rng/philox.hpp"

namespace cesim {

class build_cache;

struct run_state {
  /// Synthesises the customers and builds their network, or with `shared` shares both with
  /// other runs (the state is always the run's own). `sc` must outlive the state.
  run_state(const scenario& sc, rng::key key, build_cache* shared = nullptr);
  // Views and the model point into the state: it stays where it was built.
  run_state(const run_state&) = delete;
  run_state& operator=(const run_state&) = delete;

  /// What the mechanisms of `step` see.
  step_view view(std::uint32_t step, double public_rating);
  /// Before anyone has rated, the public rating is the mean satisfaction of the current
  /// customers (0.5 without any).
  [[nodiscard]] double initial_public_rating() const;

  const scenario& sc;
  rng::key key;
  compiled_model model;
  agent_state state;
  std::shared_ptr<const population> customers;    ///< shared with other runs, never changed
  const population& people;                       ///< *customers
  std::shared_ptr<const social_network> network;  ///< shared with other runs, never changed
  impulse_outbox outbox;                          ///< stories told this step
  impulse_outbox inbox;                           ///< stories told last step, delivered this step
  reach_tracker reach;
  std::vector<std::uint64_t> tellers;  ///< bit per customer: has a story in the inbox
  std::vector<std::uint8_t> heard;
  std::vector<std::uint16_t> referred_by;
  /// Built after the network, so that its arrays do not add to the peak of the build.
  std::unique_ptr<campaign_engine> campaigns;
};

}  // namespace cesim
