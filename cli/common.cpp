#include "common.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/info.h>

#include <ctime>

#include "cesim/analysis/runner.hpp"
#include "cesim/sim/memory.hpp"
#include "progress.hpp"
#include "signals.hpp"

namespace cesim::cli {

namespace fs = std::filesystem;

namespace {
int ranks_of_this_job = 1;
}  // namespace

void set_process_ranks(int ranks) {
  ranks_of_this_job = ranks;
}
int process_ranks() {
  return ranks_of_this_job;
}

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
  cmd->add_option_function<std::string>(
         "--memory-limit",
         [](const std::string& text) {
           set_memory_limit(
               {*parse_byte_size(text), fmt::format("set by --memory-limit {}", text)});
         },
         "Refuse runs estimated to need more memory (default: what the machine or cgroup has "
         "available; e.g. 64G; none: no check)")
      ->type_name("SIZE")
      ->check(CLI::Validator(
          [](std::string& text) {
            return parse_byte_size(text) ? std::string()
                                         : fmt::format(
                                               "'{}' is not a size: use e.g. 8G, 512M "
                                               "or none",
                                               text);
          },
          "SIZE"));
  cmd->add_flag("--quiet,-q", o.quiet, "Print nothing but errors");
  cmd->add_option("--log-format", o.log_format,
                  "Messages and progress on stderr: text (default) or json, one object per line")
      ->check(CLI::IsMember({"text", "json"}));
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
      throw input_error(source_mark::named("--set " + s), "",
                        "expected KEY=VALUE, e.g. --set touchpoints.hotline.reach=0.3");
    lo.overrides.push_back({s.substr(0, eq), s.substr(eq + 1), "--set " + s});
  }
  return lo;
}

unsigned resolve_threads(unsigned requested) {
  return requested == 0 ? static_cast<unsigned>(tbb::info::default_concurrency()) : requested;
}

fs::path default_output_dir(std::string_view name, std::string_view command) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  ::localtime_r(&now, &local);
  std::array<char, 32> stamp{};
  std::strftime(stamp.data(), stamp.size(), "%Y%m%d-%H%M%S", &local);
  fs::path base = fs::path("results") /
                  (command.empty() ? fmt::format("{}-{}", name, stamp.data())
                                   : fmt::format("{}-{}-{}", name, command, stamp.data()));
  fs::path candidate = base;
  for (int k = 2; fs::exists(candidate); ++k)
    candidate = fs::path(base.string() + fmt::format("-{}", k));
  return candidate;
}

/// Runs every arm `replications` times with common random numbers, showing one progress line.
std::vector<std::vector<run_result>> run_all(const std::vector<scenario>& arms,
                                             std::span<const analysis::scenario_recipe> recipes,
                                             std::uint32_t replications, unsigned threads,
                                             const std::string& label, bool check_invariants) {
  std::uint64_t steps = 0;
  for (const auto& a : arms) steps += std::uint64_t{replications} * a.time.horizon;
  cli::progress_meter progress(steps, label);
  analysis::runner_options ro;
  ro.replications = replications;
  ro.concurrent = analysis::default_concurrency(arms.front(), threads);
  ro.check_invariants = check_invariants || ro.check_invariants;
  ro.on_step = [&] { progress.advance(); };
  ro.may_start = [](std::size_t) { return stop_signal() == 0; };
  auto runs = analysis::run_arms(arms, ro, recipes);
  progress.finish();
  throw_if_stopped("nothing was written (results are written only when every run is done)");
  return runs;
}

analysis::run_info make_info(const char* command, const scenario& s, unsigned threads,
                             std::uint32_t replications, const std::vector<std::string>& args,
                             const std::string& started_utc) {
  analysis::run_info info;
  info.command = command;
  info.arguments = args;
  info.seed = s.seed;
  info.threads = threads;
  info.replications = replications;
  info.started_utc = started_utc;
  info.ranks = static_cast<std::uint32_t>(process_ranks());
  return info;
}

std::vector<fs::path> input_paths(const scenario& s) {
  std::vector<fs::path> paths;
  for (const auto& input : s.inputs) paths.emplace_back(input.path);
  return paths;
}

void finish_directory(analysis::output_directory& dir, const scenario& s, analysis::run_info& info,
                      std::chrono::steady_clock::time_point started) {
  info.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto outputs = dir.files();
  outputs.emplace_back("manifest.json");
  dir.write("manifest.json", analysis::manifest_json(s, info, outputs).dump(2) + "\n");
  dir.commit(input_paths(s));
}

void print_results_line(const analysis::output_directory& dir, const analysis::run_info& info) {
  fmt::print("\nresults: {}/ ({}) in {:.1f}s on {} thread{}\n", dir.final_path().string(),
             fmt::join(dir.files(), ", "), info.wall_seconds, info.threads,
             info.threads == 1 ? "" : "s");
}

}  // namespace cesim::cli
