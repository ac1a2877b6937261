#include "cesim/analysis/wire.hpp"

#include <fmt/format.h>

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "cesim/util/field_count.hpp"

namespace cesim::analysis {

namespace {

constexpr std::uint32_t magic = 0x57534543;  // "CESW" in little-endian byte order
constexpr std::uint16_t version = 2;         // 2: recipes carry their input hashes
constexpr std::size_t header_size = 16;      // magic, version, kind, payload length

enum class kind : std::uint16_t { run_result = 1, scenario_recipe = 2 };

const char* kind_name(std::uint16_t k) {
  switch (static_cast<kind>(k)) {
    case kind::run_result:
      return "run result";
    case kind::scenario_recipe:
      return "scenario recipe";
  }
  return nullptr;
}

// ---- Field lists, written once for both directions so encoder and decoder cannot drift. Each
// calls f with every member in wire order; S is the struct, const when encoding.

template <class S, class T>
concept is = std::same_as<std::remove_const_t<S>, T>;

template <is<segment_tally> S, class F>
void members(S& t, F& f) {
  f(t.population, t.unaware, t.prospects, t.customers, t.lapsed, t.new_customers, t.new_referred,
    t.win_backs, t.newly_aware, t.churned, t.promoters, t.detractors, t.exposures, t.delights,
    t.disappointments, t.wom_positive, t.wom_negative, t.ratings, t.heard_positive,
    t.heard_negative, t.newly_reached, t.satisfaction_sum, t.trust_sum, t.empowerment_sum,
    t.loyalty_sum, t.attitude_sum, t.rating_sum, t.revenue, t.touchpoint_cost);
}

template <is<touchpoint_tally> S, class F>
void members(S& t, F& f) {
  f(t.exposures, t.delights, t.disappointments, t.experience_sum, t.cost);
}

template <is<campaign_tally> S, class F>
void members(S& t, F& f) {
  f(t.invited, t.participants, t.new_participants, t.observers, t.acted_on, t.ignored,
    t.stories_positive, t.stories_negative, t.referral_conversions, t.cost, t.votes,
    t.participants_by_segment);
}

template <is<segment_summary> S, class F>
void members(S& t, F& f) {
  f(t.segment, t.population, t.customers_start, t.customers_end, t.aware_share, t.retention,
    t.satisfaction, t.trust, t.empowerment, t.loyalty, t.nps, t.acquisitions,
    t.referred_acquisitions, t.churned, t.revenue, t.revenue_discounted, t.clv, t.customer_equity,
    t.wom_positive, t.wom_negative, t.wom_reach, t.touchpoint_cost);
}

template <is<run_result> S, class F>
void members(S& r, F& f) {
  f(r.replication, r.seed, r.steps, r.segment_names, r.touchpoint_names, r.series,
    r.touchpoint_series, r.public_rating, r.origin_names, r.origin_series, r.hop_histogram,
    r.campaign_names, r.campaign_series, r.campaign_unique_participants, r.vote_winner,
    r.jury_overruled, r.network_edges, r.network_mean_degree, r.summary, r.horizon_discount,
    r.wall_seconds);
}

template <is<override_spec> S, class F>
void members(S& o, F& f) {
  f(o.path, o.value, o.origin);
}

template <is<io::load_options> S, class F>
void members(S& o, F& f) {
  f(o.overrides, o.persona_dirs);
}

template <is<input_file> S, class F>
void members(S& i, F& f) {
  f(i.path, i.sha256, i.role);
}

template <is<scenario_recipe> S, class F>
void members(S& r, F& f) {
  f(r.file, r.options, r.inputs);
}

// A member added to one of these structs stops the build here until the lists above include it.
static_assert(has_fields<segment_tally, 29>, "update the segment_tally field list in wire.cpp");
static_assert(has_fields<touchpoint_tally, 5>,
              "update the touchpoint_tally field list in wire.cpp");
static_assert(has_fields<campaign_tally, 12>, "update the campaign_tally field list in wire.cpp");
static_assert(has_fields<segment_summary, 22>, "update the segment_summary field list in wire.cpp");
static_assert(has_fields<run_result, 21>, "update the run_result field list in wire.cpp");
static_assert(has_fields<override_spec, 3>, "update the override_spec field list in wire.cpp");
static_assert(has_fields<io::load_options, 2>, "update the load_options field list in wire.cpp");
static_assert(has_fields<input_file, 3>, "update the input_file field list in wire.cpp");
static_assert(has_fields<scenario_recipe, 3>, "update the scenario_recipe field list in wire.cpp");
static_assert(sizeof(int) == 4, "vote_winner travels as int32");

template <class T>
concept raw_number = std::same_as<T, std::uint64_t> || std::same_as<T, double>;

// Whole arrays of 8-byte numbers are copied as one block when the host byte order already is
// the wire's.
constexpr bool host_is_wire = std::endian::native == std::endian::little;

class writer {
 public:
  explicit writer(kind k) {
    put_fixed(magic, 4);
    put_fixed(version, 2);
    put_fixed(static_cast<std::uint16_t>(k), 2);
    put_fixed(std::uint64_t{0}, 8);  // payload length, patched by finish()
  }

