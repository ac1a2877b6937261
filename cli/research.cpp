#include "research.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include "cesim/analysis/compare.hpp"
#include "cesim/analysis/output_directory.hpp"
#include "cesim/analysis/report.hpp"
#include "cesim/analysis/sensitivity.hpp"
#include "cesim/analysis/sobol_sequence.hpp"
#include "cesim/analysis/statistics.hpp"
#include "cesim/analysis/sweep_runner.hpp"
#include "cesim/analysis/sweep_spec.hpp"
#include "cesim/rng/philox.hpp"
#include "cesim/util/sha256.hpp"
#include "log.hpp"
#include "progress.hpp"
#include "signals.hpp"
#include "sweep_journal.hpp"

namespace cesim::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// A CSV cell: quoted when it holds a comma, quote or line break (YAML maps as values do).
std::string csv_text(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

/// Appends ",cell" (written in two steps: GCC 12 misreports `"," + text` as overlapping copies).
void append_cell(std::string& line, std::string_view cell) {
  line += ',';
  line += cell;
}

std::vector<std::string> csv_cells(const std::vector<std::string>& values) {
  std::vector<std::string> cells;
  for (const auto& v : values) cells.push_back(csv_text(v));
  return cells;
}

/// A failure inside a runner's callback (a write to a full disk), kept until the runner returns.
/// Thrown there, it would cancel the runs in flight half-way through (their inner parallel loops
/// share the cancellation) and crash them; instead no further point starts, the points in hand
/// finish, and rethrow() raises the failure.
class deferred_failure {
 public:
  /// Runs `step` unless an earlier step failed; keeps what it throws.
  template <class Step>
  void attempt(Step&& step) {
    if (failed()) return;
    try {
      step();
    } catch (...) {
      error_ = std::current_exception();
      failed_.store(true, std::memory_order_release);
    }
  }
  [[nodiscard]] bool failed() const { return failed_.load(std::memory_order_acquire); }
  void rethrow() const {
    if (failed()) std::rethrow_exception(error_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

std::vector<const analysis::outcome_metric*> metrics_of(const analysis::sweep_spec& spec) {
  std::vector<const analysis::outcome_metric*> out;
  for (const auto& name : spec.metrics) out.push_back(&analysis::outcome(name));
  return out;
}

double total_value(const analysis::outcome_metric& m, const run_result& run) {
  return m.value(run, run.summary.size() - 1);
}

/// The metric cells of a results.csv row, as numbers (an empty cell is not available).
std::vector<double> metric_values(const std::string& row, std::size_t metrics) {
  const auto cells = split_csv_line(row);
  std::vector<double> values;
  for (std::size_t m = cells.size() - metrics; m < cells.size(); ++m)
    values.push_back(cells[m].empty() ? not_available : std::strtod(cells[m].c_str(), nullptr));
  return values;
}

/// Per point and metric the values of each replication, read back from the rows: a resumed
/// sweep and an uninterrupted one summarise the very same text.
std::map<std::size_t, std::vector<std::vector<double>>> values_of(
    const std::map<std::size_t, std::vector<std::string>>& rows, std::size_t metrics) {
  std::map<std::size_t, std::vector<std::vector<double>>> values;
  for (const auto& [point, point_rows] : rows) {
    auto& per_metric = values[point];
    per_metric.resize(metrics);
    for (const auto& row : point_rows) {
      const auto v = metric_values(row, metrics);
      for (std::size_t m = 0; m < metrics; ++m) per_metric[m].push_back(v[m]);
    }
  }
  return values;
}

/// The command that continues this one: the same arguments with --out and --resume.
std::string resume_command(const std::vector<std::string>& args, const fs::path& dir,
                           const shard& slice) {
  const auto quoted = [](const std::string& a) {
    if (!a.empty() && a.find_first_of(" '\"$`\\!*?;&|<>()") == std::string::npos) return a;
    std::string q = "'";
    for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  // Under MPI the resumed run may use any number of ranks; the same number is suggested.
  std::string command =
      process_ranks() > 1 ? fmt::format("mpirun -np {} cesim", process_ranks()) : "cesim";
  bool has_out = false;
  bool has_resume = false;
  bool has_shard = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--force") continue;
    has_out = has_out || args[i] == "--out" || args[i] == "-o" || args[i].rfind("--out=", 0) == 0;
    has_resume = has_resume || args[i] == "--resume";
    has_shard = has_shard || args[i] == "--shard" || args[i].rfind("--shard=", 0) == 0;
    command += " " + quoted(args[i]);
  }
  if (!has_out) command += " --out " + quoted(dir.string());
  // A shard taken from Slurm's environment is named, so the command works outside the array.
  if (!has_shard && slice.count > 1) command += " --shard " + slice.text();
  if (!has_resume) command += " --resume";
  return command;
}

/// The points of `slice` not yet in the journal, run and recorded one point at a time. Returns
/// false when a stop signal ended the run early.
bool run_and_record(const analysis::sweep_spec& spec,
                    const std::vector<analysis::sweep_point>& design,
                    const std::vector<std::vector<override_spec>>& points,
                    const io::load_options& base, const scenario& first, unsigned threads,
                    sweep_journal& journal, const shard& slice) {
  const auto metrics = metrics_of(spec);
  const std::size_t owned = slice.points_of(points.size());
  std::vector<std::size_t> todo;
  for (std::size_t p = 0; p < points.size(); ++p)
    if (slice.owns(p) && !journal.finished(p)) todo.push_back(p);
  std::vector<std::vector<override_spec>> todo_points;
  for (auto p : todo) todo_points.push_back(points[p]);

  const std::uint64_t steps_per_point = std::uint64_t{spec.replications} * first.time.horizon;
  cli::progress_meter progress(owned * steps_per_point,
                               fmt::format("{}: {} points", spec.name, owned));
  progress.set_done((owned - todo.size()) * steps_per_point);
  std::map<std::size_t, std::vector<std::string>> pending;
  analysis::point_run_options ro;
  ro.replications = spec.replications;
  ro.threads = threads;
  ro.base = base;
  ro.inputs = first.inputs;
  ro.on_step = [&] { progress.advance(); };
  deferred_failure write_failure;
  ro.may_start_point = [&](std::size_t) { return stop_signal() == 0 && !write_failure.failed(); };
  analysis::run_points(spec, todo_points, ro,
                       [&](std::size_t i, std::uint32_t replication, const run_result& run) {
                         write_failure.attempt([&] {
                           const std::size_t point = todo[i];
                           std::string row = fmt::format("{},{}", point, replication);
                           for (const auto& v : design[point].values) append_cell(row, csv_text(v));
                           for (const auto* m : metrics)
                             append_cell(row, analysis::csv_number(total_value(*m, run)));
                           pending[point].push_back(std::move(row));
                           if (replication + 1 == spec.replications) {
                             journal.record(point, std::move(pending[point]));
                             pending.erase(point);
                           }
                         });
                       });
  progress.finish();
  write_failure.rethrow();
  return journal.finished_count() == owned;
}

/// What identifies the results of this sweep: every input's hash, every override, the
/// replications, the metrics and the design.
sweep_identity identity_of(const char* command, const analysis::sweep_spec& spec, const scenario& s,
                           std::size_t points, std::string_view design, const shard& slice,
                           const nlohmann::json& manifest) {
  std::string material = fmt::format("{}\n{}\n{}\n", command, spec.replications, design);
  for (const auto& input : s.inputs) material += input.role + " " + input.sha256 + "\n";
  for (const auto& o : s.overrides) material += o.path + "=" + o.value + "\n";
  for (const auto& m : spec.metrics) material += "metric " + m + "\n";
  sweep_identity id;
  id.command = command;
  id.name = spec.name;
  id.fingerprint = sha256_hex(material);
  id.points = points;
  id.replications = spec.replications;
  for (const auto& p : spec.parameters) id.parameters.push_back(p.name);
  id.metrics = spec.metrics;
  id.slice = slice;
  id.manifest = manifest;
  return id;
}

/// The folder --resume continues, or nothing when a new folder is to be started: also a
/// --resume whose folder does not exist yet, so one command line serves a first run and any
/// rerun of it (a requeued batch job).
std::optional<fs::path> folder_to_resume(const batch_options& bo, const output_options& oo) {
  if (!bo.resume) return std::nullopt;
  if (!oo.out)
    throw input_error(source_mark::named("--resume"), "",
                      "--resume needs --out DIR: the results folder of the run to continue");
  std::error_code ec;
  if (!fs::exists(fs::path(*oo.out), ec)) return std::nullopt;
  return fs::path(*oo.out);
}

/// A results folder a command fills in place, once started: what it keeps and how to continue
/// are added to an output error (a full disk) that stops the command.
struct folder_in_progress {
  fs::path dir;
  shard slice;
  std::function<std::string()> kept;  ///< "every finished point (6 of 9) is kept in DIR"
};

/// Runs a command that fills its folder in place; an output error after the folder was started
/// says what is kept and the command that continues.
int with_resume_advice(const std::vector<std::string>& args,
                       const std::function<int(std::optional<folder_in_progress>&)>& command) {
  std::optional<folder_in_progress> in_progress;
  try {
    return command(in_progress);
  } catch (const output_error& e) {
    if (!in_progress) throw;
    throw output_error(fmt::format("{}\n{}; once it can be written again, continue with:\n  {}",
                                   e.what(), in_progress->kept(),
                                   resume_command(args, in_progress->dir, in_progress->slice)));
  }
}

/// What a sweep's folder keeps, read from points.done (the journal may be gone by then).
std::string kept_points(const fs::path& dir, std::size_t owned) {
  std::size_t done = 0;
  try {
    done = complete_lines_of(dir / "points.done").size();
  } catch (const output_error&) {
  }
  return fmt::format("every finished point ({} of {}) is kept in {}", done, owned, dir.string());
}

/// Opens the results folder: a new one, or the one to resume.
std::unique_ptr<sweep_journal> open_journal(const sweep_identity& id, const output_options& oo,
                                            const batch_options& bo, std::string_view command,
                                            const std::vector<fs::path>& inputs) {
  if (const auto resumed = folder_to_resume(bo, oo)) {
    auto journal = std::make_unique<sweep_journal>(*resumed, id);
    const std::size_t owned = id.slice.points_of(id.points);
    log_message("info", "resume",
                fmt::format("resuming {}: {} of {} points already done", journal->dir().string(),
                            journal->finished_count(), owned),
                nlohmann::json{{"done", journal->finished_count()}, {"points", owned}});
    return journal;
  }
  std::string suffix(command);
  if (id.slice.count > 1) suffix += fmt::format("-shard-{}-of-{}", id.slice.index, id.slice.count);
  return std::make_unique<sweep_journal>(
      oo.out ? fs::path(*oo.out) : default_output_dir(id.name, suffix), id, oo.force, inputs);
}

/// Says how far a stopped run got and how to continue it; returns the exit status.
int report_stop(const sweep_journal& journal, std::size_t owned, const shard& slice,
                const std::vector<std::string>& args) {
  const auto command = resume_command(args, journal.dir(), slice);
  // An error, not a warning: --quiet must not hide how to continue a stopped batch job.
  log_message(
      "error", "stopped",
      fmt::format("stopped by signal {} after {} of {} points; every finished point is "
                  "kept in {}. Resume with:\n  {}",
                  stop_signal(), journal.finished_count(), owned, journal.dir().string(), command),
      nlohmann::json{{"signal", stop_signal()},
                     {"done", journal.finished_count()},
                     {"points", owned},
                     {"resume", command}});
  return stopped_exit_code();
}

struct point_summary {
  std::size_t point = 0;
  std::vector<std::string> values;            ///< parameter values as written
  std::vector<analysis::estimate> estimates;  ///< per metric, over replications
};

std::vector<point_summary> summarize_points(
    const std::map<std::size_t, std::vector<std::string>>& rows, std::size_t parameters,
    std::size_t metrics) {
  std::vector<point_summary> out;
  const auto values = values_of(rows, metrics);
  for (const auto& [point, point_rows] : rows) {
    point_summary ps;
    ps.point = point;
    const auto cells = split_csv_line(point_rows.front());
    ps.values.assign(cells.begin() + 2, cells.begin() + 2 + static_cast<long>(parameters));
    for (const auto& v : values.at(point)) ps.estimates.push_back(analysis::summarize(v));
    out.push_back(std::move(ps));
  }
  return out;
}

/// summary.csv: per point the mean and 95% interval of each metric over replications.
std::string summary_csv(const sweep_identity& id, const std::vector<point_summary>& points) {
  std::string csv = "point";
  for (const auto& p : id.parameters) csv += fmt::format(",{}", p);
  for (const auto& m : id.metrics) csv += fmt::format(",{0}_mean,{0}_ci_low,{0}_ci_high", m);
  csv += "\n";
  for (const auto& ps : points) {
    csv += std::to_string(ps.point);
    for (const auto& v : ps.values) append_cell(csv, csv_text(v));
    for (const auto& e : ps.estimates)
      csv += fmt::format(",{},{},{}", analysis::csv_number(e.mean), analysis::csv_number(e.ci_low),
                         analysis::csv_number(e.ci_high));
    csv += "\n";
  }
  return csv;
}

/// The first 30 points' means, for the terminal.
std::string summary_table(const sweep_identity& id, const std::vector<point_summary>& points) {
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> head{"point"};
  head.insert(head.end(), id.parameters.begin(), id.parameters.end());
  head.insert(head.end(), id.metrics.begin(), id.metrics.end());
  table.push_back(head);
  for (const auto& ps : points) {
    if (table.size() > 30) break;
    std::vector<std::string> row{std::to_string(ps.point)};
    row.insert(row.end(), ps.values.begin(), ps.values.end());
    for (std::size_t m = 0; m < ps.estimates.size(); ++m) {
      const double mean = ps.estimates[m].mean;
      const double scale = analysis::outcome(id.metrics[m]).display_scale;
      row.push_back(std::isnan(mean)                 ? std::string("-")
                    : std::abs(mean * scale) >= 1000 ? fmt::format("{:.0f}", mean * scale)
                                                     : fmt::format("{:.2f}", mean * scale));
    }
    table.push_back(std::move(row));
  }
  return analysis::aligned_table(table);
}

/// The base scenario and the manifest entry for the sweep file itself.
scenario recorded_base(const analysis::sweep_spec& spec, const io::load_options& base) {
  // As every point sees it, without the point's own values: the sweep's set and the command
  // line.
  scenario s = analysis::load_point(spec, spec.fixed, base);
  s.inputs.insert(s.inputs.begin(), input_file{spec.file, sha256_file(spec.file), "sweep"});
  return s;
}

void write_manifest(const fs::path& dir, const scenario& s, analysis::run_info& info,
                    std::chrono::steady_clock::time_point started) {
  info.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<std::string> outputs;
  for (const auto& entry : fs::directory_iterator(dir))
    // Hidden names are temporaries (of write_file_atomically), not outputs; the manifest of a
    // resumed finished folder is already there.
    if (const auto name = entry.path().filename().string();
        name.front() != '.' && name != "manifest.json")
      outputs.push_back(name);
  outputs.emplace_back("manifest.json");
  std::sort(outputs.begin(), outputs.end());
  analysis::write_file_atomically(dir / "manifest.json",
                                  analysis::manifest_json(s, info, outputs).dump(2) + "\n");
}

std::vector<std::vector<override_spec>> overrides_of_design(
    const analysis::sweep_spec& spec, const std::vector<analysis::sweep_point>& design) {
  std::vector<std::vector<override_spec>> points;
  points.reserve(design.size());
  for (const auto& p : design) points.push_back(analysis::point_overrides(spec, p));
  return points;
}

int sweep(const std::string& file, const common_options& o, const output_options& oo,
          const batch_options& bo, const std::vector<std::string>& args,
          std::optional<folder_in_progress>& in_progress) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  const auto spec = analysis::load_sweep(file);
  const auto design = analysis::make_design(spec);
  const auto points = overrides_of_design(spec, design);
  const auto base = make_load_options(o);
  const scenario s = recorded_base(spec, base);
  analysis::check_points(spec, points, base);  // every point loads before anything runs
  std::string shard_source;
  const shard slice = choose_shard(bo.shard, shard_source);
  const unsigned threads = resolve_threads(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  auto info = make_info("sweep", s, threads, spec.replications, args, started_utc);
  const auto id = identity_of("sweep", spec, s, points.size(), analysis::design_name(spec.design),
                              slice, analysis::manifest_json(s, info, {}));
  auto journal = open_journal(id, oo, bo, "sweep", input_paths(s));
  const fs::path dir = journal->dir();
  const std::size_t owned = slice.points_of(points.size());
  in_progress = folder_in_progress{dir, slice, [dir, owned] { return kept_points(dir, owned); }};
  if (slice.count > 1)
    log_message("info", "shard",
                fmt::format("shard {} (from {}): points {} mod {}", slice.text(), shard_source,
                            slice.index, slice.count),
                nlohmann::json{{"shard", slice.text()}, {"source", shard_source}});

  std::string design_csv = "point";
  for (const auto& p : spec.parameters) append_cell(design_csv, p.name);
  design_csv += "\n";
  for (const auto& p : design) {
    design_csv += std::to_string(p.index);
    for (const auto& v : p.values) append_cell(design_csv, csv_text(v));
    design_csv += "\n";
  }
  analysis::write_file_atomically(dir / "design.csv", design_csv);

  if (!run_and_record(spec, design, points, base, s, threads, *journal, slice)) {
    return report_stop(*journal, owned, slice, args);
  }
  journal->close();
  const auto summaries = summarize_points(journal->rows(), id.parameters.size(), id.metrics.size());
  analysis::write_file_atomically(dir / "summary.csv", summary_csv(id, summaries));
  info.shard = slice.text();
  write_manifest(dir, s, info, started);
  if (!o.quiet) {
    fmt::print("sweep {}: {} points x {} replications of {} ({} design{}); means per point{}\n",
               spec.name, summaries.size(), spec.replications, s.name,
               analysis::design_name(spec.design),
               slice.count > 1 ? fmt::format(", shard {} of {} points", slice.text(), design.size())
                               : std::string(),
               summaries.size() > 30 ? " (first 30; all in summary.csv)" : "");
    fmt::print("{}", summary_table(id, summaries));
    fmt::print(
        "\nresults: {}/ (design.csv, results.csv, summary.csv, manifest.json) in {:.1f}s on "
        "{} thread{}{}\n",
        dir.string(), info.wall_seconds, threads, threads == 1 ? "" : "s",
        info.ranks > 1 ? fmt::format(" x {} ranks", info.ranks) : std::string());
  }
  return ok;
}

}  // namespace

int command_sweep(const std::string& file, const common_options& o, const output_options& oo,
                  const batch_options& bo, const std::vector<std::string>& args) {
  return with_resume_advice(args, [&](std::optional<folder_in_progress>& in_progress) {
    return sweep(file, o, oo, bo, args, in_progress);
  });
}

int command_merge(const std::vector<std::string>& dirs, const output_options& oo,
                  bool allow_missing, const std::vector<std::string>& args) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  std::vector<sweep_journal::contents> shards;
  for (const auto& d : dirs) shards.push_back(sweep_journal::read(d));
  const auto& first = shards.front().identity;
  if (first.command != "sweep")
    throw input_error(source_mark::named(dirs.front()), "",
                      fmt::format("holds a {} run; only sweep folders are merged", first.command));
  std::map<std::size_t, std::vector<std::string>> rows;
  std::map<std::size_t, std::string> from;
  for (std::size_t k = 0; k < shards.size(); ++k) {
    const auto& id = shards[k].identity;
    if (id.fingerprint != first.fingerprint || id.points != first.points)
      throw input_error(
          source_mark::named(dirs[k]), "",
          fmt::format("holds another sweep than {} (different inputs, options or "
                      "design): fingerprint {} against {}",
                      dirs.front(), id.fingerprint.substr(0, 12), first.fingerprint.substr(0, 12)));
    for (const auto& [point, point_rows] : shards[k].rows) {
      const auto [at, added] = rows.emplace(point, point_rows);
      if (!added && at->second != point_rows)
        throw input_error(
            source_mark::named(dirs[k]), "",
            fmt::format("point {} differs from the same point in {}", point, from[point]));
      from.emplace(point, dirs[k]);
    }
  }
  // Which points no folder holds, and which shard should have run them.
  std::map<std::string, std::vector<std::size_t>> missing;
  std::size_t missing_count = 0;
  for (std::size_t p = 0; p < first.points; ++p) {
    if (rows.count(p) != 0) continue;
    ++missing_count;
    std::string owner = "the whole sweep";
    for (std::size_t k = 0; k < shards.size(); ++k)
      if (shards[k].identity.slice.owns(p)) {
        owner = fmt::format("shard {} ({})", shards[k].identity.slice.text(), dirs[k]);
        break;
      }
    if (owner == "the whole sweep" && first.slice.count > 1)
      owner =
          fmt::format("shard {}/{} (no folder given)", p % first.slice.count, first.slice.count);
    missing[owner].push_back(p);
  }
  std::string missing_text;
  for (const auto& [owner, list] : missing) {
    std::vector<std::size_t> shown(
        list.begin(), list.begin() + static_cast<long>(std::min<std::size_t>(list.size(), 20)));
    missing_text +=
        fmt::format("\n  {}: {} point{}: {}{}", owner, list.size(), list.size() == 1 ? "" : "s",
                    fmt::join(shown, ", "), list.size() > shown.size() ? ", ..." : "");
  }
  if (missing_count > 0 && !allow_missing)
    throw input_error(source_mark::named("merge"), "",
                      fmt::format("{} of {} points are missing:{}\nrun those shards (with "
                                  "--resume if they were started) and merge again, or add "
                                  "--allow-missing for a partial table",
                                  missing_count, first.points, missing_text));

  sweep_identity merged = first;
  merged.slice = shard{};
  analysis::output_directory dir(
      oo.out ? fs::path(*oo.out) : default_output_dir(first.name, "sweep-merged"), oo.force);
  std::string results = merged.header() + "\n";
  for (const auto& [point, point_rows] : rows)
    for (const auto& r : point_rows) results += r + "\n";
  // Every shard writes the whole design; a folder killed before writing it may lack it.
  std::optional<std::string> design;
  for (const auto& d : dirs) {
    std::ifstream design_in(fs::path(d) / "design.csv", std::ios::binary);
    std::ostringstream text;
    if (design_in && text << design_in.rdbuf()) {
      design = text.str();
      break;
    }
  }
  if (!design)
    throw input_error(source_mark::named(dirs.front()), "",
                      "no design.csv in any of the folders: resume one of the shards to write it");
  dir.write("design.csv", *design);
  dir.write("results.csv", results);
  const auto summaries = summarize_points(rows, merged.parameters.size(), merged.metrics.size());
  dir.write("summary.csv", summary_csv(merged, summaries));
  // The sweep's own manifest, with the merge's facts on top.
  nlohmann::json manifest = first.manifest;
  manifest["command"] = "merge";
  manifest["arguments"] = args;
  manifest["merged_from"] = dirs;
  manifest["missing_points"] = missing_count;
  manifest["started_utc"] = started_utc;
  manifest["host"] = analysis::host_name();
  manifest["wall_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto outputs = dir.files();
  outputs.emplace_back("manifest.json");
  manifest["outputs"] = outputs;
  dir.write("manifest.json", manifest.dump(2) + "\n");
  // Merging into one of the shard folders would delete it.
  const std::vector<fs::path> inputs(dirs.begin(), dirs.end());
  dir.commit(inputs);
  log_message(
      "info", "merged",
      fmt::format("merged {} folder{}: {} of {} points x {} replications into {}/{}", dirs.size(),
                  dirs.size() == 1 ? "" : "s", rows.size(), first.points, first.replications,
                  dir.final_path().string(),
                  missing_count > 0 ? fmt::format("; missing:{}", missing_text) : std::string()));
  return ok;
}

namespace {

/// Bars of an index per parameter with its interval, one panel per metric.
json index_chart(const json& rows, std::string_view x_title) {
  const json y{{"field", "parameter"}, {"type", "nominal"}, {"title", nullptr}, {"sort", "-x"}};
  const json color{{"field", "index"}, {"type", "nominal"}, {"title", nullptr}};
  const json offset{{"field", "index"}, {"type", "nominal"}};
  json layer = json::array(
      {json{{"mark", "bar"},
            {"encoding",
             {{"y", y},
              {"yOffset", offset},
              {"x", {{"field", "value"}, {"type", "quantitative"}, {"title", x_title}}},
              {"color", color},
              {"tooltip", json::array({json{{"field", "parameter"}}, json{{"field", "index"}},
                                       json{{"field", "value"}, {"format", ".3f"}},
                                       json{{"field", "low"}, {"format", ".3f"}},
                                       json{{"field", "high"}, {"format", ".3f"}}})}}}},
       json{{"mark", {{"type", "rule"}, {"color", "#333"}}},
            {"encoding",
             {{"y", y},
              {"yOffset", offset},
              {"x", {{"field", "low"}, {"type", "quantitative"}}},
              {"x2", {{"field", "high"}}}}}}});
  return json{{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
              {"data", {{"values", rows}}},
              {"facet", {{"row", {{"field", "metric"}, {"type", "nominal"}, {"title", nullptr}}}}},
              {"spec", {{"width", 640}, {"layer", layer}}},
              {"resolve", {{"scale", {{"x", "independent"}, {"y", "independent"}}}}}};
}

struct index_row {
  std::string metric, parameter, measure;
  double value, low, high;
};

int sensitivity(const std::string& file, const common_options& o, const sensitivity_options& so,
                const output_options& oo, const batch_options& bo,
                const std::vector<std::string>& args,
                std::optional<folder_in_progress>& in_progress) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  const auto spec = analysis::load_sweep(file);
  const std::size_t d = spec.parameters.size();
  const bool sobol = so.method == "sobol";
  if (sobol && 2 * d > analysis::sobol_max_dimensions())
    throw input_error(source_mark::named("--method"), "",
                      fmt::format("Sobol indices handle at most {} parameters; this "
                                  "sweep has {}: screen them with --method morris",
                                  analysis::sobol_max_dimensions() / 2, d));
  if (!sobol && (so.levels < 2 || so.levels % 2 != 0))
    throw input_error(source_mark::named("--levels"), "",
                      fmt::format("must be even and at least 2, got {}", so.levels));
  if (sobol && so.samples < 2)
    throw input_error(source_mark::named("--samples"), "", "must be at least 2");
  if (!sobol && so.trajectories < 2)
    throw input_error(source_mark::named("--trajectories"), "", "must be at least 2");

  // Unit-cube design of the method, mapped through each parameter's range or distribution.
  std::vector<double> unit;
  analysis::morris_design morris;
  analysis::saltelli_design saltelli;
  if (sobol) {
    saltelli = analysis::make_saltelli_design(d, so.samples);
    unit = saltelli.points;
  } else {
    morris = analysis::make_morris_design(d, so.trajectories, so.levels, spec.seed);
    unit = morris.points;
  }
  const std::size_t rows = unit.size() / d;
  if (rows * spec.replications > analysis::max_sweep_runs)
    throw input_error(source_mark::named(sobol ? "--samples" : "--trajectories"), "",
                      fmt::format("{} points x {} replications exceed the limit of {} runs", rows,
                                  spec.replications, analysis::max_sweep_runs));
  const auto design = analysis::points_at(spec, 0, unit);
  const auto points = overrides_of_design(spec, design);
  const auto base = make_load_options(o);
  const scenario s = recorded_base(spec, base);
  analysis::check_points(spec, points, base);
  const unsigned threads = resolve_threads(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  auto info = make_info("sensitivity", s, threads, spec.replications, args, started_utc);
  const std::string design_text = sobol ? fmt::format("sobol samples {}", so.samples)
                                        : fmt::format("morris trajectories {} levels {} seed {}",
                                                      so.trajectories, so.levels, spec.seed);
  const auto id = identity_of("sensitivity", spec, s, points.size(), design_text, shard{},
                              analysis::manifest_json(s, info, {}));
  auto journal = open_journal(id, oo, bo, so.method, input_paths(s));
  const fs::path dir = journal->dir();
  const std::size_t owned = points.size();
  in_progress = folder_in_progress{dir, shard{}, [dir, owned] { return kept_points(dir, owned); }};
  if (!run_and_record(spec, design, points, base, s, threads, *journal, shard{}))
    return report_stop(*journal, points.size(), shard{}, args);
  journal->close();
  const auto by_point = values_of(journal->rows(), spec.metrics.size());
  std::vector<std::vector<std::vector<double>>> values;
  for (const auto& [point, v] : by_point) values.push_back(v);

  // The model output of a point is its mean over replications (common random numbers make
  // the points comparable; more replications smooth the response).
  const auto metrics = metrics_of(spec);
  std::vector<index_row> indices;
  std::vector<std::string> skipped;
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    std::vector<double> outputs;
    for (std::size_t i = 0; i < rows; ++i)
      outputs.push_back(analysis::summarize(values[i][m]).mean);
    try {
      if (sobol) {
        const auto idx = analysis::sobol_indices(saltelli, outputs, so.bootstrap, spec.seed);
        for (std::size_t k = 0; k < d; ++k) {
          indices.push_back({std::string(metrics[m]->name), spec.parameters[k].name, "first",
                             idx[k].first, idx[k].first_ci_low, idx[k].first_ci_high});
          indices.push_back({std::string(metrics[m]->name), spec.parameters[k].name, "total",
                             idx[k].total, idx[k].total_ci_low, idx[k].total_ci_high});
        }
      } else {
        const auto idx = analysis::morris_indices(morris, outputs, so.bootstrap, spec.seed);
        for (std::size_t k = 0; k < d; ++k) {
          indices.push_back({std::string(metrics[m]->name), spec.parameters[k].name, "mu_star",
                             idx[k].mu_star, idx[k].mu_star_ci_low, idx[k].mu_star_ci_high});
          indices.push_back({std::string(metrics[m]->name), spec.parameters[k].name, "mu",
                             idx[k].mu, not_available, not_available});
          indices.push_back({std::string(metrics[m]->name), spec.parameters[k].name, "sigma",
                             idx[k].sigma, not_available, not_available});
        }
      }
    } catch (const std::invalid_argument& e) {
      skipped.push_back(fmt::format("{}: {}", metrics[m]->name, e.what()));
    }
  }

  std::string csv = "method,metric,parameter,index,value,ci_low,ci_high\n";
  json doc{{"method", so.method},
           {"sweep", spec.file},
           {"scenario", s.name},
           {"points", rows},
           {"replications", spec.replications},
           {"bootstrap", so.bootstrap},
           {"skipped", skipped}};
  json list = json::array();
  json chart_rows = json::array();
  const std::string headline = sobol ? "total" : "mu_star";
  for (const auto& r : indices) {
    csv += fmt::format("{},{},{},{},{},{},{}\n", so.method, r.metric, r.parameter, r.measure,
                       analysis::csv_number(r.value), analysis::csv_number(r.low),
                       analysis::csv_number(r.high));
    list.push_back(json{{"metric", r.metric},
                        {"parameter", r.parameter},
                        {"index", r.measure},
                        {"value", analysis::json_number(r.value)},
                        {"ci_low", analysis::json_number(r.low)},
                        {"ci_high", analysis::json_number(r.high)}});
    if (r.measure == "first" || r.measure == "total" || r.measure == "mu_star")
      chart_rows.push_back(
          json{{"metric", r.metric},
               {"parameter", r.parameter},
               {"index", r.measure},
               {"value", analysis::json_number(r.value)},
               {"low", analysis::json_number(std::isnan(r.low) ? r.value : r.low)},
               {"high", analysis::json_number(std::isnan(r.high) ? r.value : r.high)}});
  }
  doc["indices"] = list;
  analysis::write_file_atomically(dir / "sensitivity.csv", csv);
  analysis::write_file_atomically(dir / "sensitivity.json", doc.dump(2) + "\n");

  // Ranked table per metric, by the headline index.
  std::string text;
  std::string html;
  for (const auto* m : metrics) {
    std::vector<const index_row*> ranked;
    for (const auto& r : indices)
      if (r.metric == m->name && r.measure == headline) ranked.push_back(&r);
    if (ranked.empty()) continue;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const index_row* a, const index_row* b) { return a->value > b->value; });
    std::vector<std::vector<std::string>> table;
    table.push_back(sobol ? std::vector<std::string>{"parameter", "first order", "total"}
                          : std::vector<std::string>{"parameter", "mu*", "mu", "sigma"});
    html += fmt::format("<h3>{}</h3><table><thead><tr>", m->name);
    for (const auto& h : table.front()) html += "<th>" + h + "</th>";
    html += "</tr></thead><tbody>";
    for (const auto* r : ranked) {
      std::vector<std::string> row{r->parameter};
      for (const auto& other : indices)
        if (other.metric == r->metric && other.parameter == r->parameter)
          row.push_back(std::isnan(other.low) ? fmt::format("{:.3g}", other.value)
                                              : fmt::format("{:.3f} [{:.3f}, {:.3f}]", other.value,
                                                            other.low, other.high));
      html += "<tr>";
      for (const auto& cell : row) html += "<td>" + cell + "</td>";
      html += "</tr>";
      table.push_back(std::move(row));
    }
    html += "</tbody></table>";
    text += fmt::format("\n{}\n", m->name) + analysis::aligned_table(table);
  }

  if (oo.report) {
    analysis::report_content content;
    content.baseline = &s;
    content.title =
        fmt::format("{}: {} sensitivity of {}", spec.name, sobol ? "Sobol" : "Morris", s.name);
    content.tables_html =
        fmt::format(
            "<h2>Sensitivity indices</h2><p class=explain>{} over {} parameters, {} "
            "points x {} replications; 95% bootstrap intervals. Ranked by {}.</p>",
            sobol ? "Sobol first-order and total indices (Saltelli design)"
                  : "Morris elementary effects",
            d, rows, spec.replications, sobol ? "the total index" : "mu*") +
        html;
    content.charts.push_back(
        {"indices", sobol ? "First-order and total Sobol indices" : "Morris mu* and sigma",
         sobol ? "Share of the output variance due to each parameter alone (first order) and "
                 "with all its interactions (total)."
               : "Mean absolute elementary effect (mu*) per parameter: how much the output "
                 "moves when the parameter moves across its range.",
         index_chart(chart_rows, sobol ? "index" : "mu*")});
    content.info = info;
    analysis::write_file_atomically(dir / "report.html", analysis::html_report(content));
  }
  write_manifest(dir, s, info, started);
  if (!o.quiet) {
    fmt::print("{} sensitivity of {} ({}): {} parameters, {} points x {} replications{}\n",
               sobol ? "Sobol" : "Morris", s.name, spec.name, d, rows, spec.replications,
               sobol ? "; first-order and total indices [95% bootstrap interval]"
                     : "; mu* [95% bootstrap interval], mu, sigma");
    fmt::print("{}", text);
    for (const auto& skip : skipped) fmt::print("skipped {}\n", skip);
    fmt::print("\nresults: {}/ in {:.1f}s on {} thread{}\n", dir.string(), info.wall_seconds,
               threads, threads == 1 ? "" : "s");
  }
  return ok;
}

}  // namespace

int command_sensitivity(const std::string& file, const common_options& o,
                        const sensitivity_options& so, const output_options& oo,
                        const batch_options& bo, const std::vector<std::string>& args) {
  return with_resume_advice(args, [&](std::optional<folder_in_progress>& in_progress) {
    return sensitivity(file, o, so, oo, bo, args, in_progress);
  });
}

}  // namespace cesim::cli

