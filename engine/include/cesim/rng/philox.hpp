#pragma once
/// Counter-based randomness. Every draw is a pure function of (seed, replication) as the key
/// and (entity, step, stream, tag, block) as the counter, so a run is bit-identical for any
/// thread count or partition, and two scenario variants draw the same numbers for the same
/// agent, step and mechanism (common random numbers).
#include <Random123/philox.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

namespace cesim::rng {

/// Which mechanism a draw belongs to. Values are part of the results' identity: never reuse
/// or renumber one, only append.
enum class stream : std::uint32_t {
  persona = 1,
  traits = 2,
  initial_status = 3,
  initial_state = 4,
  purchase = 10,
  touchpoint = 11,
  market = 12,
  rating = 13,
  network = 20,
  wom_organic = 21,
  wom_hear = 22,
  wom_sample = 23,
  wom_forward = 24,
  campaign = 30,
  campaign_global = 31,
  replication_seed = 40,
};

/// (seed, replication): different replications are independent key streams.
struct key {
  std::uint64_t seed = 0;
  std::uint64_t replication = 0;
};

/// The third counter word of every block: the mechanism and its tag.
constexpr std::uint64_t stream_word(stream s, std::uint32_t tag) noexcept {
  return (static_cast<std::uint64_t>(s) << 32) | tag;
}

/// A short sequence of draws for one (entity, step, stream, tag). Cheap to construct: the
/// Philox block is computed on the first draw and yields four 64-bit values.
class counter_stream {
 public:
  using result_type = std::uint64_t;

  counter_stream(key k, std::uint64_t entity, std::uint64_t step, stream s,
                 std::uint32_t tag = 0) noexcept
      : key_{{k.seed, k.replication}}, ctr_{{entity, step, stream_word(s, tag), 0}} {}

  /// The counter of the stream's block `block`, for code that computes blocks itself
  /// (compute_blocks) and must draw the numbers this stream would.
  static std::array<std::uint64_t, 4> counter(std::uint64_t entity, std::uint64_t step, stream s,
                                              std::uint32_t tag, std::uint64_t block = 0) noexcept {
    return {entity, step, stream_word(s, tag), block};
  }

  std::uint64_t next_u64() noexcept {
    if (used_ == 4) refill();
    return out_.v[used_++];
  }
  /// Uniform on the open interval (0, 1): (2k + 1) / 2^53 for a random 52-bit k. Every value is
  /// exactly representable, so none rounds to 0 or 1 and inverse CDFs stay finite.
  double uniform() noexcept { return to_open_unit(next_u64()); }

  static constexpr std::uint64_t min() { return 0; }
  static constexpr std::uint64_t max() { return std::numeric_limits<std::uint64_t>::max(); }
  std::uint64_t operator()() noexcept { return next_u64(); }

  /// Jumps to the start of block `b` (four values each): a later draw can be read without
  /// computing the blocks before it.
  void seek_block(std::uint64_t b) noexcept {
    ctr_.v[3] = b;
    used_ = 4;
  }

  static double to_open_unit(std::uint64_t x) noexcept {
    return (static_cast<double>(x >> 12) + 0.5) * 0x1p-52;
  }

 private:
  void refill() noexcept {
    out_ = r123::Philox4x64{}(ctr_, key_);
    ++ctr_.v[3];
    used_ = 0;
  }

  r123::Philox4x64::key_type key_;
  r123::Philox4x64::ctr_type ctr_;
  r123::Philox4x64::ctr_type out_{};
  unsigned used_ = 4;
};

/// Gate draws: the one uniform per (agent, step, decision) that most decisions start with ("is
/// this customer exposed, invited, buying this week?"). Most gates say no, so a full Philox
/// block per gate would be spent on a rejection. Instead one block serves eight consecutive
/// agents (group i / 8, lane i % 8) with a 32-bit uniform each; the decision's own
/// counter_stream is opened only when the gate passes. Each agent still has its own number per
/// (step, stream, tag, slot), so results do not depend on threads or partition, named
/// mechanisms keep common random numbers, and a higher probability exposes a superset.
/// The top bit of the fourth counter word keeps gate blocks apart from counter_stream blocks.
class gate_draws {
 public:
  static constexpr std::uint32_t lanes = 8;

  gate_draws(key k, std::uint64_t step, stream s, std::uint32_t tag = 0,
             std::uint32_t slot = 0) noexcept
      : key_{{k.seed, k.replication}} {
    const auto first = first_counter(step, s, tag, slot);
    for (std::size_t w = 0; w < 4; ++w) ctr_.v[w] = first[w];
  }

  /// The counter of group 0's block; group g's differs in the first word, which is g.
  static std::array<std::uint64_t, 4> first_counter(std::uint64_t step, stream s, std::uint32_t tag,
                                                    std::uint32_t slot) noexcept {
    return {0, step, stream_word(s, tag), gate_marker | slot};
  }

  /// Uniform on (0, 1) for agent i: (k + 0.5) / 2^32 for the agent's 32-bit number k.
  double uniform(std::uint32_t agent) noexcept {
    return (static_cast<double>(bits(agent)) + 0.5) * 0x1p-32;
  }

