#include "reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace cesim::io::detail {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view unknown, const std::vector<std::string>& known) {
  if (known.empty()) return {};
  std::string best;
  std::size_t best_distance = std::string_view::npos;
  for (const auto& k : known) {
    const auto d = edit_distance(unknown, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  // A close match is worth naming alone; otherwise list what is allowed.
  if (best_distance <= std::max<std::size_t>(2, unknown.size() / 3))
    return fmt::format(" (did you mean '{}'?)", best);
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return fmt::format(" (known: {})", list);
}

double scale_to_step(double value, time_scaling scaling, double weeks_per_step) {
  switch (scaling) {
    case time_scaling::none:
    case time_scaling::logit_per_week:
      return value;
    case time_scaling::per_week:
      if (weeks_per_step == 1.0) return value;
      return -std::expm1(weeks_per_step * std::log1p(-std::min(value, 1.0 - 1e-15)));
    case time_scaling::amount_per_week:
      return value * weeks_per_step;
  }
  return value;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

map_reader::map_reader(load_context& ctx, const ynode* node, std::string path,
                       std::string table_prefix, source_mark fallback_mark)
    : ctx_(ctx),
      node_(node),
      path_(std::move(path)),
      table_prefix_(std::move(table_prefix)),
      fallback_mark_(std::move(fallback_mark)) {
  if (node_ != nullptr && node_->is_null()) node_ = nullptr;  // `market:` with nothing after it
  if (node_ != nullptr && !node_->is_map()) {
    ctx_.diag.error(node_->mark(), path_,
                    fmt::format("must be a map of keys, got a {}", node_->type_name()));
    node_ = nullptr;
  }
}

const source_mark& map_reader::mark() const {
  return node_ != nullptr ? node_->mark() : fallback_mark_;
}

std::string map_reader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string map_reader::prefix_of(std::string_view key) const {
  return table_prefix_.empty() ? std::string(key) : table_prefix_ + "." + std::string(key);
}

source_mark map_reader::mark_of(std::string_view key) const {
  if (node_ != nullptr)
    if (const ynode* v = node_->find(key)) return v->mark();
  return mark();
}

const ynode* map_reader::get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (node_ == nullptr) return nullptr;
  const ynode* v = node_->find(key);
  return v;
}

void map_reader::allow(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) get(k);
}

void map_reader::error(std::string_view key, std::string message) {
  ctx_.diag.error(mark_of(key), path_of(key), std::move(message));
}

void map_reader::error_here(std::string message) {
  ctx_.diag.error(mark(), path_, std::move(message));
}

void map_reader::error_missing(std::string_view key) {
  ctx_.diag.error(mark(), path_of(key), "required key is missing");
}

void map_reader::error_choice(std::string_view key, const ynode& v,
                              const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  const std::string got = v.is_scalar() ? v.text() : std::string(v.type_name());
  std::string hint;
  if (v.is_scalar()) {
    const auto s = suggestion(got, names);
    if (s.rfind(" (did you mean", 0) == 0) hint = s;
  }
  ctx_.diag.error(v.mark(), path_of(key),
                  fmt::format("must be one of {}, got '{}'{}", list, got, hint));
}

double map_reader::checked(std::string_view key, const ynode& v, const param_spec& spec) {
  const double fallback = std::isnan(spec.default_value) ? spec.min : spec.default_value;
  double x = 0;
  if (!scalar_to_double(v, x)) {
    ctx_.diag.error(
        v.mark(), path_of(key),
        fmt::format("must be a number in {}, got {}", format_range(spec),
                    v.is_scalar() ? "'" + v.text() + "'" : "a " + std::string(v.type_name())));
    return fallback;
  }
  if (!std::isfinite(x)) {
    ctx_.diag.error(
        v.mark(), path_of(key),
        fmt::format("must be a finite number in {}, got {}", format_range(spec), v.text()));
    return fallback;
  }
  if (x < spec.min || x > spec.max) {
    ctx_.diag.error(v.mark(), path_of(key),
                    fmt::format("must be in {}, got {}", format_range(spec), v.text()));
    return fallback;
  }
  if (spec.integer && x != std::floor(x)) {
    ctx_.diag.error(v.mark(), path_of(key),
                    fmt::format("must be a whole number, got {}", v.text()));
    return fallback;
  }
  return x;
}

double map_reader::number(std::string_view key) {
  const param_spec& spec = param(prefix_of(key));
  const ynode* v = get(key);
  double x = spec.default_value;
  if (v == nullptr || v->is_null()) {
    if (std::isnan(x)) {
      error_missing(key);
      x = spec.min;
    }
  } else {
    x = checked(key, *v, spec);
  }
  return scale_to_step(x, spec.scaling, ctx_.weeks_per_step);
}

