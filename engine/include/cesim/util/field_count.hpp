#pragma once
/// has_fields<T, N>: the aggregate T has exactly N fields. Code that must list every field of a
/// struct (a wire format, a cache key) asserts this, so a member added later stops the build there
/// until the list includes it.
#include <cstddef>
#include <utility>

namespace cesim {

namespace detail {
struct any_field {
  template <class T>
  operator T() const;  // never defined: only used in unevaluated brace-initialization
};
template <std::size_t>
using any_field_for = any_field;
template <class T, std::size_t... I>
constexpr bool takes_fields(std::index_sequence<I...>) {
  return requires {
    T{any_field_for<I>{}...};
  };
}
}  // namespace detail

template <class T, std::size_t N>
constexpr bool has_fields = detail::takes_fields<T>(std::make_index_sequence<N>{}) &&
                            !detail::takes_fields<T>(std::make_index_sequence<N + 1>{});

}  // namespace cesim