  /// The agent's 32-bit number: `uniform(i) < p` exactly when `bits(i) < gate_threshold(p)`.
  std::uint32_t bits(std::uint32_t agent) noexcept {
    load(agent / lanes);
    return lane_bits(agent % lanes);
  }

  /// The 32-bit numbers of the eight agents of a group (agents 8 * group + lane), so a caller
  /// can decide a gate for eight agents without a branch per agent.
  std::array<std::uint32_t, lanes> group_bits(std::uint64_t group) noexcept {
    load(group);
    std::array<std::uint32_t, lanes> out{};
    for (unsigned lane = 0; lane < lanes; ++lane) out[lane] = lane_bits(lane);
    return out;
  }

 private:
  void load(std::uint64_t group) noexcept {
    if (group == group_) return;
    ctr_.v[0] = group;
    out_ = r123::Philox4x64{}(ctr_, key_);
    group_ = group;
  }
  [[nodiscard]] std::uint32_t lane_bits(unsigned lane) const noexcept {
    const std::uint64_t word = out_.v[lane / 2];
    return static_cast<std::uint32_t>(lane % 2 == 0 ? word : word >> 32);
  }

  static constexpr std::uint64_t gate_marker = std::uint64_t{1} << 63;
  static constexpr std::uint64_t no_group = std::numeric_limits<std::uint64_t>::max();

  r123::Philox4x64::key_type key_;
  r123::Philox4x64::ctr_type ctr_{};
  r123::Philox4x64::ctr_type out_{};
  std::uint64_t group_ = no_group;
};

/// Up to 32 Philox counters or blocks, word by word: words[w][n] is word w of block n.
struct block_batch {
  static constexpr std::size_t capacity = 32;
  std::array<std::array<std::uint64_t, capacity>, 4> words;

  void set(std::size_t n, const std::array<std::uint64_t, 4>& block) noexcept {
    for (std::size_t w = 0; w < 4; ++w) words[w][n] = block[w];
  }
};

/// How compute_blocks computes: `best` picks AVX-512 (F and DQ) where the processor has it (eight
/// blocks per vector, four vectors in flight: about twice the rate of one block at a time), else
/// one block at a time. Every kernel gives the same bits; tests compare them.
enum class batch_kernel { best, scalar, avx512 };
bool batch_kernel_available(batch_kernel kernel) noexcept;
/// From this many blocks on, `best` uses vectors; fewer cost less one at a time.
inline constexpr std::size_t vectors_from = 8;

/// Fills blocks 0 .. count - 1 (at most block_batch::capacity) of `out` with Philox4x64-10 of
/// the counters in `counters` (words[w][n] is word w of block n's counter) under key k.
/// `counters` may be `out`. An unavailable kernel falls back to one block at a time.
void compute_blocks(key k, const block_batch& counters, std::size_t count, block_batch& out,
                    batch_kernel kernel = batch_kernel::best) noexcept;
/// compute_blocks of the counters (first[0] + n, first[1], first[2], first[3]).
void compute_batch(key k, const std::array<std::uint64_t, 4>& first, std::size_t count,
                   block_batch& out, batch_kernel kernel = batch_kernel::best) noexcept;

/// gate_draws for a loop that visits agents in index order up to `end_agent`: the blocks of up
/// to 32 groups (256 agents) are computed together (compute_batch), never past the group of
/// `end_agent - 1`. Every agent gets the same number as from gate_draws.
class gate_scan {
 public:
  static constexpr std::uint32_t lanes = gate_draws::lanes;

  gate_scan(std::uint32_t end_agent, key k, std::uint64_t step, stream s, std::uint32_t tag = 0,
            std::uint32_t slot = 0) noexcept
      : key_(k),
        first_(gate_draws::first_counter(step, s, tag, slot)),
        group_end_((std::uint64_t{end_agent} + lanes - 1) / lanes) {}

  double uniform(std::uint32_t agent) noexcept {
    return (static_cast<double>(bits(agent)) + 0.5) * 0x1p-32;
  }
  std::uint32_t bits(std::uint32_t agent) noexcept {
    return lane_bits(position(agent / lanes), agent % lanes);
  }
  std::array<std::uint32_t, lanes> group_bits(std::uint64_t group) noexcept {
    const std::size_t n = position(group);
    std::array<std::uint32_t, lanes> out{};
    for (unsigned lane = 0; lane < lanes; ++lane) out[lane] = lane_bits(n, lane);
    return out;
  }

 private:
  std::size_t position(std::uint64_t group) noexcept {
    // Unsigned: a group before the first held one wraps to a large difference and refills.
    if (group - first_group_ >= held_) fill(group);
    return static_cast<std::size_t>(group - first_group_);
  }
  void fill(std::uint64_t group) noexcept {
    const std::uint64_t left = group < group_end_ ? group_end_ - group : 1;
    held_ = left < block_batch::capacity ? left : block_batch::capacity;
    first_group_ = group;
    first_[0] = group;
    compute_batch(key_, first_, static_cast<std::size_t>(held_), blocks_);
  }
  [[nodiscard]] std::uint32_t lane_bits(std::size_t n, unsigned lane) const noexcept {
    return static_cast<std::uint32_t>(blocks_.words[lane / 2][n] >> (32 * (lane % 2)));
  }

