// The cesim command: parses flags, calls engine and analysis, maps errors to exit codes.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cesim/analysis/compare.hpp"
#include "cesim/analysis/compare_writers.hpp"
#include "cesim/analysis/output_directory.hpp"
#include "cesim/analysis/replicate.hpp"
#include "cesim/analysis/report.hpp"
#include "cesim/analysis/writers.hpp"
#include "cesim/config/parameters.hpp"
#include "cesim/error.hpp"
#include "cesim/io/scenario_loader.hpp"
#include "cesim/network/generators.hpp"
#include "cesim/population/population.hpp"
#include "cesim/sim/memory.hpp"
#include "cesim/version.hpp"
#include "cluster.hpp"
#include "common.hpp"
#include "log.hpp"
#include "progress.hpp"
#include "research.hpp"
#include "signals.hpp"

namespace {

namespace fs = std::filesystem;
using namespace cesim;
using namespace cesim::cli;

int command_run(const std::string& file, const common_options& o, std::uint32_t replications,
                const output_options& oo, bool check, const std::vector<std::string>& args) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  const scenario s = io::load_scenario(file, make_load_options(o));
  const unsigned threads = resolve_threads(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

  // Create the output directory first: a name clash should fail before a long run, not after.
  analysis::output_directory dir(oo.out ? fs::path(*oo.out) : default_output_dir(s.name), oo.force,
                                 input_paths(s));

  const std::vector<analysis::scenario_recipe> recipe{{file, make_load_options(o), {}}};
  auto runs = run_all({s}, recipe, replications, threads, s.name, check);
  analysis::replicated_result result;
  result.runs = std::move(runs.front());
  result.summary = analysis::summarize_runs(result.runs);

  auto info = make_info("run", s, threads, replications, args, started_utc);
  dir.write("summary.json", analysis::summary_json(s, result).dump(2) + "\n");
  dir.write("timeseries.csv", analysis::timeseries_csv(result));
  dir.write("touchpoints.csv", analysis::touchpoints_csv(result));
  dir.write("wom.csv", analysis::word_of_mouth_csv(result));
  if (!s.campaigns.empty()) dir.write("campaigns.csv", analysis::campaigns_csv(result));
  const std::vector<std::vector<run_result>> arms{result.runs};
  const std::vector<std::string> names{s.name};
  dir.write("bands.csv", analysis::bands_csv(names, arms));
  if (oo.report) {
    analysis::report_content content;
    content.baseline = &s;
    content.runs = &arms;
    content.arm_names = names;
    content.info = info;
    dir.write("report.html", analysis::html_report(content));
  }
  finish_directory(dir, s, info, started);

  if (!o.quiet) {
    fmt::print("{}", analysis::summary_table(s, result));
    fmt::print("\n{}", analysis::reach_table(result));
    if (!s.campaigns.empty()) fmt::print("\n{}", analysis::campaign_table(s, result));
    print_results_line(dir, info);
  }
  return ok;
}

/// Valid on a larger machine is still valid, so a run too large for this one is a warning.
void print_memory_estimate(const scenario& s, bool quiet) {
  const auto estimate = estimate_memory(s);
  const auto limit = current_memory_limit();
  if (limit.bytes != 0 && estimate.total() > limit.bytes) {
    fmt::print(
        stderr,
        "warning: {}: one run needs an estimated {}, more than the limit of {}, which is {}\n",
        s.file, format_bytes(estimate.total()), format_bytes(limit.bytes), limit.source);
  } else if (!quiet) {
    fmt::print("    memory: an estimated {} per run{}\n", format_bytes(estimate.total()),
               limit.bytes == 0
                   ? std::string()
                   : fmt::format("; the limit is {}, {}", format_bytes(limit.bytes), limit.source));
  }
}

int command_validate(const std::vector<std::string>& files, const common_options& o) {
  const auto lo = make_load_options(o);
  int status = ok;
  for (const auto& f : files) {
    const auto report = io::validate_file(f, lo);
    if (report.problems.empty()) {
      if (!o.quiet) fmt::print("ok: {}: {}\n", f, report.summary);
      if (report.loaded) print_memory_estimate(*report.loaded, o.quiet);
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
  require_memory(s);
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

int command_compare(const std::vector<std::string>& files, const common_options& o,
                    std::uint32_t replications, const std::vector<std::string>& only,
                    const output_options& oo, const std::vector<std::string>& args) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  const auto lo = make_load_options(o);
  // Every arm is loaded and checked before anything runs.
  std::vector<scenario> arms;
  std::vector<analysis::scenario_recipe> recipes{{files.front(), lo, {}}};
  std::vector<std::string> names{"baseline"};
  std::vector<std::string> descriptions{"the scenario as written"};
  const scenario base = io::load_scenario(files.front(), lo);
  arms.push_back(base);
  for (const auto& wanted : only)
    if (std::none_of(base.variants.begin(), base.variants.end(),
                     [&](const variant& v) { return v.name == wanted; })) {
      std::vector<std::string> known;
      for (const auto& v : base.variants) known.push_back(v.name);
      throw input_error(
          source_mark::named("--variant"), "",
          fmt::format("{} declares no variant '{}' (declared: {})", files.front(), wanted,
                      known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
    }
  for (const auto& v : base.variants) {
    if (!only.empty() && std::find(only.begin(), only.end(), v.name) == only.end()) continue;
    arms.push_back(io::load_variant(files.front(), lo, v));
    recipes.push_back({files.front(), lo, {}});
    recipes.back().options.overrides.insert(recipes.back().options.overrides.end(),
                                            v.overrides.begin(), v.overrides.end());
    names.push_back(v.name);
    std::string what = v.description;
    for (const auto& ov : v.overrides)
      what += fmt::format("{}{}={}", what.empty() ? "" : "; ", ov.path, ov.value);
    descriptions.push_back(what);
  }
  for (std::size_t f = 1; f < files.size(); ++f) {
    arms.push_back(io::load_scenario(files[f], lo));
    recipes.push_back({files[f], lo, {}});
    std::string name = arms.back().name;
    while (std::find(names.begin(), names.end(), name) != names.end())
      name += "_" + std::to_string(f);
    names.push_back(name);
    descriptions.push_back(files[f]);
  }
  if (arms.size() < 2)
    throw input_error(source_mark::named(files.front()), "",
                      "nothing to compare: declare 'variants' in the scenario (see "
                      "docs/yaml-reference.md) or name further scenario files");
  for (std::size_t a = 1; a < arms.size(); ++a)
    if (segment_names(arms[a]) != segment_names(base))
      throw input_error(
          source_mark::named(files.front()), "",
          fmt::format("'{}' has the segments [{}] and the baseline [{}]: arms must have the same "
                      "segments, in the same order, to be compared segment by segment",
                      names[a], fmt::join(segment_names(arms[a]), ", "),
                      fmt::join(segment_names(base), ", ")));
  if (replications < 2)
    throw input_error(source_mark::named("--replications"), "",
                      "a comparison needs at least 2 replications for its intervals");
  const unsigned threads = resolve_threads(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  analysis::output_directory dir(
      oo.out ? fs::path(*oo.out) : default_output_dir(base.name, "compare"), oo.force,
      input_paths(base));
  const auto runs = run_all(arms, recipes, replications, threads,
                            fmt::format("{}: {} arms", base.name, arms.size()));
  const auto cmp = analysis::compare_runs(runs, names, descriptions);

  auto info = make_info("compare", base, threads, replications, args, started_utc);
  // The manifest lists the inputs of every arm (further scenario files and their personas).
  scenario recorded = base;
  for (const auto& arm : arms)
    for (const auto& input : arm.inputs)
      if (std::none_of(recorded.inputs.begin(), recorded.inputs.end(),
                       [&](const input_file& known) { return known.path == input.path; }))
        recorded.inputs.push_back(input);
  dir.write("comparison.json", analysis::comparison_json(cmp, arms).dump(2) + "\n");
  dir.write("comparison.csv", analysis::comparison_csv(cmp));
  dir.write("runs.csv", analysis::runs_csv(names, runs));
  dir.write("bands.csv", analysis::bands_csv(names, runs));
  if (oo.report) {
    analysis::report_content content;
    content.baseline = &base;
    content.runs = &runs;
    content.arm_names = names;
    content.variants = &cmp;
    content.info = info;
    dir.write("report.html", analysis::html_report(content));
  }
  finish_directory(dir, recorded, info, started);
  if (!o.quiet) {
    fmt::print("{}", analysis::comparison_table(cmp));
    print_results_line(dir, info);
  }
  return ok;
}

int command_prioritize(const std::string& file, const common_options& o, std::uint32_t replications,
                       const analysis::priority_options& po, const output_options& oo,
                       const std::vector<std::string>& args) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  const scenario base = io::load_scenario(file, make_load_options(o));
  if (base.touchpoints.empty())
    throw input_error(source_mark::named(file), "touchpoints",
                      "the scenario has no touchpoints to prioritise");
  if (replications < 2)
    throw input_error(source_mark::named("--replications"), "",
                      "prioritising needs at least 2 replications for its intervals");
  const auto plan = analysis::plan_priorities(base, po);
  const unsigned threads = resolve_threads(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  analysis::output_directory dir(
      oo.out ? fs::path(*oo.out) : default_output_dir(base.name, "prioritize"), oo.force,
      input_paths(base));
  // Prioritisation arms are edited in memory, not loaded from files: they run on this rank.
  const auto runs = run_all(plan.arms, {}, replications, threads,
                            fmt::format("{}: {} arms", base.name, plan.arms.size()));
  const auto result = analysis::rank_priorities(base, po, plan, runs);

  auto info = make_info("prioritize", base, threads, replications, args, started_utc);
  info.ranks = 1;  // its arms are edited in memory, so rank 0 runs them all
  dir.write("priorities.json", analysis::priorities_json(result).dump(2) + "\n");
  dir.write("priorities.csv", analysis::priorities_csv(result));
  dir.write("runs.csv", analysis::runs_csv(plan.names, runs));
  // Bands of the baseline only: those of every arm would repeat it many times over.
  dir.write("bands.csv", analysis::bands_csv({plan.names.front()}, {runs.front()}));
  if (oo.report) {
    const std::vector<std::vector<run_result>> baseline_only{runs.front()};
    analysis::report_content content;
    content.baseline = &base;
    content.runs = &baseline_only;
    content.arm_names = {plan.names.front()};
    content.ranking = &result;
    content.info = info;
    dir.write("report.html", analysis::html_report(content));
  }
  finish_directory(dir, base, info, started);
  if (!o.quiet) {
    fmt::print("{}", analysis::priority_table(result));
    print_results_line(dir, info);
  }
  return ok;
}

int run_command(int argc, char** argv, cluster& mpi);

int report_input_error(const input_error& e) {
  for (const auto& p : e.problems()) log_message("error", "invalid_input", p.to_string());
  return invalid_input;
}

/// A worker rank needs only its thread count; everything else comes from rank 0 per job.
unsigned worker_threads(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const char* value = nullptr;
    if (arg == "--threads" && i + 1 < argc) value = argv[i + 1];
    if (arg.rfind("--threads=", 0) == 0) value = argv[i] + 10;
    if (value != nullptr)
      return resolve_threads(static_cast<unsigned>(std::strtoul(value, nullptr, 10)));
  }
  return resolve_threads(0);
}

}  // namespace

int main(int argc, char** argv) {
  cluster mpi(argc, argv);
  if (mpi.rank() != 0) {
    // mpirun passes a SIGTERM to every rank: a worker finishes its job and keeps serving, so
    // rank 0 can stop cleanly after the points in hand and tell the workers to leave.
    install_stop_handlers();
    const unsigned threads = worker_threads(argc, argv);
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    return mpi.serve();
  }
  set_process_ranks(mpi.size());
  return run_command(argc, argv, mpi);
}

namespace {

int run_command(int argc, char** argv, cluster& mpi) {
  CLI::App app{
      "cesim: test customer-empowerment strategies before spending money on them.\n"
      "Simulates customers at touchpoints and in participation campaigns and predicts loyalty and\n"
      "word-of-mouth reach. Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid input, 4 "
      "output, 5 resource limit, 130/143 stopped by SIGINT/SIGTERM (docs/cli.md)."};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       fmt::format("cesim {} ({}{})", cesim::version, cesim::git_revision,
                                   built_with_mpi() ? ", with MPI" : ""));

  common_options o;
  std::string scenario_file;
  std::uint32_t replications = 1;
  output_options oo;
  bool check = false;
  auto add_output_options = [&](CLI::App* cmd) {
    cmd->add_option("--out,-o", oo.out, "Results directory (default: results/<scenario>-<time>)");
    cmd->add_flag("--force", oo.force, "Replace an existing results directory");
    cmd->add_flag("!--no-report", oo.report, "Do not write report.html");
  };
  auto* run = app.add_subcommand(
      "run", "Simulate a scenario and report loyalty, retention, NPS and revenue");
  run->add_option("scenario", scenario_file, "Scenario YAML file")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(run, o);
  run->add_option("--replications,-r", replications,
                  "Independent replications (seeds derived from --seed)")
      ->check(CLI::Range(1u, 100000u));
  add_output_options(run);
  run->add_flag("--check", check, "Check state invariants after every step (slower)");

  std::vector<std::string> compare_files;
  std::vector<std::string> only_variants;
  std::uint32_t compare_replications = 10;
  auto* compare = app.add_subcommand(
      "compare",
      "Run a scenario and its variants (or several scenarios) with common random numbers and "
      "report paired differences with 95% intervals");
  compare
      ->add_option("scenarios", compare_files,
                   "Scenario YAML file with 'variants'; further files are compared too")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(compare, o);
  compare
      ->add_option("--replications,-r", compare_replications,
                   "Replications per arm (default 10; at least 2)")
      ->check(CLI::Range(1u, 100000u));
  compare->add_option("--variant", only_variants, "Compare only this variant (repeatable)")
      ->type_name("NAME");
  add_output_options(compare);

  analysis::priority_options po;
  std::uint32_t priority_replications = 5;
  auto* prioritize = app.add_subcommand(
      "prioritize",
      "Rank touchpoints: the effect on loyalty, NPS and reach of improving each one's quality, "
      "and of removing it, with 95% intervals");
  prioritize->add_option("scenario", scenario_file, "Scenario YAML file")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(prioritize, o);
  prioritize
      ->add_option("--replications,-r", priority_replications,
                   "Replications per arm (default 5; at least 2)")
      ->check(CLI::Range(1u, 100000u));
  prioritize->add_option("--step", po.quality_step,
                         "Quality improvement tried on every touchpoint (default 0.1)");
  prioritize->add_option("--touchpoint", po.touchpoints, "Only this touchpoint (repeatable)")
      ->type_name("NAME");
  prioritize->add_option("--rank-by", po.rank_by,
                         "Outcome to rank by: loyalty (default), nps, wom_reach, retention, "
                         "customers, revenue, customer_equity, clv, cost, value, satisfaction, "
                         "trust, aware_share, acquisitions, churned");
  add_output_options(prioritize);

  std::string sweep_file;
  auto* sweep = app.add_subcommand(
      "sweep",
      "Run a scenario over a design of parameter values (grid, random, Latin hypercube, Sobol); "
      "one row per point and replication");
  sweep->add_option("sweep", sweep_file, "Sweep YAML file (docs/research.md)")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(sweep, o);
  sweep->add_option("--out,-o", oo.out,
                    "Results directory (default: results/<sweep>-sweep-<time>)");
  sweep->add_flag("--force", oo.force, "Replace an existing results directory");
  cli::batch_options bo;
  sweep->add_flag(
      "--resume", bo.resume,
      "Continue the stopped sweep in --out DIR: finished points are kept, the rest run");
  sweep
      ->add_option("--shard", bo.shard,
                   "Run shard I of N (I/N, from 0; round robin over points); default from "
                   "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT when set. Join with merge")
      ->type_name("I/N");

  cli::sensitivity_options so;
  auto* sensitivity = app.add_subcommand(
      "sensitivity",
      "Global sensitivity of the sweep's metrics to its parameters: Sobol indices (Saltelli) "
      "or Morris elementary effects, with bootstrap intervals");
  sensitivity->add_option("sweep", sweep_file, "Sweep YAML file: its parameters and metrics")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(sensitivity, o);
  sensitivity->add_option("--method", so.method, "sobol (default) or morris")
      ->check(CLI::IsMember({"sobol", "morris"}));
  sensitivity->add_option("--samples", so.samples,
                          "Sobol: base samples N; runs N (parameters + 2) (default 256)");
  sensitivity->add_option("--trajectories", so.trajectories,
                          "Morris: trajectories r; runs r (parameters + 1) (default 20)");
  sensitivity->add_option("--levels", so.levels, "Morris: grid levels, even (default 4)");
  sensitivity->add_option("--bootstrap", so.bootstrap, "Bootstrap resamples (default 1000)");
  add_output_options(sensitivity);
  sensitivity->add_flag("--resume", bo.resume,
                        "Continue the stopped analysis in --out DIR: finished points are kept");

  std::vector<std::string> merge_dirs;
  bool allow_missing = false;
  auto* merge = app.add_subcommand(
      "merge",
      "Join the results folders of a sharded sweep into the table one run would have written, "
      "naming any missing points");
  merge->add_option("folders", merge_dirs, "Results folders of the shards")
      ->required()
      ->check(CLI::ExistingDirectory);
  merge->add_option("--out,-o", oo.out,
                    "Merged results directory (default: results/<sweep>-sweep-merged-<time>)");
  merge->add_flag("--force", oo.force, "Replace an existing results directory");
  merge->add_flag("--allow-missing", allow_missing,
                  "Write a partial table when points are missing (listed on stderr)");
  merge->add_flag("--quiet,-q", o.quiet, "Print nothing but errors");
  merge->add_option("--log-format", o.log_format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));

  cli::calibration_options co;
  auto* calibrate = app.add_subcommand(
      "calibrate",
      "Fit the sweep's parameters (ranges and distributions are the prior) to observed data by "
      "approximate Bayesian computation; posterior sample, best fit, observed against simulated");
  calibrate->add_option("sweep", sweep_file, "Sweep YAML file: scenario, parameters (priors)")
      ->required()
      ->check(CLI::ExistingFile);
  calibrate->add_option("--observed", co.observed, "CSV: step or date, metric, value[, segment]")
      ->required()
      ->check(CLI::ExistingFile);
  calibrate->add_option("--start-date", co.start_date, "Date of step 0 (YYYY-MM-DD)");
  calibrate->add_option("--particles", co.abc.particles, "Posterior sample size (default 200)");
  calibrate->add_option("--rounds", co.abc.rounds, "SMC rounds after the first (default 4)");
  calibrate->add_option("--initial", co.abc.initial_draws, "Prior draws in round 0 (default 1000)");
  calibrate->add_option("--abc-seed", co.abc.seed, "Seed of the ABC proposals (default 1)");
  add_scenario_options(calibrate, o);
  add_output_options(calibrate);
  calibrate->add_flag("--resume", bo.resume,
                      "Continue the stopped calibration in --out DIR: recorded evaluations are "
                      "replayed, not simulated again");

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
  logging().quiet = o.quiet;
  logging().format = parse_log_format(o.log_format);
  if (const char* env = std::getenv("CESIM_MEMORY_LIMIT");
      env != nullptr && *env != '\0' && !parse_byte_size(env)) {
    log_message(
        "error", "usage",
        fmt::format("CESIM_MEMORY_LIMIT='{}' is not a size: use e.g. 8G, 512M or none", env));
    return usage_error;
  }
  install_stop_handlers();
  mpi.distribute_jobs();
  try {
    if (*run) return command_run(scenario_file, o, replications, oo, check, args);
    if (*sweep) return command_sweep(sweep_file, o, oo, bo, args);
    if (*merge) return command_merge(merge_dirs, oo, allow_missing, args);
    if (*calibrate) return command_calibrate(sweep_file, o, co, oo, bo, args);
    if (*sensitivity) return command_sensitivity(sweep_file, o, so, oo, bo, args);
    if (*compare)
      return command_compare(compare_files, o, compare_replications, only_variants, oo, args);
    if (*prioritize)
      return command_prioritize(scenario_file, o, priority_replications, po, oo, args);
    if (*validate) return command_validate(files, o);
    if (*params) return command_params(format);
    if (*network) return command_network(scenario_file, o, network_json);
  } catch (const stopped_error& e) {
    // An error, not a warning: --quiet must not hide that the command did not finish.
    log_message("error", "stopped", e.what());
    return stopped_exit_code();
  } catch (const input_error& e) {
    return report_input_error(e);
  } catch (const output_error& e) {
    log_message("error", "output", e.what());
    return output_failure;
  } catch (const resource_error& e) {
    log_message("error", "resource", e.what());
    return resource_limit;
  } catch (const std::bad_alloc&) {
    log_message("error", "resource", "out of memory; reduce --population or --replications");
    return resource_limit;
  } catch (const std::exception& e) {
    log_message("error", "internal", fmt::format("internal error: {}", e.what()));
    return internal_failure;
  }
  return usage_error;
}

}  // namespace
