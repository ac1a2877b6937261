// Fuzz target: bytes as the text of a scenario file, loaded through cesim::io::load_scenario as
// `cesim run` loads it (persona library included). The acceptable outcomes are a scenario that
// keeps the invariants the engine relies on, or an input_error that says what is wrong and in
// which file. Anything else (another exception, a crash, a sanitizer report, a hang, huge
// memory) is a finding. Each variant of a loaded scenario is loaded too: variants are key-path
// overrides, so this also fuzzes set_path and parse_override_value.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <typeinfo>

#include "cesim/io/scenario_loader.hpp"
#include "fuzz_support.hpp"

namespace {

using cesim::fuzz::finding;

/// Variants loaded per input: each is a full load, and a few cover the override paths.
constexpr std::size_t max_variants_loaded = 4;

/// Problems may name the scenario, an override taken from it ("FILE:line:col (variant 'v')") or
/// a persona file it names; never nothing.
void check_names_file(const cesim::input_error& e, const std::string& scenario_file) {
  cesim::fuzz::check_input_error(e, "load_scenario");
  for (const auto& problem : e.problems()) {
    const std::string& file = *problem.where.file;
    std::error_code ec;
    if (file != scenario_file && !file.starts_with(scenario_file + ":") &&
        !std::filesystem::exists(file, ec))
      finding(
          fmt::format("load_scenario: a problem names neither the scenario nor a file it "
                      "refers to: '{}'",
                      problem.to_string()));
  }
}

void require(bool ok, std::string_view what) {
  if (!ok) finding(fmt::format("loaded scenario breaks an invariant: {}", what));
}

/// Population synthesis draws every trait and initial state by its quantile function: it must
/// give a number in the distribution's domain, and must not throw (Boost.Math throws on
/// overflow), for any draw.
void check_distribution(const cesim::distribution& d, std::string_view what) {
  // Messages are formatted only on failure: this runs for every trait of every input.
  if (!std::isfinite(d.lo) || std::isnan(d.hi) || d.lo > d.hi)
    finding(fmt::format("{}: domain [{}, {}]", what, d.lo, d.hi));
  if (d.kind == cesim::distribution::family::categorical) {
    if (d.values.empty() || d.values.size() != d.cumulative.size() || d.cumulative.back() != 1.0 ||
        !std::is_sorted(d.cumulative.begin(), d.cumulative.end()))
      finding(fmt::format("{}: inconsistent categorical tables", what));
  } else if (!std::isfinite(d.a) || !std::isfinite(d.b)) {
    finding(fmt::format("{}: {} has parameters {} and {}", what, d.describe(), d.a, d.b));
  }
  for (const double u : {1e-9, 0.001, 0.5, 0.999, 1 - 1e-9}) {
    double x = 0;
    try {
      x = d.quantile(u);
    } catch (const std::exception& e) {
      finding(fmt::format("{}: {} quantile({}) threw {}", what, d.describe(), u, e.what()));
    }
    if (std::isnan(x) || x < d.lo || x > d.hi)
      finding(fmt::format("{}: {} quantile({}) = {}", what, d.describe(), u, x));
  }
}

/// What the engine takes for granted about a loaded scenario.
void check_scenario(const cesim::scenario& s) {
  require(!s.segments.empty(), "no segments");
  require(s.population >= 1 && s.population <= 4294967295u, "population outside 32-bit ids");
  require(s.time.horizon >= 1, "horizon 0");
  std::uint64_t customers = 0;
  for (const auto& seg : s.segments) {
    customers += seg.count;
    require(!seg.persona_index.empty(), "a segment without personas");
    require(seg.persona_index.size() == seg.persona_weight.size(), "persona weights mismatch");
    double total = 0;
    for (std::size_t k = 0; k < seg.persona_index.size(); ++k) {
      require(seg.persona_index[k] < s.personas.size(), "persona index out of range");
      require(std::isfinite(seg.persona_weight[k]) && seg.persona_weight[k] >= 0,
              "persona weight not a finite share");
      total += seg.persona_weight[k];
    }
    require(std::fabs(total - 1.0) < 1e-9, "persona weights do not sum to 1");
    const std::size_t traits = seg.correlation.traits.size();
    require(seg.correlation.matrix.size() == traits * traits, "correlation matrix size");
    for (const auto& d : seg.trait_overrides)
      if (d) check_distribution(*d, "segment trait");
    for (const auto* d : {&seg.initial_satisfaction, &seg.initial_trust, &seg.initial_loyalty,
                          &seg.initial_attitude})
      check_distribution(*d, "segment initial state");
  }
  require(customers == s.population, "segment counts do not sum to the population");
  for (const auto& p : s.personas) {
    require(p.channel_affinity.size() == s.channels.size(), "channel affinities mismatch");
    for (const auto& d : p.traits) check_distribution(d, "persona trait");
  }
  for (const auto& tp : s.touchpoints)
    require(tp.channel < s.channels.size(), "touchpoint channel out of range");
  for (const auto& c : s.campaigns) {
    require(c.channel < s.channels.size(), "campaign channel out of range");
    require(c.target.segments.size() == s.segments.size(), "campaign target segments");
  }
  if (s.network.kind == cesim::network_kind::block_model)
    require(s.network.mixing.size() == s.segments.size() * s.segments.size(),
            "block-model mixing matrix size");
}

/// One load: a scenario that keeps the invariants, or an input_error naming the file. Returns
/// the scenario, if any, for its variants.
template <typename Load>
std::optional<cesim::scenario> load_once(Load&& load, const std::string& scenario_file,
                                         std::string_view what) {
  std::optional<cesim::scenario> loaded;
  try {
    loaded = load();
  } catch (const cesim::input_error& e) {
    check_names_file(e, scenario_file);
    return std::nullopt;
  } catch (const std::exception& e) {
    finding(
        fmt::format("{} threw {} instead of input_error: {}", what, typeid(e).name(), e.what()));
  } catch (...) {
    finding(fmt::format("{} threw something that is not a std::exception", what));
  }
  check_scenario(*loaded);
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cesim::fuzz::input_file input("scenario.yaml");
  static const cesim::io::load_options options = [] {
    cesim::io::load_options o;
    o.persona_dirs = {CESIM_FUZZ_PERSONA_DIR};
    return o;
  }();
  input.write(data, size);

  const auto loaded = load_once([&] { return cesim::io::load_scenario(input.path(), options); },
                                input.path(), "load_scenario");
  if (!loaded) return 0;
  for (std::size_t k = 0; k < loaded->variants.size() && k < max_variants_loaded; ++k) {
    const cesim::variant& v = loaded->variants[k];
    load_once([&] { return cesim::io::load_variant(input.path(), options, v); }, input.path(),
              "load_variant");
  }
  return 0;
}
