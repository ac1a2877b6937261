#include "cesim/population/population.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "cesim/sim/blocks.hpp"
#include "cesim/util/field_count.hpp"
#include "cesim/util/huge_pages.hpp"
#include "cesim/util/math.hpp"

namespace cesim {

static_assert(has_fields<agent_state, 7>, "list the new agent_state field in for_each_array");

void agent_state::resize(std::size_t n) {
  // Zero is every array's start: unaware, no flags, 0.
  for_each_array([n](auto& values) { assign_on_huge_pages(values, n, {}); }, *this);
}

void agent_state::copy_from(const agent_state& other) {
  for_each_array([](auto& to, const auto& from) { copy_on_huge_pages(to, from); }, *this, other);
}

std::size_t population_bytes_per_agent() {
  return 2 * sizeof(std::uint16_t) + trait_count * sizeof(float) + sizeof(customer_status) +
         sizeof(std::uint8_t) + 5 * sizeof(float);
}

namespace {

/// The beta quantile on a grid of u: the CDF on a fine grid of x (one evaluation of the
/// incomplete beta function per point), inverted by one monotone sweep. The points of the CDF are
/// independent, so they are evaluated in parallel without changing a bit.
std::vector<double> build_beta_table(double alpha, double beta) {
  constexpr std::size_t cells = beta_table_cache::cells;
  std::vector<double> cdf(cells + 1);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cells + 1, 256),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t j = r.begin(); j < r.end(); ++j) {
                        const double x = static_cast<double>(j) / cells;
                        cdf[j] = j == 0       ? 0.0
                                 : j == cells ? 1.0
                                              : boost::math::ibeta(alpha, beta, x, math_policy{});
                      }
                    });
  std::vector<double> table(cells + 1);
  std::size_t j = 0;
  for (std::size_t k = 0; k <= cells; ++k) {
    const double u = static_cast<double>(k) / cells;
    while (j + 1 < cells && cdf[j + 1] < u) ++j;
    // cdf[j] <= u <= cdf[j + 1] (up to the ends): interpolate x inside that cell.
    const double span = cdf[j + 1] - cdf[j];
    const double w = span > 0 ? std::clamp((u - cdf[j]) / span, 0.0, 1.0) : 0.0;
    table[k] = (static_cast<double>(j) + w) / cells;
  }
  table.front() = 0.0;
  table.back() = 1.0;
  return table;
}

/// Inverse-CDF sampler. Boost inverts the beta CDF iteratively (microseconds per value), so
/// beta quantiles come from a table (see build_beta_table) with linear interpolation.
class quantile_sampler {
 public:
  explicit quantile_sampler(const distribution& d) : d_(d) {
    if (d.kind == distribution::family::beta) table_ = beta_table_cache::shared().get(d.a, d.b);
  }

  [[nodiscard]] double operator()(double u) const {
    if (!table_) return d_.quantile(u);
    constexpr std::size_t cells = beta_table_cache::cells;
    const double x = u * cells;
    const auto k = std::min(static_cast<std::size_t>(x), cells - 1);
    const double w = x - static_cast<double>(k);
    const auto& table = *table_;
    return table[k] + w * (table[k + 1] - table[k]);
  }

 private:
  distribution d_;
  std::shared_ptr<const beta_table_cache::table> table_;
};

struct segment_plan {
  std::vector<double> persona_cumulative;
  std::vector<std::uint16_t> persona_ids;
  /// samplers[k][t]: trait t for the k-th persona of the mix
  std::vector<std::array<quantile_sampler*, trait_count>> samplers;
  std::vector<std::size_t> copula_traits;
  Eigen::MatrixXd cholesky;
  quantile_sampler* satisfaction = nullptr;
  quantile_sampler* trust = nullptr;
  quantile_sampler* loyalty = nullptr;
  quantile_sampler* attitude = nullptr;
  double aware = 0;
  double customers = 0;
};

}  // namespace

std::shared_ptr<const beta_table_cache::table> beta_table_cache::get(double alpha, double beta) {
  const std::pair key{alpha, beta};
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = tables_.find(key); it != tables_.end()) return it->second;
  }
  auto built = std::make_shared<const table>(build_beta_table(alpha, beta));
  const std::lock_guard lock(mutex_);
  const auto [it, inserted] = tables_.emplace(key, built);
  if (inserted) {
    age_.push_back(key);
    if (age_.size() > capacity_) {
      tables_.erase(age_.front());
      age_.pop_front();
    }
  }
  return it->second;
}

std::size_t beta_table_cache::size() const {
  const std::lock_guard lock(mutex_);
  return tables_.size();
}

beta_table_cache& beta_table_cache::shared() {
  static beta_table_cache cache(256);
  return cache;
}

std::uint64_t synthesized_population::bytes() const {
  const auto of = [](const auto& v) {
    return static_cast<std::uint64_t>(v.capacity()) * sizeof(v[0]);
  };
  std::uint64_t sum = of(people.segment) + of(people.persona) + of(people.segment_begin);
  for (const auto& t : people.traits) sum += of(t);
  agent_state::for_each_array([&](const auto& values) { sum += of(values); }, initial);
  return sum;
}

