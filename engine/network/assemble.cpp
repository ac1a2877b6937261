// Compressed-sparse-row assembly in two cache-friendly passes:
//  1. every tie (both directions) is appended to the region of the CSR arrays that belongs to its
//     bucket of 2^shift consecutive agents: sequential writes to a few hundred streams;
//  2. each bucket then sorts its region into rows, then sorts and merges each row, with all of
//     it in cache.
// Placing ties straight into their rows writes to random places of a large array, and was
// several times slower. Each bucket keeps its ties in edge-list order (parts of the edge list
// write at fixed, precomputed positions), so the result is the same for any thread count.
// Strengths travel as one-byte codes into the ascending table of the distinct strengths when
// there are at most 256 of them, so a larger code is a stronger tie and merging keeps the
// largest code.
#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>
#include <tbb/parallel_sort.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

#include "cesim/network/network.hpp"
#include "cesim/util/huge_pages.hpp"

namespace cesim {
namespace {

/// Aim for about 2^10 buckets: few enough write streams for pass 1 to stay in cache, regions
/// small enough for pass 2 to.
constexpr int bucket_count_bits = 10;
/// An agent's place inside its bucket is kept in 16 bits during pass 1.
constexpr int max_bucket_bits = 16;
/// Larger bucket regions (hubs) are sorted row by row in place: radix sorting needs scratch
/// space in proportion to the region.
constexpr std::size_t max_radix_region = std::size_t{1} << 22;
/// Neighbor ids are radix-sorted in digits of at most this many bits.
constexpr int max_digit_bits = 12;
/// Parts of the edge list per worker: enough to even out the load.
constexpr std::size_t parts_per_worker = 4;
/// Distinct strengths that one-byte codes can name.
constexpr std::size_t max_strength_levels = 256;

/// How the ties' strengths are stored (see social_network).
enum class strength_storage : std::uint8_t { none, coded, full };

/// Adds `strength` to the ascending `levels` unless present or `levels` already holds more than
/// the codes can name (then there is no point in counting further).
void note_level(std::vector<float>& levels, float strength) {
  if (levels.size() > max_strength_levels) return;
  const auto at = std::lower_bound(levels.begin(), levels.end(), strength);
  if (at == levels.end() || *at != strength) levels.insert(at, strength);
}

class csr_builder {
 public:
  csr_builder(std::uint32_t agents, const edge_source& source) : agents_(agents) {
    const int id_bits = agents > 1 ? static_cast<int>(std::bit_width(agents - 1)) : 0;
    shift_ = std::clamp(id_bits - bucket_count_bits, 0, max_bucket_bits);
    radix_passes_ = (id_bits + max_digit_bits - 1) / max_digit_bits;
    digit_bits_ = radix_passes_ == 0 ? 0 : (id_bits + radix_passes_ - 1) / radix_passes_;
    buckets_ = agents == 0 ? 1 : (static_cast<std::size_t>(agents - 1) >> shift_) + 1;
    split_into_parts(source);
    census();
  }

  social_network build(edge_source& source) {
    social_network net;
    net.agents = agents_;
    resize_on_huge_pages(net.offsets, static_cast<std::size_t>(agents_) + 1);
    resize_on_huge_pages(net.neighbors, entries_);
    if (storage_ == strength_storage::coded) {
      resize_on_huge_pages(net.strength_code, entries_);
      net.strength_levels = levels_;
    }
    if (storage_ == strength_storage::full) resize_on_huge_pages(net.strength, entries_);
    place_by_bucket(net);
    // No longer needed: free the ties before the rows take shape.
    parts_.clear();
    source.release();

    std::vector<std::uint32_t> kept;
    resize_on_huge_pages(kept, agents_);
    order_buckets(net, kept);
    slot_.reset();
    net.offsets[agents_] = entries_;
    compact(net, kept);
    return net;
  }

 private:
  /// Parts for the parallel passes: a generator's blocks are parts of their own, stored lists
  /// (a file) are cut so that every worker has several.
  void split_into_parts(const edge_source& source) {
    const std::size_t total = source.stored_ties();
    const auto workers =
        static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
    const std::size_t part_size = std::max<std::size_t>(
        4096, (total + workers * parts_per_worker - 1) / (workers * parts_per_worker));
    parts_ = source.parts(part_size);
    if (parts_.empty()) parts_.emplace_back();
  }

