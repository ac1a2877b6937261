#pragma once
/// Vectors whose resize leaves new elements uninitialised (default-initialised), for arrays
/// that are filled right away in parallel: value-initialising them means one thread zeroing
/// gigabytes (and faulting in every page) before the parallel writers start.
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace cesim {

template <typename T>
class default_init_allocator : public std::allocator<T> {
 public:
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = default_init_allocator<U>;
  };

  default_init_allocator() noexcept = default;
  template <typename U>
  default_init_allocator(const default_init_allocator<U>& /*unused*/) noexcept {}

  /// resize(n) and vector(n) construct with no arguments: leave trivial types uninitialised.
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    std::allocator_traits<std::allocator<T>>::construct(static_cast<std::allocator<T>&>(*this), p,
                                                        std::forward<Args>(args)...);
  }
};

template <typename T>
using uninitialized_vector = std::vector<T, default_init_allocator<T>>;

}  // namespace cesim
