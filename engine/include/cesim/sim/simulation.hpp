#pragma once
/// One replication of a scenario: synthesis, then `horizon` steps of named phases.
#include <cstdint>
#include <functional>
#include <memory>

#include "cesim/config/scenario.hpp"
#include "cesim/network/network.hpp"
#include "cesim/population/population.hpp"
#include "cesim/sim/results.hpp"

namespace cesim {

class build_cache;

struct run_options {
  std::uint64_t replication = 0;
  /// Checks every state value after each step (no NaN, all in range, status valid) and
  /// throws std::logic_error on a violation. On in Debug builds and in tests.
  bool check_invariants =
#ifdef NDEBUG
      false;
#else
      true;
#endif
  /// Called after each step with the step just completed (from the thread that runs the step).
  std::function<void(std::uint32_t)> on_step;
  /// How word of mouth finds who hears whom on a stored network. Both give identical results;
  /// automatic pushes from the tellers, which measured faster at every share of tellers. Fixed
  /// directions are for tests.
  enum class delivery : std::uint8_t { automatic, pull, push } wom_delivery = delivery::automatic;
  /// Where runs of one batch share populations and networks (the arms of a replication, the
  /// points of a sweep); none: built here.
  build_cache* shared = nullptr;
};

class simulation {
 public:
  simulation(const scenario& s, run_options options);
  ~simulation();
  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  /// Advances one step: touchpoints -> market -> loyalty -> ratings -> metrics.
  void step();
  [[nodiscard]] std::uint32_t current_step() const;
  /// Runs the remaining steps and returns the result.
  run_result run();

  /// Read-only views for tests and analyses that need individual customers.
  [[nodiscard]] const population& people() const;
  [[nodiscard]] const agent_state& state() const;
  [[nodiscard]] const social_network& network() const;
  /// Campaign c: vote option + 1 or contest role (1 entrant, 2 voter) of customer i, 0 if none.
  [[nodiscard]] std::uint8_t campaign_choice(std::size_t c, std::uint32_t i) const;
  [[nodiscard]] int vote_winner(std::size_t c) const;
  [[nodiscard]] bool recruited(std::size_t c, std::uint32_t i) const;
  [[nodiscard]] std::uint16_t referred_by(std::uint32_t i) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Convenience: one complete replication.
run_result run_replication(const scenario& s, const run_options& options = {});

}  // namespace cesim