synthesized_population synthesize_population(std::uint64_t size, std::span<const segment> segments,
                                             std::span<const persona> personas, rng::key key) {
  synthesized_population out;
  auto& people = out.people;
  const auto n = static_cast<std::uint32_t>(size);
  people.size = n;
  resize_on_huge_pages(people.segment, n);
  resize_on_huge_pages(people.persona, n);
  for (auto& t : people.traits) resize_on_huge_pages(t, n);
  out.initial.resize(n);

  people.segment_begin.push_back(0);
  for (const auto& seg : segments)
    people.segment_begin.push_back(people.segment_begin.back() +
                                   static_cast<std::uint32_t>(seg.count));

  // Samplers own their tables; plans point into this stable storage.
  std::vector<std::unique_ptr<quantile_sampler>> storage;
  // Personas recur across segments: identical distributions share one sampler (and table).
  std::map<
      std::tuple<int, double, double, double, double, std::vector<double>, std::vector<double>>,
      quantile_sampler*>
      cache;
  auto make = [&](const distribution& d) {
    auto key_of =
        std::make_tuple(static_cast<int>(d.kind), d.a, d.b, d.lo, d.hi, d.values, d.cumulative);
    if (auto it = cache.find(key_of); it != cache.end()) return it->second;
    storage.push_back(std::make_unique<quantile_sampler>(d));
    cache.emplace(std::move(key_of), storage.back().get());
    return storage.back().get();
  };
  std::vector<segment_plan> plans(segments.size());
  for (std::size_t si = 0; si < segments.size(); ++si) {
    const auto& seg = segments[si];
    auto& plan = plans[si];
    double running = 0;
    for (std::size_t k = 0; k < seg.persona_index.size(); ++k) {
      running += seg.persona_weight[k];
      plan.persona_cumulative.push_back(running);
      plan.persona_ids.push_back(static_cast<std::uint16_t>(seg.persona_index[k]));
      std::array<quantile_sampler*, trait_count> row{};
      const auto& p = personas[seg.persona_index[k]];
      for (std::size_t t = 0; t < trait_count; ++t)
        row[t] = make(seg.trait_overrides[t] ? *seg.trait_overrides[t] : p.traits[t]);
      plan.samplers.push_back(row);
    }
    plan.persona_cumulative.back() = 1.0;
    if (!seg.correlation.empty()) {
      const auto m = static_cast<Eigen::Index>(seg.correlation.traits.size());
      Eigen::MatrixXd r(m, m);
      for (Eigen::Index i = 0; i < m; ++i)
        for (Eigen::Index j = 0; j < m; ++j)
          r(i, j) = seg.correlation.matrix[static_cast<std::size_t>(i * m + j)];
      plan.cholesky = Eigen::LLT<Eigen::MatrixXd>(r).matrixL();
      for (auto t : seg.correlation.traits) plan.copula_traits.push_back(index_of(t));
    }
    plan.satisfaction = make(seg.initial_satisfaction);
    plan.trust = make(seg.initial_trust);
    plan.loyalty = make(seg.initial_loyalty);
    plan.attitude = make(seg.initial_attitude);
    plan.aware = seg.initial_aware;
    plan.customers = seg.initial_customers;
  }

  for_each_block(n, [&](std::size_t, agent_range range) {
    std::size_t si = static_cast<std::size_t>(
        std::upper_bound(people.segment_begin.begin(), people.segment_begin.end(), range.begin) -
        people.segment_begin.begin() - 1);
    Eigen::VectorXd z;
    std::array<double, trait_count> u{};
    for (std::uint32_t i = range.begin; i < range.end; ++i) {
      while (i >= people.segment_begin[si + 1]) ++si;
      const auto& plan = plans[si];
      people.segment[i] = static_cast<std::uint16_t>(si);

      rng::counter_stream persona_draw(key, i, 0, rng::stream::persona);
      const double up = persona_draw.uniform();
      const auto k = static_cast<std::size_t>(
          std::upper_bound(plan.persona_cumulative.begin(), plan.persona_cumulative.end(), up) -
          plan.persona_cumulative.begin());
      const std::size_t mix = std::min(k, plan.persona_ids.size() - 1);
      people.persona[i] = plan.persona_ids[mix];

      // One uniform per trait, always: the draw count never depends on the distributions.
      rng::counter_stream trait_draws(key, i, 0, rng::stream::traits);
      for (auto& x : u) x = trait_draws.uniform();
      if (!plan.copula_traits.empty()) {
        const auto m = static_cast<Eigen::Index>(plan.copula_traits.size());
        z.resize(m);
        for (Eigen::Index j = 0; j < m; ++j)
          z(j) = normal_quantile(u[plan.copula_traits[static_cast<std::size_t>(j)]]);
        const Eigen::VectorXd y = plan.cholesky * z;
        for (Eigen::Index j = 0; j < m; ++j) {
          // Keep u strictly inside (0, 1) so inverse CDFs stay finite.
          const double v = std::clamp(normal_cdf(y(j)), 0x1p-53, 1.0 - 0x1p-53);
          u[plan.copula_traits[static_cast<std::size_t>(j)]] = v;
        }
      }
      for (std::size_t t = 0; t < trait_count; ++t)
        people.traits[t][i] = static_cast<float>((*plan.samplers[mix][t])(u[t]));

      rng::counter_stream status_draw(key, i, 0, rng::stream::initial_status);
      const double us = status_draw.uniform();
      auto& st = out.initial;
      if (us < plan.customers) {
        st.status[i] = customer_status::customer;
        st.flags[i] = agent_flag::initial_customer;
      } else if (us < plan.aware) {
        st.status[i] = customer_status::aware;
      } else {
        st.status[i] = customer_status::unaware;
      }
      rng::counter_stream state_draws(key, i, 0, rng::stream::initial_state);
      st.satisfaction[i] = static_cast<float>((*plan.satisfaction)(state_draws.uniform()));
      st.trust[i] = static_cast<float>((*plan.trust)(state_draws.uniform()));
      st.loyalty[i] = static_cast<float>((*plan.loyalty)(state_draws.uniform()));
      st.attitude[i] = static_cast<float>((*plan.attitude)(state_draws.uniform()));
      st.empowerment[i] = 0.0f;
    }
  });
  return out;
}

}  // namespace cesim
