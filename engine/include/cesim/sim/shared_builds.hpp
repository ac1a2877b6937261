#pragma once
/// The keeping, sharing and letting go behind build_cache, for any value a run builds before its
/// first step from inputs that other runs may repeat (a population, a network).
#include <tbb/collaborative_call_once.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>

#include "cesim/rng/philox.hpp"

namespace cesim::detail {

/// Values built from `Inputs` (which carries the run's `key`), each built once for equal inputs.
/// `Value` tells its size with `bytes()`. Keeps at most `keep` values (at least one); the values no
/// run holds take at most `byte_budget` bytes together (held ones are paid for by their runs).
/// When a request misses, values no run holds that were made for the same replication (so from
/// other inputs: the previous sweep point's, another arm's) or another seed go first; then,
/// while full, unheld values, the least recently asked for first, and then the least recently
/// asked for of all (the runs holding one keep it alive, only sharing ends); then unheld values
/// over the budget.
template <class Inputs, class Value>
class shared_builds {
 public:
  shared_builds(std::size_t keep, std::uint64_t byte_budget)
      : keep_(std::max<std::size_t>(1, keep)), byte_budget_(byte_budget) {}

  /// The value for the request whose inputs `matches` recognises; on a miss `make_inputs()` is
  /// stored and `build()` makes the value. Runs asking while it is being built wait for it and
  /// lend their thread to the build (tbb::collaborative_call_once) instead of building it twice.
  template <class Matches, class MakeInputs, class Build>
  std::shared_ptr<const Value> get(rng::key key, Matches matches, MakeInputs make_inputs,
                                   Build build) {
    std::shared_ptr<slot> wanted;
    {
      const std::lock_guard guard(mutex_);
      const auto it = std::find_if(entries_.begin(), entries_.end(),
                                   [&](const entry& e) { return matches(e.made_from); });
      if (it != entries_.end()) {
        entry found = std::move(*it);
        entries_.erase(it);
        entries_.push_back(std::move(found));
      } else {
        make_room(key);
        entries_.push_back({make_inputs(), std::make_shared<slot>()});
      }
      wanted = entries_.back().kept;
    }
    // Built outside the lock, by the first run to ask; the others lend their threads to its
    // parallel loops. collaborative_call_once isolates the build, so a waiting thread never
    // picks up another run's task that could in turn wait for this build. If the build throws,
    // the next run asking builds again.
    tbb::collaborative_call_once(wanted->once, [&] {
      wanted->value = std::make_shared<const Value>(build());
      wanted->bytes = wanted->value->bytes();
      wanted->built.store(true, std::memory_order_release);
      builds_.fetch_add(1, std::memory_order_relaxed);
    });
    return wanted->value;
  }

  [[nodiscard]] std::size_t builds() const { return builds_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard guard(mutex_);
    return entries_.size();
  }
  [[nodiscard]] std::uint64_t unheld_bytes_now() const {
    const std::lock_guard guard(mutex_);
    return unheld_bytes();
  }
  [[nodiscard]] std::size_t capacity() const { return keep_; }

 private:
  /// A value being built or built; shared so that a run waiting for the build keeps it even if
  /// the cache lets go of the entry meanwhile.
  struct slot {
    tbb::collaborative_once_flag once;
    std::shared_ptr<const Value> value;  ///< written once, before `built` is set
    std::size_t bytes = 0;               ///< likewise
    std::atomic<bool> built{false};
  };
  struct entry {
    Inputs made_from;
    std::shared_ptr<slot> kept;
  };

  [[nodiscard]] static bool unheld(const entry& e) {
    // Runs waiting for a build hold its slot; a slot no one holds that is not built is a build
    // that failed.
    return e.kept.use_count() == 1 &&
           (!e.kept->built.load(std::memory_order_acquire) || e.kept->value.use_count() == 1);
  }

  [[nodiscard]] std::uint64_t unheld_bytes() const {  // with mutex_ held
    std::uint64_t sum = 0;
    for (const auto& e : entries_)
      if (unheld(e) && e.kept->built.load(std::memory_order_acquire)) sum += e.kept->bytes;
    return sum;
  }

  void make_room(rng::key key) {  // with mutex_ held
    // The request missed, so a value of the same replication was made from other inputs: the
    // previous sweep point's, which no later job asks for again (sweeps go point by point), or
    // another arm's in `compare`. Values of another seed are not shared either.
    std::erase_if(entries_, [&](const entry& e) {
      return unheld(e) &&
             (e.made_from.key.replication == key.replication || e.made_from.key.seed != key.seed);
    });
    const auto drop_unheld_while = [this](auto over) {
      for (auto it = entries_.begin(); over() && it != entries_.end();)
        it = unheld(*it) ? entries_.erase(it) : std::next(it);
    };
    const auto full = [this] { return entries_.size() >= keep_; };
    // By number: unheld values first, then the least recently asked for.
    drop_unheld_while(full);
    while (full()) entries_.pop_front();
    // By bytes: only unheld values count. A held one is paid for in its runs' memory estimates,
    // and letting go of it would free nothing.
    drop_unheld_while([this] { return unheld_bytes() > byte_budget_; });
  }

  std::size_t keep_;
  std::uint64_t byte_budget_;
  mutable std::mutex mutex_;
  std::deque<entry> entries_;  ///< least recently asked for first
  std::atomic<std::size_t> builds_{0};
};

}  // namespace cesim::detail
