#include "cesim/io/scenario_loader.hpp"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numbers>
#include <optional>
#include <set>

#include "cesim/config/parameters.hpp"
#include "cesim/mechanisms/campaign_types.hpp"
#include "cesim/rng/philox.hpp"
#include "cesim/util/sha256.hpp"
#include "reader.hpp"

#ifndef CESIM_SOURCE_PERSONA_DIR
#define CESIM_SOURCE_PERSONA_DIR ""
#endif
#ifndef CESIM_INSTALL_PERSONA_DIR
#define CESIM_INSTALL_PERSONA_DIR ""
#endif

namespace cesim::io {
namespace fs = std::filesystem;
using detail::load_context;
using detail::map_reader;
using detail::read_distribution;
using detail::valid_name;

namespace {

const param_spec& trait_spec(trait t) {
  return param(fmt::format("traits.{}", trait_names[index_of(t)]));
}

std::optional<trait> trait_by_name(std::string_view name) {
  for (std::size_t i = 0; i < trait_count; ++i)
    if (trait_names[i] == name) return static_cast<trait>(i);
  return std::nullopt;
}

std::vector<std::string> trait_name_list() {
  return {trait_names.begin(), trait_names.end()};
}

/// Multiplies every value a distribution can produce by `factor` (> 0).
void scale_distribution(distribution& d, double factor) {
  using family = distribution::family;
  d.lo *= factor;
  d.hi *= factor;
  switch (d.kind) {
    case family::fixed:
      d.a *= factor;
      break;
    case family::uniform:
    case family::normal:
      d.a *= factor;
      d.b *= factor;
      break;
    case family::lognormal:
      d.a += std::log(factor);
      break;
    case family::categorical:
      for (double& v : d.values) v *= factor;
      break;
    case family::beta:
      break;  // beta is refused for traits outside [0, 1], the only ones that scale
  }
}

void check_name(map_reader& m, std::string_view key, const std::string& name,
                std::string_view what) {
  if (!valid_name(name))
    m.error(
        key,
        fmt::format("{} name '{}' may contain only letters, digits, '_' and '-' (at most 64; names "
                    "are used in key paths and output columns)",
                    what, name));
}

/// Reads the `traits:` map of a persona or the trait overrides of a segment.
void read_traits(load_context& ctx, const ynode* node, const std::string& path,
                 std::array<std::optional<distribution>, trait_count>& out) {
  map_reader m(ctx, node, path, "", {});
  if (!m.present()) return;
  for (const auto& e : m.node()->entries()) {
    const auto t = trait_by_name(e.key);
    if (!t) continue;  // finish() reports it with a suggestion
    const auto& spec = trait_spec(*t);
    out[index_of(*t)] = read_distribution(ctx, e.value, m.path_of(e.key), spec.min, spec.max);
    m.get(e.key);
  }
  for (auto name : trait_names) m.get(name);
  m.finish();
}

struct persona_draft {
  persona p;
  std::vector<std::pair<std::string, double>> affinity;
};

/// A persona from a map: in its own file (`persona: name` at the top) or inline in a scenario.
persona_draft read_persona(load_context& ctx, const ynode& node, const std::string& path,
                           std::string name, std::string file, bool own_file) {
  persona_draft draft;
  draft.p.name = std::move(name);
  draft.p.file = std::move(file);
  draft.p.where = node.mark();
  // An empty body (`name:` with nothing after it) reads as all defaults.
  map_reader m(ctx, &node, path, "", node.mark());
  if (own_file) m.allow({"persona"});
  draft.p.description = m.text("description");
  std::array<std::optional<distribution>, trait_count> given;
  read_traits(ctx, m.get("traits"), m.path_of("traits"), given);
  for (std::size_t i = 0; i < trait_count; ++i) {
    const auto& spec = trait_spec(static_cast<trait>(i));
    draft.p.traits[i] =
        given[i] ? *given[i] : distribution::fixed_value(spec.default_value, spec.min, spec.max);
  }
  map_reader affinity(ctx, m.get("channel_affinity"), m.path_of("channel_affinity"), "", m.mark());
  if (affinity.present()) {
    const auto& spec = param("channel_affinity");
    for (const auto& e : affinity.node()->entries()) {
      affinity.get(e.key);
      if (auto v = affinity.bounded_number(e.key, spec.min, spec.max, true, "channel affinity"))
        draft.affinity.emplace_back(e.key, *v);
    }
  }
  map_reader network(ctx, m.get("network"), m.path_of("network"), "personas.network", m.mark());
  draft.p.degree_weight = network.number("degree_weight");
  network.finish();
  m.finish();
  return draft;
}

persona_draft read_persona_file(load_context& ctx, const std::string& file, const ynode& root) {
  if (root.is_map() && root.find("persona") == nullptr &&
      (root.find("segments") != nullptr || root.find("sweep") != nullptr))
    // A scenario naming itself (or another scenario) as a persona: say so instead of listing
    // its keys as unknown persona keys.
    throw input_error(root.mark(), "",
                      fmt::format("is named as a persona file but holds a {}; a persona file "
                                  "starts with 'persona: <name>'",
                                  root.find("sweep") != nullptr ? "sweep" : "scenario"));
  map_reader m(ctx, &root, "", "", root.mark());
  std::string name;
  if (m.present()) {
    if (auto n = m.required_text("persona")) {
      name = *n;
      check_name(m, "persona", name, "persona");
      const auto stem = fs::path(file).stem().string();
      if (name != stem)
        m.error("persona",
                fmt::format("persona '{}' is in a file named '{}.yaml'; library lookups go by file "
                            "name, so the two must match",
                            name, stem));
    }
  } else {
    ctx.diag.error(root.mark(), "",
                   "a persona file must be a map with 'persona: <name>' at the top");
  }
  // Reading as an inline persona checks every other key; 'persona' is allowed there.
  return read_persona(ctx, root, "", name, file, true);
}

/// Whether a path names something. The throwing fs::exists turns a path the system cannot look
/// up (a name too long, a folder without permission) into a filesystem_error, not an input error.
bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool looks_like_path(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".yaml") || ref.ends_with(".yml");
}

std::string input_hash(const std::string& path) {
  return sha256_file(path);
}

struct persona_ref {
  std::string ref;
  source_mark where;
  std::string path;  ///< key path of the first mention, for messages
};

class scenario_reader {
 public:
  scenario_reader(const std::string& file, const load_options& options)
      : file_(file), options_(options), ctx_{diag_, 1.0} {}

  scenario read() {
    ynode root = load_yaml_file(file_);
    apply_overrides(root);
    diag_.throw_if_any();
    if (root.is_null())
      throw input_error(root.mark(), "", "the file is empty; a scenario needs at least 'segments'");
    if (!root.is_map())
      throw input_error(root.mark(), "", "a scenario file must be a map of keys at the top level");
    if (root.find("persona") != nullptr && root.find("segments") == nullptr)
      throw input_error(
          root.mark(), "",
          "this is a persona file, not a scenario; name it in a segment's 'personas'");
    if (root.find("sweep") != nullptr && root.find("segments") == nullptr)
      throw input_error(root.mark(), "",
                        "this is a sweep file, not a scenario; run it with 'cesim sweep', "
                        "'cesim sensitivity' or 'cesim calibrate', and name the scenario in its "
                        "'scenario' key");
    s_.file = file_;
    s_.overrides = options_.overrides;
    s_.inputs.push_back(input_file{file_, input_hash(file_), "scenario"});
    // Top-level keys starting with "x-" are ignored: a home for YAML anchors shared below, whose
    // aliases are expanded already. Dropped here rather than marked as known one by one, which
    // took minutes for a file of 200,000 of them.
    std::erase_if(root.entries(), [](const ynode::entry& e) { return e.key.starts_with("x-"); });
    map_reader top(ctx_, &root, "", "", root.mark());
    read_header(top);
    read_time(top);
    s_.population = static_cast<std::uint64_t>(top.number("population"));
    read_channels(top, root);
    read_inline_personas(top);
    read_segments(top);
    read_touchpoints(top);
    read_network(top);
    read_word_of_mouth(top);
    read_campaign_response(top);
    read_experience(top);
    read_market(top);
    read_loyalty(top);
    read_review(top);
    read_variants(top);
    top.allow({"campaigns"});  // read once segments and channels are known
    top.finish();
    resolve_personas();
    allocate_segment_counts(top);
    check_network_mixing(top);
    read_campaigns(top);
    diag_.throw_if_any();
    return std::move(s_);
  }

