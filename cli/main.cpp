// The cesim command: parses flags, calls engine and analysis, maps errors to exit codes.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cesim/analysis/output_directory.hpp"
#include "cesim/analysis/replicate.hpp"
#include "cesim/analysis/writers.hpp"
#include "cesim/config/parameters.hpp"
#include "cesim/error.hpp"
#include "cesim/io/scenario_loader.hpp"
#include "cesim/network/generators.hpp"
#include "cesim/population/population.hpp"
#include "cesim/version.hpp"
#include "progress.hpp"

namespace {

namespace fs = std::filesystem;
using namespace cesim;

/// Documented in docs/cli.md.
enum exit_code : int {
  ok = 0,
  internal_failure = 1,
  usage_error = 2,
  invalid_input = 3,
  output_failure = 4,
  resource_limit = 5,
};

struct common_options {
  std::vector<std::string> sets;
  std::vector<std::string> persona_dirs;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> population;
  std::optional<std::string> horizon;
  unsigned threads = 0;
  bool quiet = false;
};

void add_scenario_options(CLI::App* cmd, common_options& o) {
  cmd->add_option("--seed", o.seed, "Random seed (overrides the scenario's seed)");
  cmd->add_option("--population", o.population, "Number of customers (overrides the scenario)");
  cmd->add_option("--horizon", o.horizon, "Number of steps (overrides time.horizon)");
  cmd->add_option("--set", o.sets,
                  "Override any value by key path: --set touchpoints.hotline.quality.mean=0.8")
      ->type_name("KEY=VALUE");
  cmd->add_option("--personas", o.persona_dirs, "Extra persona library folder (repeatable)")
      ->type_name("DIR");
  cmd->add_option("--threads", o.threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(1u, 4096u));
  cmd->add_flag("--quiet,-q", o.quiet, "Print nothing but errors");
}

io::load_options make_load_options(const common_options& o) {
  io::load_options lo;
  lo.persona_dirs = o.persona_dirs;
  // Command-line values are applied as overrides and validated like values in the file.
  if (o.seed)
    lo.overrides.push_back({"seed", std::to_string(*o.seed), fmt::format("--seed {}", *o.seed)});
  if (o.population)
    lo.overrides.push_back(
        {"population", *o.population, fmt::format("--population {}", *o.population)});
  if (o.horizon)
    lo.overrides.push_back({"time.horizon", *o.horizon, fmt::format("--horizon {}", *o.horizon)});
  for (const auto& s : o.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw input_error(source_mark{std::make_shared<const std::string>("--set " + s), 0, 0}, "",
                        "expected KEY=VALUE, e.g. --set touchpoints.hotline.reach=0.3");
    lo.overrides.push_back({s.substr(0, eq), s.substr(eq + 1), "--set " + s});
  }
  return lo;
}

unsigned resolve_threads(unsigned requested) {
  return requested == 0 ? static_cast<unsigned>(tbb::info::default_concurrency()) : requested;
}

fs::path default_output_dir(const scenario& s) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  ::localtime_r(&now, &local);
  std::array<char, 32> stamp{};
  std::strftime(stamp.data(), stamp.size(), "%Y%m%d-%H%M%S", &local);
  fs::path base = fs::path("results") / fmt::format("{}-{}", s.name, stamp.data());
  fs::path candidate = base;
  for (int k = 2; fs::exists(candidate); ++k)
    candidate = fs::path(base.string() + fmt::format("-{}", k));
  return candidate;
}

int command_run(const std::string& file, const common_options& o, std::uint32_t replications,
                const std::optional<std::string>& out, bool force, bool check,
                const std::vector<std::string>& args) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  const scenario s = io::load_scenario(file, make_load_options(o));
  const unsigned threads = resolve_threads(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

  // Create the output directory first: a name clash should fail before a long run, not after.
  analysis::output_directory dir(out ? fs::path(*out) : default_output_dir(s), force);

  analysis::replication_options ro;
  ro.replications = replications;
  // Small populations cannot keep every core busy within one replication; run several at once.
  ro.concurrent = s.population <= 200'000 ? threads : 1;
  ro.check_invariants = check || ro.check_invariants;
  cli::progress_meter progress(std::uint64_t{replications} * s.time.horizon,
                               fmt::format("{}", s.name), !o.quiet && cli::stderr_is_terminal());
  ro.on_step = [&](std::uint32_t, std::uint32_t) { progress.advance(); };
  const auto result = analysis::run_replications(s, ro);
  progress.finish();

  analysis::run_info info;
  info.command = "run";
  info.arguments = args;
  info.seed = s.seed;
  info.threads = threads;
  info.replications = replications;
  info.started_utc = started_utc;
  dir.write("summary.json", analysis::summary_json(s, result).dump(2) + "\n");
  dir.write("timeseries.csv", analysis::timeseries_csv(result));
  dir.write("touchpoints.csv", analysis::touchpoints_csv(result));
  dir.write("wom.csv", analysis::word_of_mouth_csv(result));
  if (!s.campaigns.empty()) dir.write("campaigns.csv", analysis::campaigns_csv(result));
  info.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto outputs = dir.files();
  outputs.emplace_back("manifest.json");
  dir.write("manifest.json", analysis::manifest_json(s, info, outputs).dump(2) + "\n");
  dir.commit();

  if (!o.quiet) {
    fmt::print("{}", analysis::summary_table(s, result));
    fmt::print("\n{}", analysis::reach_table(result));
    if (!s.campaigns.empty()) fmt::print("\n{}", analysis::campaign_table(s, result));
    fmt::print("\nresults: {}/ ({}) in {:.1f}s on {} thread{}\n", dir.final_path().string(),
               fmt::join(outputs, ", "), info.wall_seconds, threads, threads == 1 ? "" : "s");
  }
  return ok;
}