std::optional<double> map_reader::maybe_number(std::string_view key) {
  const param_spec& spec = param(prefix_of(key));
  const ynode* v = get(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return scale_to_step(checked(key, *v, spec), spec.scaling, ctx_.weeks_per_step);
}

std::optional<double> map_reader::bounded_number(std::string_view key, double lo, double hi,
                                                 bool required, std::string_view what) {
  const ynode* v = get(key);
  if (v == nullptr || v->is_null()) {
    if (required) error_missing(key);
    return std::nullopt;
  }
  const param_spec spec{key, std::nan(""), lo, hi, "", what, ""};
  double x = 0;
  if (!scalar_to_double(*v, x) || !std::isfinite(x) || x < lo || x > hi) {
    checked(key, *v, spec);  // reports the precise problem
    return std::nullopt;
  }
  return x;
}

std::string map_reader::text(std::string_view key, std::string_view fallback) {
  const ynode* v = get(key);
  if (v == nullptr || v->is_null()) return std::string(fallback);
  if (!v->is_scalar()) {
    ctx_.diag.error(v->mark(), path_of(key), fmt::format("must be text, got a {}", v->type_name()));
    return std::string(fallback);
  }
  return v->text();
}

std::optional<std::string> map_reader::required_text(std::string_view key) {
  const ynode* v = get(key);
  if (v == nullptr || v->is_null()) {
    error_missing(key);
    return std::nullopt;
  }
  if (!v->is_scalar()) {
    ctx_.diag.error(v->mark(), path_of(key), fmt::format("must be text, got a {}", v->type_name()));
    return std::nullopt;
  }
  return v->text();
}

bool map_reader::boolean(std::string_view key, bool fallback) {
  const ynode* v = get(key);
  if (v == nullptr || v->is_null()) return fallback;
  bool b = fallback;
  if (!scalar_to_bool(*v, b))
    ctx_.diag.error(
        v->mark(), path_of(key),
        fmt::format("must be true or false, got {}",
                    v->is_scalar() ? "'" + v->text() + "'" : "a " + std::string(v->type_name())));
  return b;
}

void map_reader::finish() {
  if (node_ == nullptr) return;
  for (const auto& e : node_->entries()) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    ctx_.diag.error(e.key_mark, path_of(e.key),
                    fmt::format("unknown key '{}'{}", e.key, suggestion(e.key, known_)));
  }
}

namespace {

distribution fail_fixed(double lo, double hi, const source_mark& where) {
  auto d = distribution::fixed_value(lo, lo, hi);
  d.where = where;
  return d;
}

}  // namespace