 private:
  void apply_overrides(ynode& root) {
    for (const auto& o : options_.overrides) {
      const source_mark origin = source_mark::named(o.origin);
      try {
        set_path(root, o.path, parse_override_value(o.value, origin), origin);
      } catch (const input_error& e) {
        for (const auto& p : e.problems()) diag_.error(p.where, p.path, p.message);
      }
    }
  }

  /// A list entry with nothing after its '-' is reported: map_reader takes a null for an absent
  /// optional section, and the entry would vanish silently (a scenario without segments).
  bool empty_entry(const ynode& node, const std::string& path) {
    if (!node.is_null()) return false;
    diag_.error(node.mark(), path, "must be a map of keys, got an empty entry");
    return true;
  }

  void read_header(map_reader& top) {
    top.bounded_number("cesim", 1, 1, false, "schema version");
    // A name derived from the file name is made safe; a name written in the file must be.
    std::string from_file = fs::path(file_).stem().string();
    for (char& c : from_file)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
    if (from_file.size() > 64) from_file.resize(64);
    s_.name = top.text("name", from_file.empty() ? "scenario" : from_file);
    if (top.get("name") != nullptr) check_name(top, "name", s_.name, "scenario");
    s_.description = top.text("description");
    if (const ynode* seed = top.get("seed"); seed != nullptr && !seed->is_null()) {
      if (!scalar_to_uint64(*seed, s_.seed))
        top.error("seed",
                  fmt::format("must be a whole number in [0, 18446744073709551615], got '{}'",
                              seed->to_flow()));
    }
  }

  void read_time(map_reader& top) {
    map_reader t(ctx_, top.get("time"), "time", "time", top.mark());
    s_.time.unit = t.choice<step_unit>("step",
                                       {{"day", step_unit::day},
                                        {"week", step_unit::week},
                                        {"month", step_unit::month},
                                        {"quarter", step_unit::quarter},
                                        {"year", step_unit::year}},
                                       step_unit::week);
    switch (s_.time.unit) {
      case step_unit::day:
        s_.time.weeks_per_step = 1.0 / 7.0;
        break;
      case step_unit::week:
        s_.time.weeks_per_step = 1.0;
        break;
      case step_unit::month:
        s_.time.weeks_per_step = 52.0 / 12.0;
        break;
      case step_unit::quarter:
        s_.time.weeks_per_step = 13.0;
        break;
      case step_unit::year:
        s_.time.weeks_per_step = 52.0;
        break;
    }
    ctx_.weeks_per_step = s_.time.weeks_per_step;
    s_.time.horizon = static_cast<std::uint32_t>(t.number("horizon"));
    s_.time.discount_rate_per_year = t.number("discount_rate");
    s_.time.discount_per_step =
        std::pow(1.0 + s_.time.discount_rate_per_year, s_.time.weeks_per_step / 52.0) - 1.0;
    t.finish();
  }

  void read_channels(map_reader& top, const ynode& root) {
    const ynode* channels = top.get("channels");
    if (channels != nullptr && !channels->is_null()) {
      if (!channels->is_sequence()) {
        top.error("channels",
                  fmt::format("must be a list of channel names, got a {}", channels->type_name()));
        return;
      }
      for (std::size_t i = 0; i < channels->items().size(); ++i) {
        const auto& c = channels->items()[i];
        const std::string path = fmt::format("channels[{}]", i);
        if (!c.is_scalar() || !valid_name(c.text())) {
          diag_.error(c.mark(), path,
                      fmt::format("must be a channel name (letters, digits, '_', '-'), got '{}'",
                                  c.to_flow()));
          continue;
        }
        if (std::find(s_.channels.begin(), s_.channels.end(), c.text()) != s_.channels.end()) {
          diag_.error(c.mark(), path, fmt::format("channel '{}' is listed twice", c.text()));
          continue;
        }
        s_.channels.push_back(c.text());
      }
      channels_declared_ = true;
      return;
    }
    // Without a channel list, the channels are those the touchpoints name, in order.
    if (const ynode* tps = root.find("touchpoints"); tps != nullptr && tps->is_sequence()) {
      for (const auto& tp : tps->items()) {
        if (!tp.is_map()) continue;
        if (const ynode* c = tp.find("channel");
            c != nullptr && c->is_scalar() && valid_name(c->text()) &&
            std::find(s_.channels.begin(), s_.channels.end(), c->text()) == s_.channels.end())
          s_.channels.push_back(c->text());
      }
    }
  }

  void read_inline_personas(map_reader& top) {
    map_reader m(ctx_, top.get("personas"), "personas", "", top.mark());
    if (!m.present()) return;
    for (const auto& e : m.node()->entries()) {
      m.get(e.key);
      check_name(m, e.key, e.key, "persona");
      inline_personas_.emplace(e.key,
                               read_persona(ctx_, e.value, m.path_of(e.key), e.key, "", false));
    }
  }

  std::size_t persona_slot(const std::string& ref, const source_mark& where, std::string path) {
    if (auto it = persona_slots_.find(ref); it != persona_slots_.end()) return it->second;
    const std::size_t slot = refs_.size();
    refs_.push_back(persona_ref{ref, where, std::move(path)});
    persona_slots_.emplace(ref, slot);
    return slot;
  }

  void read_segments(map_reader& top) {
    const ynode* list = top.get("segments");
    if (list == nullptr || list->is_null()) {
      top.error("segments",
                "required key is missing: a scenario needs at least one customer segment");
      return;
    }
    if (!list->is_sequence() || list->items().empty()) {
      top.error("segments", "must be a non-empty list of segments");
      return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < list->items().size(); ++i) {
      const ynode& node = list->items()[i];
      const std::string path = fmt::format("segments[{}]", i);
      if (empty_entry(node, path)) continue;
      map_reader m(ctx_, &node, path, "segments[]", node.mark());
      if (!m.present()) continue;
      segment seg;
      seg.where = node.mark();
      if (auto n = m.required_text("name")) {
        seg.name = *n;
        check_name(m, "name", seg.name, "segment");
        if (!names.insert(seg.name).second)
          m.error("name", fmt::format("segment '{}' is defined twice", seg.name));
      }
      seg.description = m.text("description");
      const auto share = m.maybe_number("share");
      const auto count = m.maybe_number("count");
      if (share && count) m.error("count", "give either share or count, not both");
      if (!share && !count) m.error_here("needs a size: 'share' (of the population) or 'count'");
      if (share) {
        seg.share = *share;
        ++segments_with_share_;
      }
      if (count) {
        seg.count = static_cast<std::uint64_t>(*count);
        ++segments_with_count_;
      }
      read_persona_mix(m, seg);
      read_traits(ctx_, m.get("traits"), m.path_of("traits"), seg.trait_overrides);
      read_correlation(m, seg);
      read_initial_state(m, seg);
      m.finish();
      s_.segments.push_back(std::move(seg));
    }
    if (segments_with_share_ > 0 && segments_with_count_ > 0)
      top.error("segments",
                "either every segment gives a share or every segment gives a count, not a mix");
    if (segments_with_share_ == s_.segments.size() && !s_.segments.empty()) {
      double total = 0;
      for (const auto& seg : s_.segments) total += seg.share;
      if (std::fabs(total - 1.0) > 1e-6)
        top.error("segments", fmt::format("segment shares must sum to 1, got {:.6g}", total));
    }
  }

