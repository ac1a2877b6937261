#pragma once
// What the cesim subcommands share: options, exit codes, loading, output folders, the runner.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cesim/analysis/output_directory.hpp"
#include "cesim/analysis/wire.hpp"
#include "cesim/analysis/writers.hpp"
#include "cesim/config/scenario.hpp"
#include "cesim/io/scenario_loader.hpp"
#include "cesim/sim/results.hpp"

namespace cesim::cli {

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
  std::string log_format = "text";
};

/// Options of the commands that write a results directory.
struct output_options {
  std::optional<std::string> out;
  bool force = false;
  bool report = true;
};

void add_scenario_options(CLI::App* cmd, common_options& o);
io::load_options make_load_options(const common_options& o);
/// 0 means all cores.
unsigned resolve_threads(unsigned requested);
/// results/<scenario>[-<command>]-<date>-<time>, with a suffix if that exists.
std::filesystem::path default_output_dir(std::string_view name, std::string_view command = {});
/// Runs every arm `replications` times with common random numbers, showing progress. With
/// `recipes` (one per arm) the runs may be spread over MPI ranks. Throws stopped_error on a stop.
std::vector<std::vector<run_result>> run_all(const std::vector<scenario>& arms,
                                             std::span<const analysis::scenario_recipe> recipes,
                                             std::uint32_t replications, unsigned threads,
                                             const std::string& label,
                                             bool check_invariants = false);
/// MPI ranks taking part in this command (1 without MPI), for manifests.
void set_process_ranks(int ranks);
int process_ranks();
analysis::run_info make_info(const char* command, const scenario& s, unsigned threads,
                             std::uint32_t replications, const std::vector<std::string>& args,
                             const std::string& started_utc);
/// The files a scenario was read from: a results folder holding one of them is never replaced.
std::vector<std::filesystem::path> input_paths(const scenario& s);
/// Writes the manifest and renames the folder into place (never over one holding an input).
void finish_directory(analysis::output_directory& dir, const scenario& s, analysis::run_info& info,
                      std::chrono::steady_clock::time_point started);
void print_results_line(const analysis::output_directory& dir, const analysis::run_info& info);

}  // namespace cesim::cli