  template <class... T>
  void operator()(const T&... values) {
    (put(values), ...);
  }

  [[nodiscard]] std::size_t size() const { return out_.size(); }

  std::string finish() {
    const std::uint64_t payload = out_.size() - header_size;
    for (std::size_t i = 0; i < 8; ++i) out_[8 + i] = static_cast<char>(payload >> (8 * i));
    return std::move(out_);
  }

 private:
  void put_fixed(std::uint64_t v, std::size_t bytes) {
    char b[8];
    for (std::size_t i = 0; i < bytes; ++i) b[i] = static_cast<char>(v >> (8 * i));
    out_.append(b, bytes);
  }

  void put(std::uint64_t v) { put_fixed(v, 8); }
  void put(std::uint32_t v) { put_fixed(v, 4); }
  void put(int v) { put_fixed(static_cast<std::uint32_t>(v), 4); }
  void put(double v) { put_fixed(std::bit_cast<std::uint64_t>(v), 8); }
  void put(const std::string& s) {
    put(std::uint64_t{s.size()});
    out_.append(s);
  }
  void put(const std::vector<bool>& v) {
    put(std::uint64_t{v.size()});
    for (const bool b : v) out_.push_back(b ? 1 : 0);
  }
  template <class T>
  void put(const std::vector<T>& v) {
    put(std::uint64_t{v.size()});
    if constexpr (raw_number<T> && host_is_wire) {
      if (!v.empty()) out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    } else {
      for (const auto& x : v) put(x);
    }
  }
  template <class S>
  requires std::is_class_v<S>
  void put(const S& s) { members(s, *this); }

  std::string out_;
};

/// Bytes the encoding of a default T takes: the least any element of a vector<T> can take, so
/// a decoded element count can be checked against the bytes left before allocating.
template <class T>
std::size_t min_wire_size() {
  static const std::size_t size = [] {
    writer w(kind::run_result);
    w(T{});
    return w.size() - header_size;
  }();
  return size;
}

class reader {
 public:
  reader(std::string_view bytes, kind expected) : bytes_(bytes) {
    if (bytes.size() >= 4 && fixed(0, 4) != magic)
      throw std::runtime_error("not a cesim wire message (wrong magic number)");
    if (bytes.size() < header_size)
      throw std::runtime_error(
          fmt::format("truncated message: {} bytes, shorter than the {}-byte header", bytes.size(),
                      header_size));
    if (const auto v = fixed(4, 2); v != version)
      throw std::runtime_error(fmt::format(
          "not a cesim wire message of a known version: version {}, this build reads {}", v,
          version));
    const auto k = static_cast<std::uint16_t>(fixed(6, 2));
    if (k != static_cast<std::uint16_t>(expected)) {
      const char* got = kind_name(k);
      throw std::runtime_error(
          fmt::format("not a cesim wire message of the expected kind: expected a {}, got {}",
                      kind_name(static_cast<std::uint16_t>(expected)),
                      got ? fmt::format("a {}", got) : fmt::format("unknown kind {}", k)));
    }
    const std::uint64_t payload = fixed(8, 8);
    if (payload > bytes.size() - header_size)
      throw std::runtime_error(
          fmt::format("truncated message: header announces {} payload bytes, {} present", payload,
                      bytes.size() - header_size));
    if (payload < bytes.size() - header_size)
      throw std::runtime_error(fmt::format(
          "not a cesim wire message: {} bytes follow a header announcing {} payload bytes",
          bytes.size() - header_size, payload));
    pos_ = header_size;
  }