  void read_persona_mix(map_reader& m, segment& seg) {
    const ynode* mix = m.get("personas");
    if (mix == nullptr || mix->is_null()) {
      m.error_here("needs 'personas': a persona name, a list of names, or a map of name to weight");
      return;
    }
    const std::string path = m.path_of("personas");
    std::vector<double> weights;
    auto add = [&](const std::string& ref, const source_mark& where, double w) {
      seg.persona_index.push_back(
          persona_slot(ref, where, mix->is_map() ? path + "." + ref : path));
      weights.push_back(w);
    };
    if (mix->is_scalar()) {
      add(mix->text(), mix->mark(), 1.0);
    } else if (mix->is_sequence()) {
      for (const auto& item : mix->items()) {
        if (!item.is_scalar()) {
          diag_.error(item.mark(), path, "list entries must be persona names or paths");
          continue;
        }
        add(item.text(), item.mark(), 1.0);
      }
    } else {
      map_reader weights_reader(ctx_, mix, path, "", m.mark());
      for (const auto& e : mix->entries()) {
        weights_reader.get(e.key);
        if (auto w = weights_reader.bounded_number(e.key, 0, 1e12, true, "persona weight"))
          add(e.key, e.key_mark, *w);
      }
    }
    double total = 0;
    for (double w : weights) total += w;
    if (weights.empty() || total <= 0) {
      diag_.error(mix->mark(), path, "needs at least one persona with a positive weight");
      return;
    }
    for (double w : weights) seg.persona_weight.push_back(w / total);
    std::set<std::size_t> seen;
    for (auto idx : seg.persona_index)
      if (!seen.insert(idx).second)
        diag_.error(mix->mark(), path, fmt::format("persona '{}' is listed twice", refs_[idx].ref));
  }

  void read_correlation(map_reader& m, segment& seg) {
    map_reader c(ctx_, m.get("correlation"), m.path_of("correlation"), "", m.mark());
    if (!c.present()) return;
    seg.correlation.where = c.mark();
    const std::size_t errors_before = diag_.size();
    const ynode* traits = c.get("traits");
    if (traits == nullptr || !traits->is_sequence() || traits->items().size() < 2) {
      c.error("traits", "must list at least two trait names");
    } else {
      for (std::size_t i = 0; i < traits->items().size(); ++i) {
        const auto& item = traits->items()[i];
        const auto t = item.is_scalar() ? trait_by_name(item.text()) : std::nullopt;
        if (!t) {
          diag_.error(item.mark(), fmt::format("{}.traits[{}]", c.path(), i),
                      fmt::format("unknown trait '{}'{}", item.to_flow(),
                                  detail::suggestion(item.to_flow(), trait_name_list())));
          continue;
        }
        if (std::find(seg.correlation.traits.begin(), seg.correlation.traits.end(), *t) !=
            seg.correlation.traits.end())
          diag_.error(item.mark(), fmt::format("{}.traits[{}]", c.path(), i),
                      fmt::format("trait '{}' is listed twice", item.text()));
        seg.correlation.traits.push_back(*t);
      }
    }
    const bool rank = c.choice<bool>("scale", {{"rank", true}, {"gaussian", false}}, true);
    const ynode* matrix = c.get("matrix");
    const std::size_t n = seg.correlation.traits.size();
    if (diag_.size() != errors_before) return c.finish();
    if (matrix == nullptr || !matrix->is_sequence() || matrix->items().size() != n) {
      c.error("matrix", fmt::format("must be a {0} x {0} list of rows, one per trait", n));
      return c.finish();
    }
    Eigen::MatrixXd r(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i) {
      const auto& row = matrix->items()[i];
      if (!row.is_sequence() || row.items().size() != n) {
        diag_.error(row.mark(), fmt::format("{}.matrix[{}]", c.path(), i),
                    fmt::format("must be a row of {} numbers", n));
        continue;
      }
      for (std::size_t j = 0; j < n; ++j) {
        double x = 0;
        const auto& cell = row.items()[j];
        const std::string cell_path = fmt::format("{}.matrix[{}][{}]", c.path(), i, j);
        if (!scalar_to_double(cell, x) || !std::isfinite(x) || x < -1 || x > 1) {
          diag_.error(cell.mark(), cell_path,
                      fmt::format("must be a correlation in [-1, 1], got '{}'", cell.to_flow()));
          continue;
        }
        if (i != j && std::fabs(x) >= 1.0) {
          diag_.error(
              cell.mark(), cell_path,
              fmt::format("off-diagonal correlations must lie strictly between -1 and 1, got {}",
                          cell.text()));
          continue;
        }
        if (i == j && x != 1.0)
          diag_.error(cell.mark(), cell_path,
                      fmt::format("diagonal entries must be 1, got {}", cell.text()));
        r(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = x;
      }
    }
    if (diag_.size() != errors_before) return c.finish();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) {
        const auto a = r(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
        const auto b = r(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i));
        if (std::fabs(a - b) > 1e-9)
          diag_.error(matrix->mark(), c.path_of("matrix"),
                      fmt::format("must be symmetric: entry [{}][{}] is {} but [{}][{}] is {}", i,
                                  j, format_number(a), j, i, format_number(b)));
      }
    if (diag_.size() != errors_before) return c.finish();
    // Spearman's rho of a Gaussian copula is (6/pi) asin(r/2); invert it so the user states
    // the rank correlation they would measure in data.
    if (rank)
      for (Eigen::Index i = 0; i < r.rows(); ++i)
        for (Eigen::Index j = 0; j < r.cols(); ++j)
          if (i != j) r(i, j) = 2.0 * std::sin(std::numbers::pi * r(i, j) / 6.0);
    Eigen::LLT<Eigen::MatrixXd> llt(r);
    if (llt.info() != Eigen::Success) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(r, Eigen::EigenvaluesOnly);
      c.error(
          "matrix",
          fmt::format("is not positive definite (smallest eigenvalue {:.3g}): these correlations "
                      "cannot hold together; weaken the strongest ones",
                      eigen.eigenvalues().minCoeff()));
      return c.finish();
    }
    for (Eigen::Index i = 0; i < r.rows(); ++i)
      for (Eigen::Index j = 0; j < r.cols(); ++j) seg.correlation.matrix.push_back(r(i, j));
    c.finish();
  }

  void read_initial_state(map_reader& m, segment& seg) {
    map_reader init(ctx_, m.get("initial"), m.path_of("initial"), "segments[].initial", m.mark());
    seg.initial_aware = init.number("aware");
    seg.initial_customers = init.number("customers");
    if (seg.initial_customers > seg.initial_aware + 1e-12)
      init.error(
          "customers",
          fmt::format("must not exceed initial.aware ({}): customers are aware, got {}",
                      format_number(seg.initial_aware), format_number(seg.initial_customers)));
    auto state = [&](std::string_view key, distribution& out) {
      const auto& spec = param(init.prefix_of(key));
      const ynode* v = init.get(key);
      out = (v == nullptr || v->is_null())
                ? distribution::fixed_value(spec.default_value, spec.min, spec.max)
                : read_distribution(ctx_, *v, init.path_of(key), spec.min, spec.max);
    };
    state("satisfaction", seg.initial_satisfaction);
    state("trust", seg.initial_trust);
    state("loyalty", seg.initial_loyalty);
    state("attitude", seg.initial_attitude);
    init.finish();
  }