namespace cesim::cli {

namespace {

/// Observed points, the best fit and the posterior predictive band, one panel per series.
json fit_chart(const json& rows) {
  const json x{{"field", "step"}, {"type", "quantitative"}, {"title", "step"}};
  json layer = json::array(
      {json{{"mark", {{"type", "area"}, {"opacity", 0.25}, {"color", "#4c78a8"}}},
            {"encoding",
             {{"x", x},
              {"y", {{"field", "low"}, {"type", "quantitative"}, {"title", nullptr}}},
              {"y2", {{"field", "high"}}}}}},
       json{{"mark", {{"type", "line"}, {"color", "#4c78a8"}}},
            {"encoding", {{"x", x}, {"y", {{"field", "best"}, {"type", "quantitative"}}}}}},
       json{{"mark", {{"type", "point"}, {"filled", true}, {"color", "#e45756"}}},
            {"encoding",
             {{"x", x},
              {"y", {{"field", "observed"}, {"type", "quantitative"}}},
              {"tooltip", json::array({json{{"field", "step"}}, json{{"field", "observed"}},
                                       json{{"field", "best"}, {"format", ".4~g"}}})}}}}});
  return json{{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
              {"data", {{"values", rows}}},
              {"facet", {{"row", {{"field", "series"}, {"type", "nominal"}, {"title", nullptr}}}}},
              {"spec", {{"width", 640}, {"height", 200}, {"layer", layer}}},
              {"resolve", {{"scale", {{"y", "independent"}}}}}};
}

/// Weighted histograms of the posterior, one panel per parameter; bins are computed here, per
/// parameter, since Vega-Lite bins a faceted field once over all panels.
json posterior_chart(const std::vector<std::string>& names,
                     const std::vector<std::vector<double>>& values,
                     const std::vector<double>& weights) {
  constexpr std::size_t bins = 24;
  json rows = json::array();
  for (std::size_t k = 0; k < names.size(); ++k) {
    const auto [lo, hi] = std::minmax_element(values[k].begin(), values[k].end());
    const double width = (*hi - *lo) / bins;
    std::vector<double> mass(bins, 0.0);
    for (std::size_t i = 0; i < values[k].size(); ++i) {
      const auto b =
          width > 0 ? std::min(bins - 1, static_cast<std::size_t>((values[k][i] - *lo) / width))
                    : 0;
      mass[b] += weights[i];
    }
    for (std::size_t b = 0; b < bins; ++b)
      rows.push_back(json{{"parameter", names[k]},
                          {"from", *lo + static_cast<double>(b) * width},
                          {"to", *lo + static_cast<double>(b + 1) * width},
                          {"weight", mass[b]}});
  }
  return json{
      {"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
      {"data", {{"values", rows}}},
      {"facet", {{"row", {{"field", "parameter"}, {"type", "nominal"}, {"title", nullptr}}}}},
      {"spec",
       {{"width", 640},
        {"height", 120},
        {"mark", "bar"},
        {"encoding",
         {{"x",
           {{"field", "from"},
            {"type", "quantitative"},
            {"title", nullptr},
            {"scale", {{"zero", false}}}}},
          {"x2", {{"field", "to"}}},
          {"y", {{"field", "weight"}, {"type", "quantitative"}, {"title", "posterior weight"}}},
          {"y2", {{"datum", 0}}}}}}},
      {"resolve", {{"scale", {{"x", "independent"}, {"y", "independent"}}}}}};
}

std::string series_name(const analysis::observation& obs) {
  return obs.segment == "total" ? obs.metric : fmt::format("{} ({})", obs.metric, obs.segment);
}

int calibrate(const std::string& file, const common_options& o, const calibration_options& co,
              const output_options& oo, const batch_options& bo,
              const std::vector<std::string>& args,
              std::optional<folder_in_progress>& in_progress) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_utc = analysis::current_utc_time();
  const auto spec = analysis::load_sweep(file);
  const std::size_t d = spec.parameters.size();
  const auto base = make_load_options(o);
  scenario s = recorded_base(spec, base);
  analysis::observation_options obo;
  obo.start_date = co.start_date;
  obo.days_per_step = 7 * s.time.weeks_per_step;
  const auto data = analysis::load_observations(co.observed, obo);
  analysis::check_segments(data, segment_names(s));
  analysis::check_steps(data, s.time.horizon);
  s.inputs.push_back(input_file{co.observed, sha256_file(co.observed), "observed"});
  if (co.abc.particles < 2)
    throw input_error(source_mark::named("--particles"), "",
                      fmt::format("must be at least 2, got {}", co.abc.particles));
  if (co.abc.initial_draws < co.abc.particles)
    throw input_error(source_mark::named("--initial"), "",
                      fmt::format("must be at least --particles ({}), got {}", co.abc.particles,
                                  co.abc.initial_draws));
  if (2 * d > analysis::sobol_max_dimensions() || d == 0)
    throw input_error(source_mark::named(file), "",
                      fmt::format("calibration handles 1 to {} parameters, got {}",
                                  analysis::sobol_max_dimensions(), d));
  const unsigned threads = resolve_threads(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  auto info = make_info("calibrate", s, threads, spec.replications, args, started_utc);
  const auto id = identity_of(
      "calibrate", spec, s, 0,
      fmt::format("abc particles {} rounds {} initial {} quantile {} seed {} budget {} batch {} "
                  "predictive {}",
                  co.abc.particles, co.abc.rounds, co.abc.initial_draws, co.abc.quantile,
                  co.abc.seed, co.abc.round_budget, co.abc.min_batch, co.predictive),
      shard{}, analysis::manifest_json(s, info, {}));

  // Every model evaluation, as it happens: the raw material of the posterior, and what a
  // resumed calibration replays instead of simulating again.
  std::string header = "evaluation";
  for (const auto& p : spec.parameters) append_cell(header, p.name);
  header += ",distance";
  std::map<std::size_t, std::pair<std::vector<std::string>, double>> made;
  const auto resumed = folder_to_resume(bo, oo);
  const bool resuming = resumed.has_value();
  fs::path dir;
  std::optional<analysis::folder_lock> lock;
  std::optional<folder_start> start;
  if (resuming) {
    dir = *resumed;
    lock.emplace(dir);
    analysis::remove_stale_temporaries(dir);
    check_resumable(read_identity(dir), id, dir);
    // ABC proposes the same points again when it sees the same distances, so the recorded
    // evaluations are replayed in order and the search continues where it stopped.
    std::string kept = header + "\n";
    // A run stopped by a full disk right after sweep.json may have no evaluations yet.
    std::error_code ec;
    const auto lines = fs::exists(dir / "evaluations.csv", ec)
                           ? complete_lines_of(dir / "evaluations.csv")
                           : std::vector<std::string>();
    for (std::size_t i = 1; i < lines.size(); ++i) {
      const auto cells = split_csv_line(lines[i]);
      if (cells.size() != d + 2 || cells.front() != std::to_string(made.size())) break;
      made[made.size()] = {
          std::vector<std::string>(cells.begin() + 1, cells.end() - 1),
          cells.back().empty() ? not_available : std::strtod(cells.back().c_str(), nullptr)};
      kept += lines[i] + "\n";
    }
    analysis::write_file_atomically(dir / "evaluations.csv", kept);
    log_message(
        "info", "resume",
        fmt::format("resuming {}: replaying {} recorded evaluations", dir.string(), made.size()),
        nlohmann::json{{"done", made.size()}});
  } else {
    dir = oo.out ? fs::path(*oo.out) : default_output_dir(spec.name, "calibrate");
    start.emplace(dir, oo.force, input_paths(s));
    try {
      lock.emplace(dir);
      write_identity(dir, id);
    } catch (const output_error& e) {
      throw output_error(fmt::format("{}; {}", e.what(), start->left_as_it_was()));
    }
  }
  durable_appender evaluations(dir / "evaluations.csv", !resuming);
  if (!resuming) evaluations.append(header + "\n");
  if (start) {
    evaluations.sync();  // the header on disk before the folder counts as started
    start->done();
  }
  in_progress = folder_in_progress{dir, shard{}, [dir] {
                                     return fmt::format("the evaluations so far are kept in {}",
                                                        (dir / "evaluations.csv").string());
                                   }};
  std::size_t evaluated = 0;
  const bool show = !o.quiet && cli::stderr_is_terminal();
  analysis::point_run_options ro;
  ro.replications = spec.replications;
  ro.threads = threads;
  ro.base = base;
  ro.inputs = s.inputs;
  deferred_failure write_failure;
  ro.may_start_point = [&](std::size_t) { return stop_signal() == 0 && !write_failure.failed(); };

  // Runs the rows `which` of `design`; `on_point(row, runs)` receives each point's runs
  // (replications) in order as soon as they are all done. During the ABC search every
  // evaluation draws fresh random numbers (a seed derived from the scenario's seed and the
  // evaluation's number): ABC needs independent model draws, or the posterior would describe
  // one realisation of the noise and come out too narrow.
  const auto run_rows =
      [&](const std::vector<analysis::sweep_point>& design, const std::vector<std::size_t>& which,
          bool fresh_seeds,
          const std::function<void(std::size_t, std::vector<run_result> &&)>& on_point) {
        std::vector<std::vector<override_spec>> points;
        for (auto row : which) {
          points.push_back(analysis::point_overrides(spec, design[row]));
          if (fresh_seeds)
            points.back().push_back(override_spec{
                "seed", std::to_string(rng::derive_seed(s.seed, design[row].index, 0xca11b)),
                fmt::format("calibration evaluation {}", design[row].index)});
        }
        if (!which.empty() && design[which.front()].index == 0)
          analysis::check_points(spec, points, base);
        std::vector<run_result> runs;
        analysis::run_points(
            spec, points, ro,
            [&](std::size_t point, std::uint32_t replication, const run_result& run) {
              write_failure.attempt([&] {
                runs.push_back(run);
                if (replication + 1 == spec.replications)
                  on_point(which[point], std::exchange(runs, {}));
              });
            });
        write_failure.rethrow();
        throw_if_stopped(fmt::format("the evaluations so far are kept in {}; continue with --out "
                                     "{} --resume",
                                     (dir / "evaluations.csv").string(), dir.string())
                             .c_str());
      };
  const auto pointers = [](const std::vector<run_result>& runs) {
    std::vector<const run_result*> out;
    for (const auto& r : runs) out.push_back(&r);
    return out;
  };

  const analysis::abc_evaluator evaluate = [&](const std::vector<double>& unit) {
    const auto design = analysis::points_at(spec, evaluated, unit);
    std::vector<double> distances(design.size(), not_available);
    std::vector<std::size_t> to_run;
    for (std::size_t i = 0; i < design.size(); ++i) {
      const auto known = made.find(design[i].index);
      if (known != made.end() && known->second.first == design[i].values)
        distances[i] = known->second.second;
      else
        to_run.push_back(i);
    }
    run_rows(design, to_run, true, [&](std::size_t i, std::vector<run_result>&& runs) {
      distances[i] = analysis::distance(pointers(runs), data);
      evaluations.append(fmt::format("{},{},{}\n", design[i].index,
                                     fmt::join(csv_cells(design[i].values), ","),
                                     analysis::csv_number(distances[i])));
      evaluations.sync();
    });
    evaluated += design.size();
    if (show)
      fmt::print(stderr, "\r{}: {} simulations, best distance so far {:.4g}   ", spec.name,
                 evaluated, *std::min_element(distances.begin(), distances.end()));
    return distances;
  };
  const auto result = analysis::abc_smc(d, co.abc, evaluate);
  if (show) fmt::print(stderr, "\r{:80}\r", "");

  const auto to_value = [&](std::size_t k, double u) {
    return analysis::value_at(spec.parameters[k], u).second;
  };
  const auto posterior = analysis::summarize_posterior(result, to_value);

  // The posterior sample.
  std::string posterior_csv = "particle,weight,distance";
  for (const auto& p : spec.parameters) append_cell(posterior_csv, p.name);
  posterior_csv += "\n";
  std::vector<std::vector<double>> particle_values(d);
  for (std::size_t i = 0; i < result.size(); ++i) {
    posterior_csv += fmt::format("{},{},{}", i, analysis::csv_number(result.weights[i]),
                                 analysis::csv_number(result.distances[i]));
    for (std::size_t k = 0; k < d; ++k) {
      const double v = to_value(k, result.at(i, k));
      append_cell(posterior_csv, analysis::csv_number(v));
      particle_values[k].push_back(v);
    }
    posterior_csv += "\n";
  }
  analysis::write_file_atomically(dir / "posterior.csv", posterior_csv);

  // Fit: the best point, and the heaviest particles re-run for a predictive band.
  std::vector<std::size_t> order(result.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return result.weights[a] > result.weights[b];
  });
  order.resize(std::min(order.size(), co.predictive));
  std::vector<double> fit_unit = result.best;
  for (auto i : order)
    for (std::size_t k = 0; k < d; ++k) fit_unit.push_back(result.at(i, k));
  const auto fit_design = analysis::points_at(spec, evaluated, fit_unit);
  std::vector<std::vector<run_result>> fit_runs(fit_design.size());
  std::vector<std::size_t> all_rows(fit_design.size());
  for (std::size_t i = 0; i < all_rows.size(); ++i) all_rows[i] = i;
  run_rows(fit_design, all_rows, false,
           [&](std::size_t i, std::vector<run_result>&& runs) { fit_runs[i] = std::move(runs); });
  const auto best_values = fit_design.front().values;

  std::string fit_csv =
      "metric,segment,step,observed,best,predictive_low,predictive_median,"
      "predictive_high\n";
  json fit_rows = json::array();
  std::vector<analysis::observation> series;  // one observation per series, as a key
  for (const auto& obs : data.rows)
    if (std::none_of(series.begin(), series.end(), [&](const analysis::observation& known) {
          return known.metric == obs.metric && known.segment == obs.segment;
        }))
      series.push_back(obs);
  for (const auto& key : series) {
    for (std::uint32_t t = 0; t <= s.time.horizon; ++t) {
      analysis::observation at = key;
      at.step = t;
      const auto mean_of = [&](const std::vector<run_result>& runs) {
        double sum = 0;
        for (const auto& r : runs) sum += analysis::simulated_value(r, at);
        return sum / static_cast<double>(runs.size());
      };
      const double best = mean_of(fit_runs.front());
      std::vector<double> predictive;
      for (std::size_t i = 1; i < fit_runs.size(); ++i) predictive.push_back(mean_of(fit_runs[i]));
      const std::vector<double> equal(predictive.size(), 1.0);
      const auto band = predictive.empty() ? analysis::posterior_summary{best, 0, best, best, best}
                                           : analysis::summarize_weighted(predictive, equal);
      double observed = not_available;
      for (const auto& obs : data.rows)
        if (obs.step == t && obs.metric == key.metric && obs.segment == key.segment)
          observed = obs.value;
      fit_csv += fmt::format("{},{},{},{},{},{},{},{}\n", key.metric, key.segment, t,
                             analysis::csv_number(observed), analysis::csv_number(best),
                             analysis::csv_number(band.q025), analysis::csv_number(band.median),
                             analysis::csv_number(band.q975));
      fit_rows.push_back(json{{"series", series_name(key)},
                              {"step", t},
                              {"observed", analysis::json_number(observed)},
                              {"best", analysis::json_number(best)},
                              {"low", analysis::json_number(band.q025)},
                              {"high", analysis::json_number(band.q975)}});
    }
  }
  analysis::write_file_atomically(dir / "fit.csv", fit_csv);

  json parameters = json::array();
  std::vector<std::vector<std::string>> table{
      {"parameter", "median", "95% interval", "mean", "sd", "best fit"}};
  std::string html =
      "<h2>Fitted parameters</h2><table><thead><tr><th>parameter</th><th>path</th><th>median</th>"
      "<th>95% credible interval</th><th>mean</th><th>sd</th><th>best fit</th></tr></thead>"
      "<tbody>";
  for (std::size_t k = 0; k < d; ++k) {
    const auto& p = posterior[k];
    parameters.push_back(json{{"name", spec.parameters[k].name},
                              {"path", spec.parameters[k].path},
                              {"mean", p.mean},
                              {"sd", p.sd},
                              {"q025", p.q025},
                              {"median", p.median},
                              {"q975", p.q975},
                              {"best", analysis::json_number(fit_design.front().numbers[k])},
                              {"best_text", best_values[k]}});
    table.push_back({spec.parameters[k].name, fmt::format("{:.4g}", p.median),
                     fmt::format("[{:.4g}, {:.4g}]", p.q025, p.q975), fmt::format("{:.4g}", p.mean),
                     fmt::format("{:.3g}", p.sd), best_values[k]});
    html += fmt::format(
        "<tr><td>{}</td><td><code>{}</code></td><td>{:.4g}</td><td>[{:.4g}, {:.4g}]</td><td>{:.4g}"
        "</td><td>{:.3g}</td><td>{}</td></tr>",
        spec.parameters[k].name, spec.parameters[k].path, p.median, p.q025, p.q975, p.mean, p.sd,
        best_values[k]);
  }
  html += "</tbody></table>";
  json rounds = json::array();
  for (const auto& r : result.rounds)
    rounds.push_back(json{{"tolerance", r.tolerance},
                          {"simulations", r.simulations},
                          {"acceptance_rate", r.acceptance_rate},
                          {"accepted", r.accepted},
                          {"effective_sample_size", r.effective_sample_size},
                          {"completed", r.completed}});
  const json doc{{"sweep", spec.file},
                 {"scenario", s.name},
                 {"observed", co.observed},
                 {"observations", data.rows.size()},
                 {"replications", spec.replications},
                 {"particles", result.size()},
                 {"simulations", result.simulations},
                 {"tolerance", result.tolerance},
                 {"best_distance", result.best_distance},
                 {"parameters", parameters},
                 {"rounds", rounds}};
  analysis::write_file_atomically(dir / "calibration.json", doc.dump(2) + "\n");

  if (oo.report) {
    analysis::report_content content;
    content.baseline = &s;
    content.title = fmt::format("{}: calibration of {} to {}", spec.name, s.name,
                                fs::path(co.observed).filename().string());
    content.tables_html = html;
    std::vector<std::string> parameter_names;
    for (const auto& p : spec.parameters) parameter_names.push_back(p.name);
    content.charts.push_back(
        {"fit", "Observed against simulated",
         fmt::format("Red: observed. Line: the best-fitting parameters (mean of {} replications). "
                     "Band: 95% of the {} heaviest posterior particles re-run.",
                     spec.replications, order.size()),
         fit_chart(fit_rows)});
    content.charts.push_back({"posterior", "Posterior of each parameter",
                              "Weighted histogram of the ABC posterior sample: where the data put "
                              "each parameter, and how sure it is.",
                              posterior_chart(parameter_names, particle_values, result.weights)});
    content.info = info;
    analysis::write_file_atomically(dir / "report.html", analysis::html_report(content));
  }
  write_manifest(dir, s, info, started);
  if (!o.quiet) {
    fmt::print(
        "calibration of {} to {} ({} observations): ABC-SMC, {} particles, {} simulations, final "
        "tolerance {:.4g}, best distance {:.4g}\n",
        s.name, co.observed, data.rows.size(), result.size(), result.simulations, result.tolerance,
        result.best_distance);
    fmt::print("{}", analysis::aligned_table(table));
    for (std::size_t r = 0; r < result.rounds.size(); ++r)
      if (!result.rounds[r].completed)
        fmt::print(
            "round {} ran out of its budget ({} simulations, acceptance {:.3f}) and was "
            "dropped: the posterior is that of round {}; more --particles or --initial "
            "draws, or wider priors, may help\n",
            r, result.rounds[r].simulations, result.rounds[r].acceptance_rate, r - 1);
    fmt::print("\nresults: {}/ in {:.1f}s on {} thread{}\n", dir.string(), info.wall_seconds,
               threads, threads == 1 ? "" : "s");
  }
  return ok;
}

}  // namespace

int command_calibrate(const std::string& file, const common_options& o,
                      const calibration_options& co, const output_options& oo,
                      const batch_options& bo, const std::vector<std::string>& args) {
  return with_resume_advice(args, [&](std::optional<folder_in_progress>& in_progress) {
    return calibrate(file, o, co, oo, bo, args, in_progress);
  });
}

}  // namespace cesim::cli