distribution read_distribution(load_context& ctx, const ynode& node, const std::string& path,
                               double lo, double hi) {
  using family = distribution::family;
  if (node.is_scalar()) {
    double x = 0;
    if (!scalar_to_double(node, x) || !std::isfinite(x) || x < lo || x > hi) {
      const param_spec spec{"", std::nan(""), lo, hi, "", "", ""};
      ctx.diag.error(node.mark(), path,
                     fmt::format("must be a number in {} or a distribution such as {}, got '{}'",
                                 format_range(spec),
                                 lo >= 0 && hi <= 1 ? "{dist: beta, mean: 0.5, sd: 0.1}"
                                                    : "{dist: lognormal, mean: 2, sd: 1}",
                                 node.text()));
      return fail_fixed(lo, hi, node.mark());
    }
    auto d = distribution::fixed_value(x, lo, hi);
    d.where = node.mark();
    return d;
  }
  map_reader m(ctx, &node, path, "", node.mark());
  if (!m.present()) return fail_fixed(lo, hi, node.mark());
  distribution d;
  d.where = node.mark();
  d.lo = lo;
  d.hi = hi;
  const std::size_t errors_before_dist = ctx.diag.size();
  const family kind = m.choice<family>("dist",
                                       {{"fixed", family::fixed},
                                        {"uniform", family::uniform},
                                        {"normal", family::normal},
                                        {"beta", family::beta},
                                        {"lognormal", family::lognormal},
                                        {"categorical", family::categorical}},
                                       family::fixed, true);
  // Without a known family the other keys cannot be judged; one error says it all.
  if (ctx.diag.size() != errors_before_dist) return fail_fixed(lo, hi, node.mark());
  d.kind = kind;
  const std::size_t errors_before = ctx.diag.size();
  switch (kind) {
    case family::fixed: {
      d.a = m.bounded_number("value", lo, hi, true).value_or(lo);
      break;
    }
    case family::uniform: {
      d.a = m.bounded_number("min", lo, hi, true).value_or(lo);
      d.b = m.bounded_number("max", lo, hi, true).value_or(hi);
      if (ctx.diag.size() == errors_before && d.a > d.b)
        m.error("max", fmt::format("must not be below min ({}), got {}", format_number(d.a),
                                   format_number(d.b)));
      break;
    }
    case family::normal: {
      d.a = m.bounded_number("mean", lo, hi, true).value_or(lo);
      d.b = m.bounded_number("sd", 0, hi - lo, true, "standard deviation").value_or(0);
      // Optional tighter clipping bounds inside the domain.
      d.lo = m.bounded_number("min", lo, hi, false).value_or(lo);
      d.hi = m.bounded_number("max", lo, hi, false).value_or(hi);
      if (ctx.diag.size() == errors_before && d.lo > d.hi) m.error("max", "must not be below min");
      if (ctx.diag.size() == errors_before && (d.a < d.lo || d.a > d.hi))
        m.error("mean", fmt::format("must lie within [min, max] = [{}, {}]", format_number(d.lo),
                                    format_number(d.hi)));
      break;
    }
    case family::beta: {
      if (lo < 0 || hi > 1) {
        m.error("dist", fmt::format("beta is defined on [0, 1], but this value ranges over {}; use "
                                    "lognormal, normal or uniform",
                                    format_range(param_spec{"", 0, lo, hi, "", "", ""})));
        return fail_fixed(lo, hi, node.mark());
      }
      const auto mean = m.bounded_number("mean", 0, 1, true);
      const auto sd = m.bounded_number("sd", 0, 1, true, "standard deviation");
      if (!mean || !sd) return fail_fixed(lo, hi, node.mark());
      if (*mean <= 0 || *mean >= 1) {
        m.error("mean",
                fmt::format("must be strictly between 0 and 1 for a beta distribution, got {}",
                            format_number(*mean)));
        return fail_fixed(lo, hi, node.mark());
      }
      const double limit = std::sqrt(*mean * (1 - *mean));
      if (*sd <= 0 || *sd >= limit) {
        m.error("sd", fmt::format("must be in (0, {:.4g}) for a beta with mean {} (sd < sqrt(mean "
                                  "* (1 - mean))), got {}",
                                  limit, format_number(*mean), format_number(*sd)));
        return fail_fixed(lo, hi, node.mark());
      }
      const double concentration = *mean * (1 - *mean) / (*sd * *sd) - 1;
      d.a = *mean * concentration;
      d.b = (1 - *mean) * concentration;
      break;
    }
    case family::lognormal: {
      const auto mean = m.bounded_number("mean", 0, 1e12, true);
      const auto sd = m.bounded_number("sd", 0, 1e12, true, "standard deviation");
      if (!mean || !sd) return fail_fixed(lo, hi, node.mark());
      if (*mean <= 0) {
        m.error("mean", "must be above 0 for a lognormal distribution");
        return fail_fixed(lo, hi, node.mark());
      }
      // Below this, mean * mean underflows and the log's parameters become NaN or infinite.
      constexpr double min_lognormal_mean = 1e-100;
      if (*mean < min_lognormal_mean) {
        m.error("mean", fmt::format("must be at least 1e-100 for a lognormal distribution, got {}",
                                    format_number(*mean)));
        return fail_fixed(lo, hi, node.mark());
      }
      // mean and sd describe the value itself, not its logarithm: easier to state for margins.
      const double sigma2 = std::log1p((*sd * *sd) / (*mean * *mean));
      d.b = std::sqrt(sigma2);
      d.a = std::log(*mean) - sigma2 / 2;
      break;
    }
    case family::categorical: {
      const ynode* values = m.get("values");
      const ynode* weights = m.get("weights");
      if (values == nullptr || !values->is_sequence() || values->items().empty()) {
        m.error("values", "must be a non-empty list of numbers");
        return fail_fixed(lo, hi, node.mark());
      }
      for (std::size_t i = 0; i < values->items().size(); ++i) {
        const auto& item = values->items()[i];
        double x = 0;
        if (!scalar_to_double(item, x) || !std::isfinite(x) || x < lo || x > hi) {
          const param_spec spec{"", std::nan(""), lo, hi, "", "", ""};
          ctx.diag.error(
              item.mark(), fmt::format("{}.values[{}]", path, i),
              fmt::format("must be a number in {}, got '{}'", format_range(spec), item.to_flow()));
          continue;
        }
        d.values.push_back(x);
      }
      std::vector<double> w(values->items().size(), 1.0);
      if (weights != nullptr) {
        if (!weights->is_sequence() || weights->items().size() != values->items().size()) {
          m.error("weights", fmt::format("must be a list of {} non-negative numbers, one per value",
                                         values->items().size()));
        } else {
          for (std::size_t i = 0; i < w.size(); ++i) {
            const auto& item = weights->items()[i];
            if (!scalar_to_double(item, w[i]) || !std::isfinite(w[i]) || w[i] < 0) {
              ctx.diag.error(
                  item.mark(), fmt::format("{}.weights[{}]", path, i),
                  fmt::format("must be a non-negative number, got '{}'", item.to_flow()));
              w[i] = 0;
            }
          }
        }
      }
      double total = 0;
      for (double x : w) total += x;
      if (ctx.diag.size() != errors_before) return fail_fixed(lo, hi, node.mark());
      if (total <= 0) {
        m.error("weights", "must not all be zero");
        return fail_fixed(lo, hi, node.mark());
      }
      double running = 0;
      for (double x : w) {
        running += x / total;
        d.cumulative.push_back(running);
      }
      d.cumulative.back() = 1.0;
      break;
    }
  }
  m.finish();
  if (ctx.diag.size() != errors_before) return fail_fixed(lo, hi, node.mark());
  return d;
}

}  // namespace cesim::io::detail