  void read_touchpoints(map_reader& top) {
    const ynode* list = top.get("touchpoints");
    if (list == nullptr || list->is_null())
      return;  // a scenario without touchpoints is legal: a baseline
    if (!list->is_sequence()) {
      top.error("touchpoints",
                fmt::format("must be a list of touchpoints, got a {}", list->type_name()));
      return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < list->items().size(); ++i) {
      const ynode& node = list->items()[i];
      const std::string path = fmt::format("touchpoints[{}]", i);
      if (empty_entry(node, path)) continue;
      map_reader m(ctx_, &node, path, "touchpoints[]", node.mark());
      if (!m.present()) continue;
      touchpoint tp;
      tp.where = node.mark();
      if (auto n = m.required_text("name")) {
        tp.name = *n;
        check_name(m, "name", tp.name, "touchpoint");
        if (!names.insert(tp.name).second)
          m.error("name", fmt::format("touchpoint '{}' is defined twice", tp.name));
        tp.stream_tag = rng::name_tag(tp.name.data(), tp.name.size());
      }
      tp.description = m.text("description");
      tp.kind = m.choice<touchpoint_kind>(
          "kind", {{"direct", touchpoint_kind::direct}, {"indirect", touchpoint_kind::indirect}},
          touchpoint_kind::direct);
      tp.phase = m.choice<purchase_phase>("phase",
                                          {{"pre_purchase", purchase_phase::pre_purchase},
                                           {"purchase", purchase_phase::purchase},
                                           {"post_purchase", purchase_phase::post_purchase}},
                                          purchase_phase::pre_purchase, true);
      if (auto channel = m.required_text("channel")) {
        const auto it = std::find(s_.channels.begin(), s_.channels.end(), *channel);
        if (it == s_.channels.end()) {
          m.error("channel",
                  fmt::format("unknown channel '{}'{}", *channel,
                              channels_declared_ ? detail::suggestion(*channel, s_.channels)
                                                 : std::string()));
        } else {
          tp.channel = static_cast<std::size_t>(it - s_.channels.begin());
        }
      }
      tp.reach = m.number("reach");
      tp.weight = m.number("weight");
      tp.cost_per_contact = m.number("cost_per_contact");
      tp.improvement_cost = m.number("improvement_cost");
      const bool enabled = m.boolean("enabled", true);
      tp.shows_public_rating = m.boolean("shows_public_rating", false);
      tp.start = static_cast<std::uint32_t>(m.number("start"));
      tp.end = static_cast<std::uint32_t>(m.number("end"));
      if (tp.end != 0 && tp.end < tp.start)
        m.error("end", fmt::format("must not be before start ({}), got {}", tp.start, tp.end));
      const ynode* quality = m.get("quality");
      if (quality != nullptr && quality->is_scalar()) {
        // `quality: 0.8` is short for `quality: {mean: 0.8}`.
        ynode expanded = ynode::make_map(quality->mark());
        expanded.set("mean", *quality, quality->mark());
        read_quality(m, &expanded, tp);
      } else {
        read_quality(m, quality, tp);
      }
      if (tp.shows_public_rating && tp.kind != touchpoint_kind::indirect)
        m.error("shows_public_rating",
                "only an indirect touchpoint (a review portal, a test report) can show the "
                "public rating; set kind: indirect");
      m.finish();
      // A switched-off touchpoint is checked like any other, then left out (variants use this).
      if (enabled) s_.touchpoints.push_back(std::move(tp));
    }
  }

  void read_quality(map_reader& m, const ynode* node, touchpoint& tp) {
    map_reader q(ctx_, node, m.path_of("quality"), "touchpoints[].quality", m.mark());
    tp.quality_mean = q.number("mean");
    tp.quality_sd = q.number("sd");
    if (tp.shows_public_rating && q.get("mean") != nullptr)
      q.error("mean",
              "is not used: this touchpoint shows the current public rating instead; remove "
              "quality.mean "
              "or shows_public_rating");
    q.finish();
  }

  void read_network(map_reader& top) {
    map_reader m(ctx_, top.get("network"), "network", "network", top.mark());
    auto& n = s_.network;
    n.kind = m.choice<network_kind>("type",
                                    {{"well_mixed", network_kind::well_mixed},
                                     {"erdos_renyi", network_kind::erdos_renyi},
                                     {"watts_strogatz", network_kind::watts_strogatz},
                                     {"barabasi_albert", network_kind::barabasi_albert},
                                     {"block_model", network_kind::block_model},
                                     {"edge_list", network_kind::edge_list}},
                                    network_kind::watts_strogatz);
    n.mean_degree = m.number("mean_degree");
    n.rewiring = m.number("rewiring");
    n.contacts_per_step = static_cast<std::uint32_t>(m.number("contacts_per_step"));
    if (n.contacts_per_step == 0)
      n.contacts_per_step = static_cast<std::uint32_t>(std::lround(n.mean_degree));
    const double homophily = m.number("homophily");
    mixing_node_ = m.get("mixing");
    homophily_ = homophily;
    homophily_given_ = m.get("homophily") != nullptr;
    if (mixing_node_ != nullptr && homophily_given_)
      m.error("mixing", "give either homophily or mixing, not both");
    map_reader ties(ctx_, m.get("ties"), "network.ties", "network.ties", m.mark());
    n.ties = ties.choice<tie_assignment>(
        "assignment",
        {{"random", tie_assignment::random}, {"structural", tie_assignment::structural}},
        tie_assignment::random);
    n.strong_share = ties.number("strong_share");
    n.strong_strength = ties.number("strong");
    n.weak_strength = ties.number("weak");
    ties.finish();
    // Edge lists: a file of ties between customer ids.
    auto& e = n.edge_list;
    if (auto file = m.get("file"); file != nullptr && file->is_scalar()) {
      fs::path p(file->text());
      if (p.is_relative()) p = fs::path(file_).parent_path() / p;
      e.path = p.lexically_normal().string();
    } else if (file != nullptr) {
      m.error("file", "must be the path of an edge-list file");
    }
    e.format = m.choice<edge_list_options::separator>(
        "format",
        {{"auto", edge_list_options::separator::automatic},
         {"csv", edge_list_options::separator::comma},
         {"tsv", edge_list_options::separator::tab},
         {"whitespace", edge_list_options::separator::whitespace}},
        edge_list_options::separator::automatic);
    e.index_base = static_cast<int>(m.number("index_base"));
    e.weight_column = static_cast<int>(m.number("weight_column"));
    e.directed = m.boolean("directed", false);
    e.skip_header = m.boolean("header", false);
    e.on_unknown_id =
        m.choice<edge_list_options::mismatch>("unknown_ids",
                                              {{"error", edge_list_options::mismatch::error},
                                               {"drop", edge_list_options::mismatch::drop}},
                                              edge_list_options::mismatch::error);
    if (n.kind == network_kind::edge_list && e.path.empty())
      m.error("file", "required key is missing: type edge_list reads its ties from a file");
    if (n.kind != network_kind::edge_list && !e.path.empty())
      m.error("file", "is only read with type: edge_list");
    if (n.kind == network_kind::edge_list && !e.path.empty() && !path_exists(e.path))
      m.error("file",
              fmt::format(
                  "edge-list file '{}' not found (relative paths start at the scenario's folder)",
                  e.path));
    if (n.ties == tie_assignment::structural && n.kind != network_kind::watts_strogatz &&
        n.kind != network_kind::block_model)
      ties.error(
          "assignment",
          fmt::format(
              "structural ties need a structure: use it with watts_strogatz (lattice ties "
              "strong, shortcuts weak) or block_model (ties within a segment strong), not {}",
              to_string(n.kind)));
    if (n.kind == network_kind::watts_strogatz && n.mean_degree < 2)
      m.error(
          "mean_degree",
          "must be at least 2 for watts_strogatz (a ring lattice needs a neighbour on each side)");
    if (n.kind == network_kind::barabasi_albert && n.mean_degree < 2)
      m.error(
          "mean_degree",
          "must be at least 2 for barabasi_albert (each newcomer links to mean_degree / 2 others)");
    m.finish();
  }