  /// Counts each part's ties per bucket, checks the ids, and finds the distinct strengths (or
  /// that there are too many for codes); then fixes where each part writes in each bucket's
  /// region.
  void census() {
    const std::size_t parts = parts_.size();
    cursor_.assign(parts * buckets_, 0);
    std::vector<std::uint64_t> bad_id(parts, no_bad_id);
    std::vector<std::vector<float>> part_levels(parts);
    tbb::enumerable_thread_specific<std::vector<edge>> scratches;
    tbb::parallel_for(std::size_t{0}, parts, [&](std::size_t part) {
      std::uint64_t* sizes = cursor_.data() + part * buckets_;
      auto& levels = part_levels[part];
      // The last two strengths noted: most networks know two (strong and weak ties), and then
      // the search of the table is skipped for every tie.
      float recent[2] = {std::numeric_limits<float>::quiet_NaN(),
                         std::numeric_limits<float>::quiet_NaN()};
      edge_source::read(parts_[part], scratches.local(), [&](std::span<const edge> ties) {
        for (const edge& e : ties) {
          if (e.a >= agents_ || e.b >= agents_) {
            bad_id[part] = std::max(e.a, e.b);
            break;
          }
          if (e.a == e.b) continue;
          ++sizes[bucket_of(e.a)];
          ++sizes[bucket_of(e.b)];
          if (e.strength != recent[0] && e.strength != recent[1]) {
            note_level(levels, e.strength);
            recent[1] = recent[0];
            recent[0] = e.strength;
          }
        }
      });
    });
    for (std::size_t part = 0; part < parts; ++part) {
      if (bad_id[part] != no_bad_id)
        throw std::invalid_argument(
            fmt::format("assemble_network: an edge names agent {} but the network has {} agents",
                        bad_id[part], agents_));
      for (const float level : part_levels[part]) note_level(levels_, level);
    }
    const bool weighted = levels_.size() > 1 || (levels_.size() == 1 && levels_.front() != 1.0f);
    storage_ = !weighted                               ? strength_storage::none
               : levels_.size() <= max_strength_levels ? strength_storage::coded
                                                       : strength_storage::full;
    if (storage_ != strength_storage::coded) levels_.clear();
    // Regions in bucket order; inside a region, parts in edge-list order.
    region_start_.assign(buckets_ + 1, 0);
    std::uint64_t running = 0;
    for (std::size_t b = 0; b < buckets_; ++b) {
      region_start_[b] = running;
      for (std::size_t part = 0; part < parts; ++part) {
        std::uint64_t& at = cursor_[part * buckets_ + b];
        const std::uint64_t size = at;
        at = running;
        running += size;
      }
    }
    region_start_[buckets_] = running;
    entries_ = running;
  }

  /// Pass 1: appends each tie, both directions, to its bucket's region, remembering the
  /// agent's slot inside the bucket.
  void place_by_bucket(social_network& net) {
    slot_ = std::make_unique_for_overwrite<std::uint16_t[]>(entries_);
    advise_huge_pages(slot_.get(), entries_ * sizeof(std::uint16_t));
    const std::uint32_t slot_mask = (std::uint32_t{1} << shift_) - 1;
    const columns all = region_columns(net, 0);
    tbb::enumerable_thread_specific<std::vector<edge>> scratches;
    tbb::parallel_for(std::size_t{0}, parts_.size(), [&](std::size_t part) {
      std::uint64_t* cursor = cursor_.data() + part * buckets_;
      const auto put = [&](std::uint32_t from, std::uint32_t to, float strength,
                           std::uint8_t code) {
        const std::uint64_t at = cursor[bucket_of(from)]++;
        all.targets[at] = to;
        all.slots[at] = static_cast<std::uint16_t>(from & slot_mask);
        if (all.codes != nullptr) all.codes[at] = code;
        if (all.strengths != nullptr) all.strengths[at] = strength;
      };
      edge_source::read(parts_[part], scratches.local(), [&](std::span<const edge> ties) {
        for (const edge& e : ties) {
          if (e.a == e.b) continue;
          const std::uint8_t code = all.codes != nullptr ? code_of(e.strength) : 0;
          put(e.a, e.b, e.strength, code);
          put(e.b, e.a, e.strength, code);
        }
      });
    });
    std::vector<std::uint64_t>().swap(cursor_);
  }