int command_validate(const std::vector<std::string>& files, const common_options& o) {
  const auto lo = make_load_options(o);
  int status = ok;
  for (const auto& f : files) {
    const auto report = io::validate_file(f, lo);
    if (report.problems.empty()) {
      if (!o.quiet) fmt::print("ok: {}: {}\n", f, report.summary);
      continue;
    }
    status = invalid_input;
    for (const auto& p : report.problems) fmt::print(stderr, "error: {}\n", p.to_string());
    fmt::print(stderr, "{}: {} problem{}\n", f, report.problems.size(),
               report.problems.size() == 1 ? "" : "s");
  }
  return status;
}

int command_params(const std::string& format) {
  const auto table = parameter_table();
  if (format == "json") {
    nlohmann::json doc = nlohmann::json::array();
    for (const auto& p : table)
      doc.push_back({{"key", p.key},
                     {"default", analysis::json_number(p.default_value)},
                     {"min", p.min},
                     {"max", p.max},
                     {"unit", p.unit},
                     {"description", p.description},
                     {"source", p.source},
                     {"integer", p.integer}});
    fmt::print("{}\n", doc.dump(2));
    return ok;
  }
  if (format == "csv") {
    auto quote = [](std::string_view text) {
      std::string q = "\"";
      for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      return q + "\"";
    };
    fmt::print("key,default,min,max,unit,description,source\n");
    for (const auto& p : table)
      fmt::print("{},{},{},{},{},{},{}\n", p.key, format_default(p), format_number(p.min),
                 format_number(p.max), quote(p.unit), quote(p.description), quote(p.source));
    return ok;
  }
  if (format == "markdown") {
    fmt::print(
        "| key | default | range | unit | description | source |\n|---|---|---|---|---|---|\n");
    for (const auto& p : table)
      fmt::print("| `{}` | {} | {} | {} | {} | {} |\n", p.key, format_default(p), format_range(p),
                 p.unit, p.description, p.source);
    return ok;
  }
  std::size_t key_width = 3;
  for (const auto& p : table) key_width = std::max(key_width, p.key.size());
  fmt::print("{:<{}}  {:>8}  {:<18}  {:<22}  {}\n", "key", key_width, "default", "range", "unit",
             "source");
  for (const auto& p : table)
    fmt::print("{:<{}}  {:>8}  {:<18}  {:<22}  {}\n", p.key, key_width, format_default(p),
               format_range(p), p.unit, p.source);
  return ok;
}