  /// Needs the segments, so runs after them.
  void check_network_mixing(map_reader& top) {
    auto& n = s_.network;
    const std::size_t segs = s_.segments.size();
    if (n.kind != network_kind::block_model) {
      if (mixing_node_ != nullptr)
        diag_.error(mixing_node_->mark(), "network.mixing", "is only read with type: block_model");
      return;
    }
    if (segs == 0) return;
    if (mixing_node_ == nullptr) {
      // Homophily h: a share h of ties stay in the segment, the rest go to the others by size.
      n.mixing.assign(segs * segs, 0.0);
      for (std::size_t a = 0; a < segs; ++a) {
        const double others = 1.0 - s_.segments[a].share;
        for (std::size_t b = 0; b < segs; ++b) {
          if (a == b)
            n.mixing[a * segs + b] = segs == 1 ? 1.0 : homophily_;
          else
            n.mixing[a * segs + b] =
                others > 0 ? (1.0 - homophily_) * s_.segments[b].share / others : 0.0;
        }
      }
      return;
    }
    if (!mixing_node_->is_sequence() || mixing_node_->items().size() != segs) {
      diag_.error(
          mixing_node_->mark(), "network.mixing",
          fmt::format("must be a {0} x {0} list of rows, one per segment in the order of segments",
                      segs));
      return;
    }
    for (std::size_t a = 0; a < segs; ++a) {
      const auto& row = mixing_node_->items()[a];
      const std::string path = fmt::format("network.mixing[{}]", a);
      if (!row.is_sequence() || row.items().size() != segs) {
        diag_.error(row.mark(), path, fmt::format("must be a row of {} shares", segs));
        continue;
      }
      double total = 0;
      for (std::size_t b = 0; b < segs; ++b) {
        double x = 0;
        if (!scalar_to_double(row.items()[b], x) || !std::isfinite(x) || x < 0 || x > 1) {
          diag_.error(row.items()[b].mark(), fmt::format("{}[{}]", path, b),
                      "must be a share in [0, 1]");
          x = 0;
        }
        n.mixing.push_back(x);
        total += x;
      }
      if (std::fabs(total - 1.0) > 1e-6)
        diag_.error(row.mark(), path,
                    fmt::format("shares of segment '{}' must sum to 1, got {:.6g}",
                                s_.segments[a].name, total));
    }
    (void)top;
  }

  void read_campaign_response(map_reader& top) {
    map_reader m(ctx_, top.get("campaign_response"), "campaign_response", "campaign_response",
                 top.mark());
    auto& r = s_.campaign_response;
    map_reader p(ctx_, m.get("participation"), m.path_of("participation"),
                 m.prefix_of("participation"), m.mark());
    r.base = p.number("base");
    r.propensity = p.number("propensity");
    r.loyalty = p.number("loyalty");
    r.incentive = p.number("incentive");
    r.effort = p.number("effort");
    p.finish();
    map_reader acted(ctx_, m.get("acted"), m.path_of("acted"), m.prefix_of("acted"), m.mark());
    r.acted_trust = acted.number("trust");
    r.acted_satisfaction = acted.number("satisfaction");
    acted.finish();
    map_reader ignored(ctx_, m.get("ignored"), m.path_of("ignored"), m.prefix_of("ignored"),
                       m.mark());
    r.ignored_trust = ignored.number("trust");
    r.ignored_satisfaction = ignored.number("satisfaction");
    ignored.finish();
    map_reader observer(ctx_, m.get("observer"), m.path_of("observer"), m.prefix_of("observer"),
                        m.mark());
    r.observer_gain = observer.number("gain");
    r.observer_identification = observer.number("identification");
    observer.finish();
    m.finish();
  }

  /// Variants are key-path overrides kept as text; `load_variant` applies them to a fresh load
  /// of the file, so a variant is checked exactly like `--set`.
  void read_variants(map_reader& top) {
    const ynode* list = top.get("variants");
    if (list == nullptr || list->is_null()) return;
    if (!list->is_sequence()) {
      top.error("variants", fmt::format("must be a list of variants (name, description, set), "
                                        "got a {}",
                                        list->type_name()));
      return;
    }
    std::set<std::string> names{"baseline"};
    for (std::size_t k = 0; k < list->items().size(); ++k) {
      const ynode& node = list->items()[k];
      const std::string path = fmt::format("variants[{}]", k);
      if (empty_entry(node, path)) continue;
      map_reader m(ctx_, &node, path, "variants[]", node.mark());
      if (!m.present()) continue;
      variant v;
      v.where = node.mark();
      if (auto n = m.required_text("name")) {
        v.name = *n;
        check_name(m, "name", v.name, "variant");
        if (!names.insert(v.name).second)
          m.error("name", v.name == "baseline"
                              ? std::string("'baseline' is the scenario itself; pick another name")
                              : fmt::format("variant '{}' is defined twice", v.name));
      }
      v.description = m.text("description");
      const ynode* set = m.get("set");
      if (set == nullptr || !set->is_map() || set->entries().empty()) {
        m.error_here(fmt::format(
            "needs 'set': a map of key paths to values, e.g. set: {{campaigns.contest.incentive: "
            "0.5}} or set: {{campaigns.contest.enabled: false}}"));
      } else {
        for (const auto& e : set->entries())
          v.overrides.push_back(
              override_spec{e.key, e.value.to_flow(),
                            fmt::format("{}:{}:{} (variant '{}')", e.key_mark.file_name(),
                                        e.key_mark.line, e.key_mark.column, v.name)});
      }
      m.finish();
      s_.variants.push_back(std::move(v));
    }
  }