  /// One worker's arrays for pass 2, kept from bucket to bucket.
  struct scratch {
    std::vector<std::uint64_t> row_cursor;
    std::vector<std::uint32_t> row_last;  ///< last neighbor seen in the row + 1; 0: none yet
    std::vector<std::uint32_t> digit_cursor;
    std::vector<std::uint32_t> targets[2];
    std::vector<std::uint16_t> slots[2];
    std::vector<std::uint8_t> codes[2];
    std::vector<float> strengths[2];
    std::vector<std::uint64_t> keys;
  };

  /// Pass 2: each bucket's region sorted into rows, each row sorted with repeated ties merged.
  void order_buckets(social_network& net, std::vector<std::uint32_t>& kept) const {
    tbb::enumerable_thread_specific<scratch> scratches;
    tbb::parallel_for(std::size_t{0}, buckets_,
                      [&](std::size_t b) { order_bucket(b, net, kept, scratches.local()); });
  }

  void order_bucket(std::size_t b, social_network& net, std::vector<std::uint32_t>& kept,
                    scratch& s) const {
    const std::uint64_t from = region_start_[b];
    const std::uint64_t to = region_start_[b + 1];
    const auto size = static_cast<std::size_t>(to - from);
    const auto first_row = static_cast<std::uint32_t>(b << shift_);
    const auto rows = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(agents_ - first_row, std::uint64_t{1} << shift_));

    // Row sizes, and whether every row arrives strictly increasing (as from a sorted file).
    s.row_cursor.assign(rows, 0);
    s.row_last.assign(rows, 0);
    bool sorted = true;
    for (std::uint64_t k = from; k != to; ++k) {
      const std::uint16_t slot = slot_[k];
      const std::uint32_t next = net.neighbors[k] + 1;
      ++s.row_cursor[slot];
      sorted = sorted && next > s.row_last[slot];
      s.row_last[slot] = next;
    }
    std::uint64_t running = from;
    for (std::uint32_t r = 0; r < rows; ++r) {
      const std::uint64_t row_size = s.row_cursor[r];
      net.offsets[first_row + r] = running;
      s.row_cursor[r] = running;
      running += row_size;
    }

    // Least significant key first: neighbor digits, then the row (a stable counting sort).
    const bool radix = !sorted && size <= max_radix_region;
    columns entries = region_columns(net, from);
    if (radix) {
      for (int pass = 0; pass < radix_passes_; ++pass) {
        const columns sorted_by_digit = scratch_columns(s, pass % 2, size);
        radix_pass(pass * digit_bits_, size, entries, sorted_by_digit, s.digit_cursor);
        entries = sorted_by_digit;
      }
    } else {
      const columns copy = scratch_columns(s, 0, size);
      std::copy_n(entries.targets, size, copy.targets);
      std::copy_n(entries.slots, size, copy.slots);
      if (entries.codes != nullptr) std::copy_n(entries.codes, size, copy.codes);
      if (entries.strengths != nullptr) std::copy_n(entries.strengths, size, copy.strengths);
      entries = copy;
    }
    const columns all = region_columns(net, 0);
    for (std::size_t k = 0; k < size; ++k) {
      const std::uint64_t at = s.row_cursor[entries.slots[k]]++;
      all.targets[at] = entries.targets[k];
      copy_strength(entries, k, all, at);
    }

    for (std::uint32_t r = 0; r < rows; ++r) {
      const std::uint64_t begin = net.offsets[first_row + r];
      const std::uint64_t end = r + 1 < rows ? net.offsets[first_row + r + 1] : to;
      std::uint32_t& row_kept = kept[first_row + r];
      if (sorted)
        row_kept = static_cast<std::uint32_t>(end - begin);
      else if (radix)
        row_kept = merge_sorted_row(net, begin, end);
      else
        row_kept = sort_and_merge_row(net, begin, end, s.keys);
    }
  }