int command_network(const std::string& file, const common_options& o, bool as_json) {
  const scenario s = io::load_scenario(file, make_load_options(o));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            resolve_threads(o.threads));
  const auto started = std::chrono::steady_clock::now();
  const auto people = synthesize_population(s, rng::key{s.seed, 0});
  const auto net = build_network(s, people.people, rng::key{s.seed, 0});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto stats = describe_network(net, s.seed);
  const std::vector<int> levels{10, 25, 50, 75, 90, 99};
  if (as_json) {
    nlohmann::json quantiles = nlohmann::json::object();
    for (std::size_t k = 0; k < levels.size() && k < stats.degree_quantiles.size(); ++k)
      quantiles[std::to_string(levels[k])] = stats.degree_quantiles[k];
    const nlohmann::json doc{{"scenario", s.name},
                             {"type", to_string(s.network.kind)},
                             {"customers", stats.agents},
                             {"ties", stats.edges},
                             {"mean_degree", stats.mean_degree},
                             {"degree_sd", stats.degree_sd},
                             {"min_degree", stats.min_degree},
                             {"max_degree", stats.max_degree},
                             {"degree_quantiles", quantiles},
                             {"isolated", stats.isolated},
                             {"clustering", stats.clustering},
                             {"clustering_sample", stats.clustering_sample},
                             {"components", stats.components},
                             {"largest_component", stats.largest_component},
                             {"strong_tie_share", stats.strong_tie_share},
                             {"bytes", net.bytes()},
                             {"build_seconds", seconds}};
    fmt::print("{}\n", doc.dump(2));
    return ok;
  }
  fmt::print("network of {}: {}, {} customers\n", s.name, to_string(s.network.kind), stats.agents);
  if (net.well_mixed) {
    fmt::print(
        "  well mixed: every customer listens to {} random others per step; no stored ties\n",
        net.contacts_per_step);
    return ok;
  }
  fmt::print("  ties             {} (mean degree {:.2f}, sd {:.2f}; min {}, max {})\n", stats.edges,
             stats.mean_degree, stats.degree_sd, stats.min_degree, stats.max_degree);
  std::string quantiles;
  for (std::size_t k = 0; k < levels.size() && k < stats.degree_quantiles.size(); ++k)
    quantiles += fmt::format("  {}%: {}", levels[k], stats.degree_quantiles[k]);
  fmt::print("  degree quantiles{}\n", quantiles);
  fmt::print("  isolated         {} ({:.2f}%)\n", stats.isolated,
             100.0 * static_cast<double>(stats.isolated) / std::max<double>(1, stats.agents));
  fmt::print("  clustering       {:.4f} (average local; {})\n", stats.clustering,
             stats.clustering_sample >= stats.agents
                 ? std::string("all customers")
                 : fmt::format("sample of {}", stats.clustering_sample));
  fmt::print(
      "  components       {} (largest: {} customers, {:.2f}%)\n", stats.components,
      stats.largest_component,
      100.0 * static_cast<double>(stats.largest_component) / std::max<double>(1, stats.agents));
  fmt::print("  strong ties      {:.1f}%\n", 100 * stats.strong_tie_share);
  fmt::print("  memory           {:.1f} MB, built in {:.2f} s\n",
             static_cast<double>(net.bytes()) / 1e6, seconds);
  return ok;
}

int report_input_error(const input_error& e) {
  for (const auto& p : e.problems()) fmt::print(stderr, "error: {}\n", p.to_string());
  return invalid_input;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "cesim: test customer-empowerment strategies before spending money on them.\n"
      "Simulates customers at touchpoints and in participation campaigns and predicts loyalty and\n"
      "word-of-mouth reach. Exit codes: 0 ok, 2 usage, 3 invalid input, 4 output, 5 resource "
      "limit."};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       fmt::format("cesim {} ({})", cesim::version, cesim::git_revision));

  common_options o;
  std::string scenario_file;
  std::uint32_t replications = 1;
  std::optional<std::string> out;
  bool force = false;
  bool check = false;
  auto* run = app.add_subcommand(
      "run", "Simulate a scenario and report loyalty, retention, NPS and revenue");
  run->add_option("scenario", scenario_file, "Scenario YAML file")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(run, o);
  run->add_option("--replications,-r", replications,
                  "Independent replications (seeds derived from --seed)")
      ->check(CLI::Range(1u, 100000u));
  run->add_option("--out,-o", out, "Results directory (default: results/<scenario>-<time>)");
  run->add_flag("--force", force, "Replace an existing results directory");
  run->add_flag("--check", check, "Check state invariants after every step (slower)");

  std::vector<std::string> files;
  auto* validate = app.add_subcommand(
      "validate", "Check scenario and persona files; report every problem found");
  validate->add_option("files", files, "YAML files")->required();
  add_scenario_options(validate, o);

  bool network_json = false;
  auto* network =
      app.add_subcommand("network",
                         "Build a scenario's social network and describe it: size, degrees, "
                         "clustering, components");
  network->add_option("scenario", scenario_file, "Scenario YAML file")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(network, o);
  network->add_flag("--json", network_json, "Print the description as JSON");

  std::string format = "table";
  auto* params =
      app.add_subcommand("params", "The parameter table: key, default, range, unit, source");
  params->add_option("--format", format, "table, markdown, csv or json")
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? ok : usage_error;
  }

  const std::vector<std::string> args(argv, argv + argc);
  try {
    if (*run) return command_run(scenario_file, o, replications, out, force, check, args);
    if (*validate) return command_validate(files, o);
    if (*params) return command_params(format);
    if (*network) return command_network(scenario_file, o, network_json);
  } catch (const input_error& e) {
    return report_input_error(e);
  } catch (const output_error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return output_failure;
  } catch (const resource_error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return resource_limit;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "error: out of memory; reduce --population or --replications\n");
    return resource_limit;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return internal_failure;
  }
  return usage_error;
}