  /// Needs segments and channels, so runs after them. Adds the featured products of contests
  /// as touchpoints.
  void read_campaigns(map_reader& top) {
    const ynode* list = top.get("campaigns");
    if (list == nullptr || list->is_null()) return;
    if (!list->is_sequence()) {
      top.error("campaigns",
                fmt::format("must be a list of campaigns, got a {}", list->type_name()));
      return;
    }
    std::set<std::string> names;
    for (const auto& tp : s_.touchpoints) names.insert(tp.name);
    for (std::size_t k = 0; k < list->items().size(); ++k) {
      const ynode& node = list->items()[k];
      const std::string path = fmt::format("campaigns[{}]", k);
      if (empty_entry(node, path)) continue;
      map_reader m(ctx_, &node, path, "campaigns[]", node.mark());
      if (!m.present()) continue;
      campaign c;
      c.where = node.mark();
      if (auto n = m.required_text("name")) {
        c.name = *n;
        check_name(m, "name", c.name, "campaign");
        if (!names.insert(c.name).second)
          m.error("name", fmt::format("'{}' is already the name of a touchpoint or campaign (names "
                                      "identify word-of-mouth origins)",
                                      c.name));
        c.stream_tag = rng::name_tag(c.name.data(), c.name.size());
      }
      c.description = m.text("description");
      const bool enabled = m.boolean("enabled", true);
      std::vector<std::pair<std::string_view, campaign_type>> type_names;
      c.type = m.choice<campaign_type>("type",
                                       {{"survey", campaign_type::survey},
                                        {"vote", campaign_type::vote},
                                        {"feedback_system", campaign_type::feedback_system},
                                        {"company_blog", campaign_type::company_blog},
                                        {"innovation_workshop", campaign_type::innovation_workshop},
                                        {"co_creation_contest", campaign_type::co_creation_contest},
                                        {"crowdsourcing", campaign_type::crowdsourcing},
                                        {"influencer_program", campaign_type::influencer_program},
                                        {"referral_program", campaign_type::referral_program}},
                                       campaign_type::survey, true);
      const auto& d = campaign_info(c.type).defaults;
      c.channel = read_channel(m, "channel");
      c.start = static_cast<std::uint32_t>(m.number("start"));
      c.end = static_cast<std::uint32_t>(m.number("end"));
      if (const ynode* end = m.get("end");
          c.type == campaign_type::survey && (end == nullptr || end->is_null()))
        c.end = c.start;
      if (c.end != 0 && c.end < c.start)
        m.error("end", fmt::format("must not be before start ({}), got {}", c.start, c.end));
      auto typed = [&](std::string_view key, double fallback) {
        return m.maybe_number(key).value_or(scale_default(key, fallback));
      };
      c.interval = static_cast<std::uint32_t>(typed("interval", d.interval));
      c.invite_reach = typed("invite_reach", d.invite_reach);
      c.effort = typed("effort", d.effort);
      c.incentive = typed("incentive", d.incentive);
      c.capacity = static_cast<std::uint64_t>(typed("capacity", static_cast<double>(d.capacity)));
      c.responsiveness = typed("responsiveness", d.responsiveness);
      c.visibility = typed("visibility", d.visibility);
      c.share_probability = typed("share_probability", d.share_probability);
      c.gain = typed("gain", d.gain);
      read_target(m, c);
      map_reader costs(ctx_, m.get("costs"), m.path_of("costs"), m.prefix_of("costs"), m.mark());
      c.cost_fixed = costs.number("fixed");
      c.cost_per_invitation = costs.number("per_invitation");
      c.cost_per_participant = costs.number("per_participant");
      costs.finish();
      // Type-specific keys are only accepted where they mean something.
      auto only = [&](std::string_view key, campaign_type type) {
        if (c.type != type && m.get(key) != nullptr)
          m.error(key, fmt::format("is a setting of {} campaigns, not of {}", to_string(type),
                                   to_string(c.type)));
      };
      only("options", campaign_type::vote);
      c.options = static_cast<std::uint32_t>(m.number("options"));
      if (c.type != campaign_type::vote && c.type != campaign_type::co_creation_contest &&
          m.get("losing_gain_factor") != nullptr)
        m.error("losing_gain_factor", "is a setting of vote and co_creation_contest campaigns");
      c.losing_gain_factor = m.number("losing_gain_factor");
      only("entry_share", campaign_type::co_creation_contest);
      c.entry_share = m.number("entry_share");
      only("jury_agreement", campaign_type::co_creation_contest);
      c.jury_agreement = m.number("jury_agreement");
      only("feature", campaign_type::co_creation_contest);
      read_feature(m, c, enabled);
      only("credibility", campaign_type::influencer_program);
      c.credibility = m.number("credibility");
      only("sponsored_talk", campaign_type::influencer_program);
      c.sponsored_talk = m.number("sponsored_talk");
      only("reward_per_referral", campaign_type::referral_program);
      c.reward_per_referral = m.number("reward_per_referral");
      // Types with a result need to close before the run ends, or the result is never announced.
      if (c.type == campaign_type::co_creation_contest || c.type == campaign_type::vote ||
          c.type == campaign_type::crowdsourcing) {
        if (c.end == 0)
          m.error("end",
                  fmt::format(
                      "a {} needs an end: the step it closes, after which its result is announced",
                      to_string(c.type)));
        else if (c.end >= s_.time.horizon)
          m.error("end",
                  fmt::format(
                      "closes at step {} but the run ends at step {}: the result would never be "
                      "announced; close earlier or lengthen time.horizon",
                      c.end, s_.time.horizon));
      }
      m.finish();
      if (enabled) s_.campaigns.push_back(std::move(c));
    }
    if (s_.campaigns.size() + s_.touchpoints.size() + 2 > 65535)
      top.error("campaigns", "too many campaigns and touchpoints");
  }

  /// Per-week defaults of the type table are scaled like values written in the file.
  double scale_default(std::string_view key, double value) const {
    const auto& spec = param(fmt::format("campaigns[].{}", key));
    return detail::scale_to_step(value, spec.scaling, ctx_.weeks_per_step);
  }

  std::size_t read_channel(map_reader& m, std::string_view key) {
    auto channel = m.required_text(key);
    if (!channel) return 0;
    const auto it = std::find(s_.channels.begin(), s_.channels.end(), *channel);
    if (it == s_.channels.end()) {
      m.error(key, fmt::format("unknown channel '{}'{}", *channel,
                               detail::suggestion(*channel, s_.channels)));
      return 0;
    }
    return static_cast<std::size_t>(it - s_.channels.begin());
  }

  void read_target(map_reader& m, campaign& c) {
    map_reader t(ctx_, m.get("target"), m.path_of("target"), m.prefix_of("target"), m.mark());
    c.target.segments.assign(s_.segments.size(), true);
    if (const ynode* segs = t.get("segments"); segs != nullptr && !segs->is_null()) {
      c.target.segments.assign(s_.segments.size(), false);
      if (!segs->is_sequence())
        t.error("segments", "must be a list of segment names");
      else
        for (const auto& item : segs->items()) {
          const auto it = std::find_if(
              s_.segments.begin(), s_.segments.end(),
              [&](const segment& seg) { return item.is_scalar() && seg.name == item.text(); });
          if (it == s_.segments.end()) {
            std::vector<std::string> known;
            for (const auto& seg : s_.segments) known.push_back(seg.name);
            diag_.error(item.mark(), t.path_of("segments"),
                        fmt::format("unknown segment '{}'{}", item.to_flow(),
                                    detail::suggestion(item.to_flow(), known)));
            continue;
          }
          c.target.segments[static_cast<std::size_t>(it - s_.segments.begin())] = true;
        }
    }
    // By default customers are invited; influencer programmes recruit among everyone.
    const bool everyone = c.type == campaign_type::influencer_program;
    c.target.statuses = static_cast<std::uint8_t>(
        everyone ? 0x0fu : 1u << static_cast<unsigned>(customer_status_index("customer")));
    if (const ynode* st = t.get("status"); st != nullptr && !st->is_null()) {
      c.target.statuses = 0;
      const std::vector<std::string> known{"unaware", "aware", "customer", "lapsed"};
      if (!st->is_sequence())
        t.error("status", "must be a list of statuses: unaware, aware, customer, lapsed");
      else
        for (const auto& item : st->items()) {
          const int index = item.is_scalar() ? customer_status_index(item.text()) : -1;
          if (index < 0) {
            diag_.error(item.mark(), t.path_of("status"),
                        fmt::format("unknown status '{}'{}", item.to_flow(),
                                    detail::suggestion(item.to_flow(), known)));
            continue;
          }
          c.target.statuses =
              static_cast<std::uint8_t>(c.target.statuses | (1u << static_cast<unsigned>(index)));
        }
    }
    c.target.min_loyalty = t.number("min_loyalty");
    t.finish();
  }