  /// A bucket's entries as parallel arrays; at most one of codes and strengths is set.
  struct columns {
    std::uint32_t* targets = nullptr;
    std::uint16_t* slots = nullptr;
    std::uint8_t* codes = nullptr;
    float* strengths = nullptr;
  };

  columns region_columns(social_network& net, std::uint64_t from) const {
    return {net.neighbors.data() + from, slot_.get() + from,
            storage_ == strength_storage::coded ? net.strength_code.data() + from : nullptr,
            storage_ == strength_storage::full ? net.strength.data() + from : nullptr};
  }

  columns scratch_columns(scratch& s, int which, std::size_t size) const {
    const auto w = static_cast<std::size_t>(which);
    s.targets[w].resize(size);
    s.slots[w].resize(size);
    columns out{s.targets[w].data(), s.slots[w].data()};
    if (storage_ == strength_storage::coded) {
      s.codes[w].resize(size);
      out.codes = s.codes[w].data();
    }
    if (storage_ == strength_storage::full) {
      s.strengths[w].resize(size);
      out.strengths = s.strengths[w].data();
    }
    return out;
  }

  static void copy_strength(const columns& in, std::uint64_t k, const columns& out,
                            std::uint64_t at) {
    if (in.codes != nullptr) out.codes[at] = in.codes[k];
    if (in.strengths != nullptr) out.strengths[at] = in.strengths[k];
  }

  /// The code of a strength found by the census.
  [[nodiscard]] std::uint8_t code_of(float strength) const {
    return static_cast<std::uint8_t>(std::lower_bound(levels_.begin(), levels_.end(), strength) -
                                     levels_.begin());
  }

  /// One stable counting-sort pass on the neighbor digit at `low_bit`.
  void radix_pass(int low_bit, std::size_t size, const columns& in, const columns& out,
                  std::vector<std::uint32_t>& digit_cursor) const {
    const std::uint32_t mask = (std::uint32_t{1} << digit_bits_) - 1;
    digit_cursor.assign(std::size_t{1} << digit_bits_, 0);
    for (std::size_t k = 0; k < size; ++k) ++digit_cursor[(in.targets[k] >> low_bit) & mask];
    std::uint32_t running = 0;
    for (std::uint32_t& cursor : digit_cursor) {
      const std::uint32_t count = cursor;
      cursor = running;
      running += count;
    }
    for (std::size_t k = 0; k < size; ++k) {
      const std::uint32_t at = digit_cursor[(in.targets[k] >> low_bit) & mask]++;
      out.targets[at] = in.targets[k];
      out.slots[at] = in.slots[k];
      copy_strength(in, k, out, at);
    }
  }

  /// Merges runs of one neighbor in a sorted row, keeping the largest strength.
  std::uint32_t merge_sorted_row(social_network& net, std::uint64_t begin,
                                 std::uint64_t end) const {
    const columns all = region_columns(net, 0);
    std::uint64_t out = begin;
    for (std::uint64_t k = begin; k != end; ++k) {
      if (out != begin && all.targets[out - 1] == all.targets[k]) {
        if (all.codes != nullptr) all.codes[out - 1] = std::max(all.codes[out - 1], all.codes[k]);
        if (all.strengths != nullptr)
          all.strengths[out - 1] = std::max(all.strengths[out - 1], all.strengths[k]);
        continue;
      }
      all.targets[out] = all.targets[k];
      copy_strength(all, k, all, out);
      ++out;
    }
    return static_cast<std::uint32_t>(out - begin);
  }

  /// Float bits mapped so that unsigned order is numeric order (negatives included).
  static std::uint32_t ordered_bits(float value) {
    const auto bits = std::bit_cast<std::uint32_t>(value);
    return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
  }
  static float from_ordered_bits(std::uint32_t key) {
    return std::bit_cast<float>((key & 0x80000000u) != 0 ? key & 0x7fffffffu : ~key);
  }