  template <class... T>
  void operator()(T&... values) {
    (get(values), ...);
  }

  /// The whole payload must have been read: anything left means the layout did not match.
  void finish(const char* what) const {
    if (pos_ != bytes_.size())
      throw std::runtime_error(fmt::format("malformed message: {} unread bytes after the {}",
                                           bytes_.size() - pos_, what));
  }

 private:
  [[nodiscard]] std::uint64_t fixed(std::size_t at, std::size_t bytes) const {
    std::uint64_t v = 0;
    for (std::size_t i = bytes; i-- > 0;)
      v = (v << 8) | std::uint64_t{static_cast<unsigned char>(bytes_[at + i])};
    return v;
  }

  /// Advances over n bytes and returns where they start; refuses to run past the end.
  std::size_t take(std::size_t n, const char* what) {
    if (n > bytes_.size() - pos_)
      throw std::runtime_error(
          fmt::format("malformed message: {} needs {} bytes at offset {}, {} left", what, n, pos_,
                      bytes_.size() - pos_));
    const std::size_t at = pos_;
    pos_ += n;
    return at;
  }

  /// An element count, checked against the bytes left before anything is allocated.
  std::size_t count(std::size_t min_bytes_each, const char* what) {
    std::uint64_t n = 0;
    get(n);
    if (n > (bytes_.size() - pos_) / min_bytes_each)
      throw std::runtime_error(fmt::format(
          "malformed message: {} of {} elements at offset {} cannot fit in the {} bytes left", what,
          n, pos_ - 8, bytes_.size() - pos_));
    return static_cast<std::size_t>(n);
  }

  void get(std::uint64_t& v) { v = fixed(take(8, "a number"), 8); }
  void get(std::uint32_t& v) { v = static_cast<std::uint32_t>(fixed(take(4, "a number"), 4)); }
  void get(int& v) {
    v = static_cast<std::int32_t>(static_cast<std::uint32_t>(fixed(take(4, "a number"), 4)));
  }
  void get(double& v) { v = std::bit_cast<double>(fixed(take(8, "a number"), 8)); }
  void get(std::string& s) {
    const std::size_t n = count(1, "a string");
    s.assign(bytes_.substr(take(n, "a string"), n));
  }
  void get(std::vector<bool>& v) {
    const std::size_t n = count(1, "a list of flags");
    const std::size_t at = take(n, "a list of flags");
    v.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<unsigned char>(bytes_[at + i]);
      if (b > 1)
        throw std::runtime_error(
            fmt::format("malformed message: flag byte {} at offset {}", b, at + i));
      v[i] = b == 1;
    }
  }
  template <class T>
  void get(std::vector<T>& v) {
    const std::size_t n = count(min_wire_size<T>(), "a list");
    if constexpr (raw_number<T> && host_is_wire) {
      const std::size_t at = take(n * sizeof(T), "a list");
      v.resize(n);
      if (n > 0) std::memcpy(v.data(), bytes_.data() + at, n * sizeof(T));
    } else {
      v.clear();
      v.resize(n);
      for (auto& x : v) get(x);
    }
  }
  template <class S>
  requires std::is_class_v<S>
  void get(S& s) { members(s, *this); }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode(const run_result& r) {
  writer w(kind::run_result);
  w(r);
  return w.finish();
}

run_result decode_run_result(std::string_view bytes) {
  reader in(bytes, kind::run_result);
  run_result r;
  in(r);
  in.finish("run result");
  return r;
}

std::string encode(const scenario_recipe& r) {
  writer w(kind::scenario_recipe);
  w(r);
  return w.finish();
}

scenario_recipe decode_recipe(std::string_view bytes) {
  reader in(bytes, kind::scenario_recipe);
  scenario_recipe r;
  in(r);
  in.finish("scenario recipe");
  return r;
}

}  // namespace cesim::analysis