  static int customer_status_index(const std::string& name) {
    if (name == "unaware") return 0;
    if (name == "aware") return 1;
    if (name == "customer") return 2;
    if (name == "lapsed") return 3;
    return -1;
  }

  /// A disabled contest is checked but adds no touchpoints.
  void read_feature(map_reader& m, campaign& c, bool enabled) {
    map_reader f(ctx_, m.get("feature"), m.path_of("feature"), m.prefix_of("feature"), m.mark());
    auto& ft = c.feature;
    ft.steps = c.type == campaign_type::co_creation_contest
                   ? static_cast<std::uint32_t>(f.number("steps"))
                   : 0;
    ft.reach = f.number("reach");
    ft.weight = f.number("weight");
    ft.publicity = f.number("publicity");
    ft.channel = f.get("channel") != nullptr ? read_channel(f, "channel") : c.channel;
    map_reader q(ctx_, f.get("quality"), f.path_of("quality"), f.prefix_of("quality"), f.mark());
    ft.quality_mean = q.number("mean");
    ft.quality_sd = q.number("sd");
    q.finish();
    f.finish();
    if (!enabled || c.type != campaign_type::co_creation_contest || ft.steps == 0 || c.end == 0)
      return;
    for (const auto& suffix : {"_winner", "_launch"})
      for (const auto& tp : s_.touchpoints)
        if (tp.name == c.name + suffix)
          m.error(
              "name",
              fmt::format("the contest's winner becomes the touchpoint '{}', which already exists",
                          tp.name));
    // The winner on sale is a touchpoint for customers buying in the feature window, and its
    // launch publicity one for everyone else: the touchpoint machinery does the rest.
    const std::uint32_t first = c.end + 1;
    const std::uint32_t last = c.end + ft.steps;
    touchpoint sale;
    sale.name = c.name + "_winner";
    sale.description = "the winning design on sale";
    sale.where = c.where;
    sale.kind = touchpoint_kind::direct;
    sale.phase = purchase_phase::purchase;
    sale.channel = ft.channel;
    sale.reach = ft.reach;
    sale.quality_mean = ft.quality_mean;
    sale.quality_sd = ft.quality_sd;
    sale.weight = ft.weight;
    sale.start = first;
    sale.end = last;
    sale.stream_tag = rng::name_tag(sale.name.data(), sale.name.size());
    touchpoint launch = sale;
    launch.name = c.name + "_launch";
    launch.description = "launch publicity for the winning design";
    launch.kind = touchpoint_kind::indirect;
    launch.phase = purchase_phase::pre_purchase;
    launch.reach = ft.publicity;
    launch.stream_tag = rng::name_tag(launch.name.data(), launch.name.size());
    s_.touchpoints.push_back(std::move(sale));
    s_.touchpoints.push_back(std::move(launch));
  }

  void read_word_of_mouth(map_reader& top) {
    map_reader m(ctx_, top.get("word_of_mouth"), "word_of_mouth", "word_of_mouth", top.mark());
    auto& w = s_.word_of_mouth;
    w.talk_scale = m.number("talk_scale");
    w.forward_probability = m.number("forward_probability");
    w.decay = m.number("decay");
    w.negativity_weight = m.number("negativity_weight");
    w.effect = m.number("effect");
    w.organic_rate = m.number("organic_rate");
    w.max_hops = static_cast<std::uint32_t>(m.number("max_hops"));
    m.finish();
  }

  void read_experience(map_reader& top) {
    map_reader m(ctx_, top.get("experience"), "experience", "experience", top.mark());
    auto& e = s_.experience;
    e.satisfaction_rate = m.number("satisfaction_rate");
    e.attitude_rate = m.number("attitude_rate");
    e.trust_rate = m.number("trust_rate");
    e.delight_threshold = m.number("delight_threshold");
    e.disappointment_threshold = m.number("disappointment_threshold");
    e.negativity_bias = m.number("negativity_bias");
    m.finish();
  }

  void read_market(map_reader& top) {
    map_reader m(ctx_, top.get("market"), "market", "market", top.mark());
    auto& k = s_.market;
    k.purchase_probability = m.number("purchase_probability");
    map_reader conv(ctx_, m.get("conversion"), "market.conversion", "market.conversion", m.mark());
    k.conversion_base = conv.number("base");
    k.conversion_attitude = conv.number("attitude");
    k.conversion_referred = conv.number("referred");
    k.conversion_lapsed = conv.number("lapsed");
    k.conversion_recommendation = conv.number("recommendation");
    conv.finish();
    map_reader churn(ctx_, m.get("churn"), "market.churn", "market.churn", m.mark());
    k.churn_base = churn.number("base");
    k.churn_loyalty = churn.number("loyalty");
    k.churn_price_sensitivity = churn.number("price_sensitivity");
    k.churn_referred = churn.number("referred");
    k.churn_warn_probability = churn.number("warn_probability");
    churn.finish();
    m.finish();
  }

  void read_loyalty(map_reader& top) {
    map_reader m(ctx_, top.get("loyalty"), "loyalty", "loyalty", top.mark());
    auto& l = s_.loyalty;
    l.rate = m.number("rate");
    map_reader w(ctx_, m.get("weights"), "loyalty.weights", "loyalty.weights", m.mark());
    l.weight_satisfaction = w.number("satisfaction");
    l.weight_trust = w.number("trust");
    l.weight_empowerment = w.number("empowerment");
    const double total = l.weight_satisfaction + l.weight_trust + l.weight_empowerment;
    if (std::fabs(total - 1.0) > 1e-6)
      w.error_here(
          fmt::format("must sum to 1, got {:.6g} (satisfaction {} + trust {} + empowerment {})",
                      total, format_number(l.weight_satisfaction), format_number(l.weight_trust),
                      format_number(l.weight_empowerment)));
    w.finish();
    l.empowerment_decay = m.number("empowerment_decay");
    l.trust_reversion = m.number("trust_reversion");
    l.satisfaction_reversion = m.number("satisfaction_reversion");
    l.attitude_reversion = m.number("attitude_reversion");
    l.recommend_satisfaction_weight = m.number("recommend_satisfaction_weight");
    l.recommend_top_level = m.number("recommend_top_level");
    m.finish();
  }

  void read_review(map_reader& top) {
    map_reader m(ctx_, top.get("review"), "review", "review", top.mark());
    s_.review.rating_probability = m.number("rating_probability");
    s_.review.update_rate = m.number("update_rate");
    m.finish();
  }

  std::optional<std::string> find_persona_file(const std::string& ref) {
    if (looks_like_path(ref)) {
      fs::path p(ref);
      if (p.is_relative()) p = fs::path(file_).parent_path() / p;
      if (path_exists(p)) return p.lexically_normal().string();
      return std::nullopt;
    }
    for (const auto& dir : persona_search_path(file_, options_)) {
      const fs::path p = fs::path(dir) / (ref + ".yaml");
      if (path_exists(p)) return p.lexically_normal().string();
    }
    return std::nullopt;
  }