  /// Sorts one row of a bucket too large to radix-sort (a hub's), keeps one tie per neighbor
  /// (the strongest), and returns how many remain.
  std::uint32_t sort_and_merge_row(social_network& net, std::uint64_t begin, std::uint64_t end,
                                   std::vector<std::uint64_t>& keys) const {
    std::uint32_t* first = net.neighbors.data() + begin;
    std::uint32_t* last = net.neighbors.data() + end;
    if (storage_ == strength_storage::none) {
      tbb::parallel_sort(first, last);
      return static_cast<std::uint32_t>(std::unique(first, last) - first);
    }
    // Codes ascend with strength, as ordered bits do: a key's low half orders by strength.
    const columns all = region_columns(net, 0);
    keys.clear();
    for (std::uint64_t k = begin; k != end; ++k)
      keys.push_back(static_cast<std::uint64_t>(all.targets[k]) << 32 |
                     (all.codes != nullptr ? all.codes[k] : ordered_bits(all.strengths[k])));
    tbb::parallel_sort(keys.begin(), keys.end());
    std::uint64_t out = begin;
    for (std::size_t k = 0; k != keys.size(); ++k) {
      const auto neighbor = static_cast<std::uint32_t>(keys[k] >> 32);
      // The last key of a run of one neighbor carries the largest strength.
      if (k + 1 != keys.size() && static_cast<std::uint32_t>(keys[k + 1] >> 32) == neighbor)
        continue;
      const auto low = static_cast<std::uint32_t>(keys[k]);
      all.targets[out] = neighbor;
      if (all.codes != nullptr) all.codes[out] = static_cast<std::uint8_t>(low);
      if (all.strengths != nullptr) all.strengths[out] = from_ordered_bits(low);
      ++out;
    }
    return static_cast<std::uint32_t>(out - begin);
  }

  /// Moves the kept part of every row to its final place, in place: each block of rows first
  /// packs its rows at the block's start (blocks in parallel, each inside its own region), then
  /// the blocks slide left in order. Fresh arrays would need as much memory again, and a single
  /// thread to clear their pages. Drops the strengths if every remaining tie has strength 1.
  void compact(social_network& net, const std::vector<std::uint32_t>& kept) const {
    std::uint64_t total = 0;
    for (const std::uint32_t k : kept) total += k;
    if (total != net.neighbors.size()) {
      constexpr std::uint32_t rows_per_block = 4096;
      const std::size_t blocks = (std::size_t{agents_} + rows_per_block - 1) / rows_per_block;
      const auto first_row = [&](std::size_t b) {
        return static_cast<std::uint32_t>(b * rows_per_block);
      };
      std::vector<std::uint64_t> packed(blocks);
      tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
        const std::uint32_t last = std::min(agents_, first_row(b) + rows_per_block);
        const std::uint64_t start = net.offsets[first_row(b)];
        std::uint64_t to = start;
        for (std::uint32_t i = first_row(b); i != last; ++i) {
          move_entries(net, net.offsets[i], to, kept[i]);
          to += kept[i];
        }
        packed[b] = to - start;
      });
      std::uint64_t running = 0;
      for (std::size_t b = 0; b < blocks; ++b) {
        move_entries(net, net.offsets[first_row(b)], running, packed[b]);
        running += packed[b];
      }
      running = 0;
      for (std::uint32_t i = 0; i != agents_; ++i) {
        net.offsets[i] = running;
        running += kept[i];
      }
      net.offsets[agents_] = running;
      net.neighbors.resize(running);
      if (storage_ == strength_storage::coded) net.strength_code.resize(running);
      if (storage_ == strength_storage::full) net.strength.resize(running);
    }
    // Merging may have dropped every tie weaker or stronger than 1.
    if (storage_ == strength_storage::coded) {
      const auto one = std::find(levels_.begin(), levels_.end(), 1.0f);
      if (one != levels_.end() &&
          all_equal(net.strength_code, static_cast<std::uint8_t>(one - levels_.begin()))) {
        decltype(net.strength_code)().swap(net.strength_code);
        net.strength_levels.clear();
      }
    }
    if (storage_ == strength_storage::full && all_equal(net.strength, 1.0f))
      decltype(net.strength)().swap(net.strength);
  }

  /// Moves `count` entries from `from` down to `to` (to <= from; the ranges may overlap).
  void move_entries(social_network& net, std::uint64_t from, std::uint64_t to,
                    std::uint64_t count) const {
    if (from == to || count == 0) return;
    const auto first = static_cast<std::ptrdiff_t>(from);
    const auto last = static_cast<std::ptrdiff_t>(from + count);
    const auto dest = static_cast<std::ptrdiff_t>(to);
    std::copy(net.neighbors.begin() + first, net.neighbors.begin() + last,
              net.neighbors.begin() + dest);
    if (storage_ == strength_storage::coded)
      std::copy(net.strength_code.begin() + first, net.strength_code.begin() + last,
                net.strength_code.begin() + dest);
    if (storage_ == strength_storage::full)
      std::copy(net.strength.begin() + first, net.strength.begin() + last,
                net.strength.begin() + dest);
  }

  template <typename T>
  static bool all_equal(const uninitialized_vector<T>& values, T value) {
    return tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, values.size()), true,
        [&](const tbb::blocked_range<std::size_t>& range, bool so_far) {
          const auto first = values.begin() + static_cast<std::ptrdiff_t>(range.begin());
          const auto last = values.begin() + static_cast<std::ptrdiff_t>(range.end());
          return so_far && std::all_of(first, last, [&](T v) { return v == value; });
        },
        [](bool left, bool right) { return left && right; });
  }

  [[nodiscard]] std::size_t bucket_of(std::uint32_t agent) const { return agent >> shift_; }

  static constexpr std::uint64_t no_bad_id = ~std::uint64_t{0};

  std::uint32_t agents_;
  int shift_ = 0;
  int radix_passes_ = 0;
  int digit_bits_ = 0;
  std::size_t buckets_ = 1;
  std::vector<edge_source::part> parts_;  ///< the ties, in order, cut for parallel passes
  strength_storage storage_ = strength_storage::none;
  std::vector<float> levels_;  ///< coded: the distinct strengths of ties other than self-loops
  std::uint64_t entries_ = 0;
  std::vector<std::uint64_t> cursor_;  ///< [part][bucket]: sizes, then write positions
  std::vector<std::uint64_t> region_start_;
  std::unique_ptr<std::uint16_t[]> slot_;  ///< pass 1: each entry's agent, inside its bucket
};

}  // namespace

