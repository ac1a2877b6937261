#pragma once
/// Large arrays (ties, the edge list, per-customer state at ten million customers) are backed by
/// 2 MB pages where the kernel allows it: 512 times fewer page faults when they are first
/// written, and fewer TLB misses in the random reads of word of mouth. The contents and thus
/// the results do not change.
#include <cstddef>
#include <vector>

namespace cesim {

/// Asks for huge pages on the whole 2 MB pages inside [data, data + bytes); a hint only.
void advise_huge_pages(void* data, std::size_t bytes) noexcept;

/// Has the kernel map the pages of [data, data + bytes) on all cores at once (a hint, for 16 MB
/// and more). A page's first write costs a fault and the clearing of the page, which on a
/// virtual machine can cost as much again in the host; a vector's resize or assign would pay
/// all of that on one thread (docs/performance.md).
void prefault_in_parallel(void* data, std::size_t bytes) noexcept;

/// Gives an empty vector room for `n` elements on memory advised for huge pages and mapped on all
/// cores, before anything is written to it.
template <typename T, typename Allocator>
void reserve_on_huge_pages(std::vector<T, Allocator>& v, std::size_t n) {
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(T));
  prefault_in_parallel(v.data(), n * sizeof(T));
}

/// Resizes an empty vector to `n` elements, asking for huge pages before they are first
/// written (initialised as its allocator's resize does).
template <typename T, typename Allocator>
void resize_on_huge_pages(std::vector<T, Allocator>& v, std::size_t n) {
  reserve_on_huge_pages(v, n);
  v.resize(n);
}

/// Replaces the contents of `v` with what `fill(vector)` writes, `n` elements: in place when `v`
/// already has room (its pages are mapped), else on fresh memory advised for huge pages.
template <typename T, typename Fill>
void refill_on_huge_pages(std::vector<T>& v, std::size_t n, Fill fill) {
  if (v.capacity() >= n) {
    fill(v);
    return;
  }
  std::vector<T> fresh;
  reserve_on_huge_pages(fresh, n);
  fill(fresh);
  v.swap(fresh);
}

/// Replaces the contents of `v` with `n` copies of `value` (see refill_on_huge_pages).
template <typename T>
void assign_on_huge_pages(std::vector<T>& v, std::size_t n, const T& value) {
  refill_on_huge_pages(v, n, [&](std::vector<T>& w) { w.assign(n, value); });
}

/// Replaces the contents of `v` with a copy of `from` (see refill_on_huge_pages).
template <typename T>
void copy_on_huge_pages(std::vector<T>& v, const std::vector<T>& from) {
  refill_on_huge_pages(v, from.size(),
                       [&](std::vector<T>& w) { w.assign(from.begin(), from.end()); });
}

}  // namespace cesim