  std::vector<std::string> available_personas() {
    std::set<std::string> names;
    for (const auto& [name, draft] : inline_personas_) names.insert(name);
    for (const auto& dir : persona_search_path(file_, options_)) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".yaml") names.insert(entry.path().stem().string());
    }
    return {names.begin(), names.end()};
  }

  void resolve_personas() {
    std::vector<persona_draft> drafts;
    for (auto& ref : refs_) {
      if (auto it = inline_personas_.find(ref.ref); it != inline_personas_.end()) {
        drafts.push_back(it->second);
        continue;
      }
      const auto path = find_persona_file(ref.ref);
      if (!path) {
        if (looks_like_path(ref.ref)) {
          diag_.error(
              ref.where, ref.path,
              fmt::format(
                  "persona file '{}' not found (relative paths start at the scenario's folder)",
                  ref.ref));
        } else {
          const auto names = available_personas();
          diag_.error(
              ref.where, ref.path,
              fmt::format("unknown persona '{}'{}", ref.ref,
                          names.empty()
                              ? std::string(" (no persona library found; pass --personas DIR)")
                              : detail::suggestion(ref.ref, names)));
        }
        drafts.emplace_back();
        continue;
      }
      try {
        const ynode root = load_yaml_file(*path);
        drafts.push_back(read_persona_file(ctx_, *path, root));
        s_.inputs.push_back(input_file{*path, input_hash(*path), "persona"});
      } catch (const input_error& e) {
        for (const auto& p : e.problems()) diag_.error(p.where, p.path, p.message);
        drafts.emplace_back();
      }
    }
    for (auto& draft : drafts) {
      draft.p.channel_affinity.assign(s_.channels.size(), param("channel_affinity").default_value);
      for (const auto& [channel, value] : draft.affinity) {
        const auto it = std::find(s_.channels.begin(), s_.channels.end(), channel);
        // A library persona may name channels this scenario does not use; they are ignored.
        if (it != s_.channels.end())
          draft.p.channel_affinity[static_cast<std::size_t>(it - s_.channels.begin())] = value;
      }
      s_.personas.push_back(std::move(draft.p));
    }
    // Margins are declared per week; the engine works per step.
    const double weeks = s_.time.weeks_per_step;
    const auto margin = index_of(trait::margin);
    if (weeks != 1.0) {
      for (auto& p : s_.personas) scale_distribution(p.traits[margin], weeks);
      for (auto& seg : s_.segments)
        if (seg.trait_overrides[margin]) scale_distribution(*seg.trait_overrides[margin], weeks);
    }
  }

  void allocate_segment_counts(map_reader& top) {
    if (s_.segments.empty() || !diag_.empty()) return;
    const bool by_count = segments_with_count_ == s_.segments.size();
    if (by_count) {
      std::uint64_t total = 0;
      for (const auto& seg : s_.segments) total += seg.count;
      if (total == 0) {
        top.error("segments", "segment counts sum to 0");
        return;
      }
      // Counts are weights when a population is given; otherwise they define it.
      const ynode* population = top.get("population");
      if (population == nullptr || population->is_null()) s_.population = total;
      if (s_.population > static_cast<std::uint64_t>(param("population").max)) {
        top.error(
            "segments",
            fmt::format("segment counts sum to {}, more than the {} customers 32-bit ids allow",
                        total, format_number(param("population").max)));
        return;
      }
      for (auto& seg : s_.segments)
        seg.share = static_cast<double>(seg.count) / static_cast<double>(total);
    }
    // Largest remainder: counts add up to the population exactly, and the rule is deterministic.
    std::uint64_t assigned = 0;
    std::vector<std::pair<double, std::size_t>> remainders;
    for (std::size_t i = 0; i < s_.segments.size(); ++i) {
      const double exact = s_.segments[i].share * static_cast<double>(s_.population);
      s_.segments[i].count = static_cast<std::uint64_t>(std::floor(exact));
      assigned += s_.segments[i].count;
      remainders.emplace_back(exact - std::floor(exact), i);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t k = 0; assigned < s_.population && k < remainders.size(); ++k, ++assigned)
      ++s_.segments[remainders[k].second].count;
    // Shares may sum to up to 1 + 1e-6, so the floors alone can exceed the population (by up to
    // about 4300 of 4.3 billion): take the excess back from the smallest remainders.
    while (assigned > s_.population)
      for (auto k = remainders.rbegin(); k != remainders.rend() && assigned > s_.population; ++k)
        if (auto& count = s_.segments[k->second].count; count > 0) {
          --count;
          --assigned;
        }
    if (s_.segments.size() > 65535) top.error("segments", "at most 65535 segments are supported");
    if (s_.personas.size() > 65535) top.error("personas", "at most 65535 personas are supported");
  }

  std::string file_;
  const load_options& options_;
  diagnostics diag_;
  load_context ctx_;
  scenario s_;
  bool channels_declared_ = false;
  const ynode* mixing_node_ = nullptr;
  double homophily_ = 0;
  bool homophily_given_ = false;
  std::size_t segments_with_share_ = 0;
  std::size_t segments_with_count_ = 0;
  std::map<std::string, persona_draft> inline_personas_;
  std::vector<persona_ref> refs_;
  std::map<std::string, std::size_t> persona_slots_;
};

std::vector<std::string> split_path_list(const char* text) {
  std::vector<std::string> out;
  if (text == nullptr) return out;
  std::string s(text);
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto end = s.find(':', start);
    const auto part = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!part.empty()) out.push_back(part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> persona_search_path(const std::string& scenario_path,
                                             const load_options& options) {
  std::vector<std::string> dirs;
  auto add = [&](const fs::path& p) {
    std::error_code ec;
    if (p.empty() || !fs::is_directory(p, ec)) return;
    const auto s = p.lexically_normal().string();
    if (std::find(dirs.begin(), dirs.end(), s) == dirs.end()) dirs.push_back(s);
  };
  const fs::path base = fs::path(scenario_path).parent_path();
  add(base / "personas");
  add(base.empty() ? fs::path("..") / "personas" : base / ".." / "personas");
  for (const auto& d : options.persona_dirs) add(d);
  for (const auto& d : split_path_list(std::getenv("CESIM_PERSONA_PATH"))) add(d);
  add(CESIM_SOURCE_PERSONA_DIR);
  add(CESIM_INSTALL_PERSONA_DIR);
  return dirs;
}

scenario load_scenario(const std::string& path, const load_options& options) {
  scenario_reader reader(path, options);
  return reader.read();
}

scenario load_variant(const std::string& path, const load_options& options, const variant& v) {
  load_options with_variant = options;
  with_variant.overrides.insert(with_variant.overrides.end(), v.overrides.begin(),
                                v.overrides.end());
  return load_scenario(path, with_variant);
}

persona load_persona_file(const std::string& path) {
  diagnostics diag;
  load_context ctx{diag, 1.0};
  const ynode root = load_yaml_file(path);
  auto draft = read_persona_file(ctx, path, root);
  diag.throw_if_any();
  return draft.p;
}

validation_report validate_file(const std::string& path, const load_options& options) {
  validation_report report;
  report.file = path;
  report.kind = "unknown";
  try {
    const ynode root = load_yaml_file(path);
    if (root.is_map() && root.find("persona") != nullptr && root.find("segments") == nullptr) {
      report.kind = "persona";
      const persona p = load_persona_file(path);
      report.summary = fmt::format("persona '{}'", p.name);
      return report;
    }
    report.kind = "scenario";
    const scenario s = load_scenario(path, options);
    report.summary = fmt::format(
        "scenario '{}': {} customers, {} segments, {} personas, {} touchpoints, {} steps of a {}",
        s.name, s.population, s.segments.size(), s.personas.size(), s.touchpoints.size(),
        s.time.horizon, to_string(s.time.unit));
    // Each variant must load too, or `cesim compare` would fail after the baseline ran.
    for (const auto& v : s.variants) {
      try {
        (void)load_variant(path, options, v);
      } catch (const input_error& e) {
        report.problems.insert(report.problems.end(), e.problems().begin(), e.problems().end());
      }
    }
    if (!s.variants.empty()) report.summary += fmt::format(", {} variants", s.variants.size());
    if (report.problems.empty()) report.loaded = s;
  } catch (const input_error& e) {
    report.problems = e.problems();
  }
  return report;
}

}  // namespace cesim::io