void edge_source::add(std::vector<edge> ties) {
  order_.push_back({true, stored_.size()});
  stored_.push_back(std::move(ties));
}

void edge_source::add_generated(std::size_t blocks, block_writer write) {
  order_.push_back({false, generated_.size()});
  generated_.push_back({blocks, std::make_unique<block_writer>(std::move(write))});
}

std::vector<edge_source::part> edge_source::parts(std::size_t max_stored_part) const {
  std::vector<part> out;
  for (const segment& s : order_) {
    if (s.is_stored) {
      const auto& ties = stored_[s.index];
      for (std::size_t at = 0; at < ties.size(); at += max_stored_part)
        out.push_back(
            {std::span<const edge>(ties).subspan(at, std::min(max_stored_part, ties.size() - at))});
    } else {
      const auto& g = generated_[s.index];
      for (std::size_t b = 0; b < g.blocks; ++b) out.push_back({{}, g.write.get(), b});
    }
  }
  return out;
}

std::size_t edge_source::stored_ties() const {
  std::size_t total = 0;
  for (const auto& ties : stored_) total += ties.size();
  return total;
}

void edge_source::release() {
  for (auto& ties : stored_) std::vector<edge>().swap(ties);
}

social_network assemble_network(std::uint32_t agents, edge_source& source) {
  return csr_builder(agents, source).build(source);
}

social_network assemble_network(std::uint32_t agents, std::vector<edge>& edges) {
  edge_source source;
  source.add(std::move(edges));
  edges = {};
  return assemble_network(agents, source);
}

std::size_t social_network::bytes() const {
  return offsets.size() * sizeof(std::uint64_t) + neighbors.size() * sizeof(std::uint32_t) +
         strength_code.size() * sizeof(std::uint8_t) + strength_levels.size() * sizeof(float) +
         strength.size() * sizeof(float);
}

}  // namespace cesim