  key key_;
  std::array<std::uint64_t, 4> first_;
  std::uint64_t group_end_;
  std::uint64_t first_group_ = 0;
  std::uint64_t held_ = 0;
  block_batch blocks_{};  // zeroed so that a copy never reads indeterminate values
};

/// The draws of counter_stream(k, entities[position], step, s, tag) for positions visited in
/// increasing order up to `end`: the same numbers, with the blocks of several positions' streams
/// computed together (compute_blocks) instead of one block at a time. A position takes at most
/// `draws_per_position` draws; more than 128 go one block at a time.
class entity_draws {
 public:
  entity_draws(key k, std::span<const std::uint32_t> entities, std::uint32_t end,
               std::uint64_t step, stream s, std::uint32_t tag,
               std::uint64_t draws_per_position) noexcept
      : key_(k),
        entities_(entities),
        end_(end),
        step_(step),
        stream_(s),
        tag_(tag),
        blocks_per_position_((draws_per_position + 3) / 4),
        positions_per_fill_(blocks_per_position_ == 0 || blocks_per_position_ > capacity
                                ? 0
                                : capacity / blocks_per_position_) {}

  /// Starts the draws of `position`, from the first value of its stream.
  void start(std::uint32_t position) noexcept {
    next_ = 0;
    if (positions_per_fill_ == 0) {
      one_at_a_time_ = counter_stream(key_, entities_[position], step_, stream_, tag_);
      return;
    }
    if (position - first_ >= held_) fill(position);
    base_ = (position - first_) * blocks_per_position_;
  }
  double uniform() noexcept {
    if (positions_per_fill_ == 0) return one_at_a_time_.uniform();
    const std::uint64_t draw = next_++;
    return counter_stream::to_open_unit(
        blocks_.words[draw % 4][static_cast<std::size_t>(base_ + draw / 4)]);
  }

 private:
  static constexpr std::uint64_t capacity = block_batch::capacity;

  void fill(std::uint32_t position) noexcept {
    first_ = position;
    held_ = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(positions_per_fill_, position < end_ ? end_ - position : 1));
    std::size_t n = 0;
    for (std::uint32_t q = 0; q < held_; ++q)
      for (std::uint64_t b = 0; b < blocks_per_position_; ++b, ++n)
        blocks_.set(n, counter_stream::counter(entities_[position + q], step_, stream_, tag_, b));
    compute_blocks(key_, blocks_, n, blocks_);
  }

  key key_;
  std::span<const std::uint32_t> entities_;
  std::uint32_t end_;
  std::uint64_t step_;
  stream stream_;
  std::uint32_t tag_;
  std::uint64_t blocks_per_position_;
  std::uint64_t positions_per_fill_;
  std::uint32_t first_ = 0;
  std::uint32_t held_ = 0;
  std::uint64_t base_ = 0;
  std::uint64_t next_ = 0;
  counter_stream one_at_a_time_{key{}, 0, 0, stream::network};
  block_batch blocks_{};  // zeroed so that a copy never reads indeterminate values
};

/// How many of the 2^32 gate numbers k pass a gate of probability p, i.e. satisfy
/// (k + 0.5) / 2^32 < p. Comparing `bits < gate_threshold(p)` decides exactly as
/// `uniform < p` does, with integers, so a probability that is fixed for a step (per persona,
/// say) is converted once instead of every agent's number.
inline std::uint64_t gate_threshold(double p) noexcept {
  constexpr std::uint64_t all = std::uint64_t{1} << 32;
  if (!(p > 0.0)) return 0;  // also NaN: no number passes, as `uniform < NaN` is false
  if (p >= 1.0) return all;
  const auto passes = [p](std::uint64_t k) { return (static_cast<double>(k) + 0.5) * 0x1p-32 < p; };
  // p * 2^32 - 0.5 is the exact boundary; the corrections guard the rounding of the guess.
  auto t = static_cast<std::uint64_t>(std::ceil(p * 0x1p32 - 0.5));
  if (t > all) t = all;
  while (t > 0 && !passes(t - 1)) --t;
  while (t < all && passes(t)) ++t;
  return t;
}

/// 32-bit FNV-1a, used to give named entities (touchpoints, campaigns, origins) a stream tag
/// that does not change when other entities are added or removed.
constexpr std::uint32_t name_tag(const char* text, std::size_t size) noexcept {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= static_cast<unsigned char>(text[i]);
    h *= 16777619u;
  }
  return h;
}

/// Derives an independent 64-bit seed (e.g. for replication r of a sweep point) from a base.
inline std::uint64_t derive_seed(std::uint64_t base, std::uint64_t a,
                                 std::uint64_t b = 0) noexcept {
  counter_stream s(key{base, 0}, a, b, stream::replication_seed);
  return s.next_u64();
}

}  // namespace cesim::rng
