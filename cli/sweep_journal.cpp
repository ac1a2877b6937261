#include "sweep_journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cesim/analysis/output_directory.hpp"
#include "cesim/error.hpp"

namespace cesim::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* identity_file = "sweep.json";
constexpr const char* results_file = "results.csv";
constexpr const char* done_file = "points.done";

std::optional<std::size_t> parse_index(std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw output_error(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Complete lines only: a line without its final newline was cut off by a kill.
std::vector<std::string_view> complete_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string_view::npos;
       start = end + 1, end = text.find('\n', start))
    lines.push_back(text.substr(start, end - start));
  return lines;
}

}  // namespace

durable_appender::durable_appender(const fs::path& path, bool truncate) : path_(path) {
  file_ = std::fopen(path.c_str(), truncate ? "w" : "a");
  if (file_ == nullptr) fail();
}

durable_appender::~durable_appender() {
  if (file_ != nullptr) std::fclose(file_);
}

void durable_appender::append(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) fail();
}

void durable_appender::sync() {
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) fail();
}

void durable_appender::fail() const {
  throw output_error(fmt::format("cannot write '{}': {}", path_.string(), std::strerror(errno)));
}

std::string shard::text() const {
  return fmt::format("{}/{}", index, count);
}

shard parse_shard(std::string_view text, std::string_view origin) {
  const auto slash = text.find('/');
  const auto index = parse_index(text.substr(0, slash));
  const auto count =
      slash == std::string_view::npos ? std::nullopt : parse_index(text.substr(slash + 1));
  if (!index || !count || *count == 0 || *index >= *count)
    throw input_error(source_mark::named(std::string(origin)), "",
                      fmt::format("expected I/N with 0 <= I < N (shard I of N, counted from 0), "
                                  "got '{}'",
                                  text));
  return shard{*index, *count};
}

shard choose_shard(const std::optional<std::string>& flag, std::string& source) {
  if (flag) {
    source = "--shard";
    return parse_shard(*flag, "--shard");
  }
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (id == nullptr || count == nullptr) {
    source = "";
    return shard{};
  }
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  const auto task = parse_index(id);
  const auto first = min == nullptr ? std::optional<std::size_t>(0) : parse_index(min);
  const auto tasks = parse_index(count);
  if (!task || !first || !tasks || *task < *first)
    throw input_error(source_mark::named("SLURM_ARRAY_TASK_ID"), "",
                      fmt::format("cannot read a shard from SLURM_ARRAY_TASK_ID={} "
                                  "SLURM_ARRAY_TASK_MIN={} SLURM_ARRAY_TASK_COUNT={}; pass "
                                  "--shard I/N",
                                  id, min == nullptr ? "(unset)" : min, count));
  source = "SLURM_ARRAY_TASK_ID";
  // A strided array (--array=0-9:2) would leave gaps; the index is checked against the count.
  return parse_shard(fmt::format("{}/{}", *task - *first, *tasks), "SLURM_ARRAY_TASK_ID");
}

json sweep_identity::to_json() const {
  return json{{"format", 1},
              {"command", command},
              {"name", name},
              {"fingerprint", fingerprint},
              {"points", points},
              {"replications", replications},
              {"parameters", parameters},
              {"metrics", metrics},
              {"shard", {{"index", slice.index}, {"count", slice.count}}},
              {"manifest", manifest}};
}

sweep_identity sweep_identity::from_json(const json& doc, const fs::path& file) {
  try {
    sweep_identity id;
    id.command = doc.at("command").get<std::string>();
    id.name = doc.at("name").get<std::string>();
    id.fingerprint = doc.at("fingerprint").get<std::string>();
    id.points = doc.at("points").get<std::size_t>();
    id.replications = doc.at("replications").get<std::uint32_t>();
    id.parameters = doc.at("parameters").get<std::vector<std::string>>();
    id.metrics = doc.at("metrics").get<std::vector<std::string>>();
    id.slice.index = doc.at("shard").at("index").get<std::size_t>();
    id.slice.count = doc.at("shard").at("count").get<std::size_t>();
    id.manifest = doc.value("manifest", json::object());
    if (id.slice.count == 0 || id.slice.index >= id.slice.count) throw std::out_of_range("shard");
    return id;
  } catch (const json::exception& e) {
    throw input_error(source_mark::named(file.string()), "",
                      fmt::format("not a cesim sweep record: {}", e.what()));
  } catch (const std::out_of_range&) {
    throw input_error(source_mark::named(file.string()), "shard", "shard index out of range");
  }
}

std::string sweep_identity::header() const {
  std::string h = "point,replication";
  for (const auto& p : parameters) h += "," + p;
  for (const auto& m : metrics) h += "," + m;
  return h;
}

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

sweep_journal::sweep_journal(const fs::path& dir, const sweep_identity& identity, bool force,
                             std::span<const fs::path> inputs)
    : dir_(dir), header_(identity.header()) {
  folder_start start(dir, force, inputs);
  try {
    lock_.emplace(dir);
    // The identity first: a folder without it is not resumable and says so.
    write_identity(dir, identity);
    analysis::write_file_atomically(dir / results_file, header_ + "\n");
    analysis::write_file_atomically(dir / done_file, "");
    open_for_append();
  } catch (const output_error& e) {
    throw output_error(fmt::format("{}; {}", e.what(), start.left_as_it_was()));
  }
  start.done();
}

folder_start::folder_start(const fs::path& dir, bool force, std::span<const fs::path> inputs) {
  analysis::check_output_name(dir);
  fs::path name = dir.lexically_normal();
  if (name.filename().empty()) name = name.parent_path();  // "out/" names "out"
  dir_ = name;
  const fs::path parent = name.has_parent_path() ? name.parent_path() : fs::path(".");
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir, ec))) {
    if (!force && fs::is_directory(dir, ec))
      throw output_error(
          fmt::format("'{}' already exists; add --resume to continue it, or --force to start over",
                      dir.string()));
    analysis::check_replaceable(dir, inputs);
    const analysis::folder_lock in_use(dir);  // a folder another process fills stays put
    aside_ = parent / analysis::temporary_name(name, "old");
    fs::remove_all(aside_, ec);
    fs::rename(name, aside_, ec);
    if (ec) {
      aside_.clear();
      throw output_error(fmt::format("cannot replace '{}': {}", dir.string(), ec.message()));
    }
  }
  const auto fail = [&](const std::string& why) {
    std::error_code ignored;
    if (!aside_.empty()) fs::rename(aside_, name, ignored);
    throw output_error(fmt::format("cannot create '{}': {}", dir.string(), why));
  };
  if (fs::exists(parent, ec) && !fs::is_directory(parent, ec))
    fail(fmt::format("{} is a file, not a folder", parent.string()));
  fs::create_directories(parent, ec);
  if (ec) fail(ec.message());
  analysis::remove_stale_temporaries(parent);
  // create_directory claims the name: of two processes starting the same folder, one fails here.
  if (!fs::create_directory(name, ec))
    fail(ec ? ec.message() : std::string("another process created it meanwhile"));
}

folder_start::~folder_start() {
  if (done_) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (!aside_.empty()) fs::rename(aside_, dir_, ec);
}

std::string folder_start::left_as_it_was() const {
  return aside_.empty() ? fmt::format("'{}' was not created", dir_.string())
                        : fmt::format("'{}' is unchanged", dir_.string());
}

void folder_start::done() {
  done_ = true;
  std::error_code ec;
  if (!aside_.empty()) fs::remove_all(aside_, ec);
}

sweep_identity read_identity(const fs::path& dir) {
  const fs::path id_path = dir / identity_file;
  std::error_code ec;
  if (!fs::exists(id_path, ec))
    throw input_error(source_mark::named(dir.string()), "",
                      fmt::format("no {} here: not the results folder of a cesim sweep, "
                                  "sensitivity analysis or calibration",
                                  identity_file));
  try {
    return sweep_identity::from_json(json::parse(read_text(id_path)), id_path);
  } catch (const json::parse_error& e) {
    throw input_error(source_mark::named(id_path.string()), "",
                      fmt::format("unreadable: {}", e.what()));
  }
}

void check_resumable(const sweep_identity& was, const sweep_identity& now, const fs::path& dir) {
  const auto differs = [&](std::string_view what, const std::string& before,
                           const std::string& after) {
    throw input_error(source_mark::named(dir.string()), "",
                      fmt::format("cannot resume: this folder holds {} {}, the command asks for "
                                  "{}; resume with the same sweep file, inputs and options, or "
                                  "start a new folder",
                                  what, before, after));
  };
  if (was.command != now.command) differs("a", was.command, now.command);
  if (was.fingerprint != now.fingerprint)
    differs("results of other inputs or options: fingerprint", was.fingerprint.substr(0, 12),
            now.fingerprint.substr(0, 12));
  if (was.slice != now.slice) differs("shard", was.slice.text(), now.slice.text());
}

void write_identity(const fs::path& dir, const sweep_identity& identity) {
  analysis::write_file_atomically(dir / identity_file, identity.to_json().dump(2) + "\n");
}

std::vector<std::string> complete_lines_of(const fs::path& file) {
  std::vector<std::string> out;
  const std::string text = read_text(file);
  for (auto line : complete_lines(text)) out.emplace_back(line);
  return out;
}

sweep_journal::contents sweep_journal::read(const fs::path& dir) {
  contents out;
  out.identity = read_identity(dir);
  std::map<std::size_t, bool> done;
  // The texts outlive the line views into them.
  const std::string done_text = read_text(dir / done_file);
  const std::string results_text = read_text(dir / results_file);
  for (auto line : complete_lines(done_text))
    if (auto p = parse_index(line); p && *p < out.identity.points) done[*p] = true;
  const std::size_t columns = 2 + out.identity.parameters.size() + out.identity.metrics.size();
  const auto lines = complete_lines(results_text);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto comma = lines[i].find(',');
    const auto point = parse_index(lines[i].substr(0, comma));
    // Rows of a point not recorded as done belong to a run cut short: they are dropped.
    if (!point || done.count(*point) == 0) continue;
    if (split_csv_line(lines[i]).size() != columns)
      throw input_error(source_mark::named((dir / results_file).string()), "",
                        fmt::format("line {} has the wrong number of columns", i + 1));
    out.rows[*point].emplace_back(lines[i]);
  }
  for (const auto& [point, rows] : out.rows)
    if (rows.size() != out.identity.replications)
      throw input_error(
          source_mark::named((dir / results_file).string()), "",
          fmt::format("point {} is recorded as done but has {} rows for {} replications", point,
                      rows.size(), out.identity.replications));
  for (const auto& [point, flag] : done)
    if (out.rows.count(point) == 0)
      throw input_error(source_mark::named((dir / done_file).string()), "",
                        fmt::format("point {} is recorded as done but results.csv has no rows "
                                    "for it",
                                    point));
  return out;
}

sweep_journal::sweep_journal(const fs::path& dir, const sweep_identity& identity)
    : dir_(dir), header_(identity.header()) {
  lock_.emplace(dir);
  analysis::remove_stale_temporaries(dir);
  // The identity is checked before the rows are read: another run's rows may not even parse.
  check_resumable(read_identity(dir), identity, dir);
  auto found = read(dir);
  rows_ = std::move(found.rows);
  // Drop the rows of an unfinished point and any cut-off line, atomically, before appending.
  std::string kept = header_ + "\n";
  std::string done;
  for (const auto& [point, rows] : rows_) {
    for (const auto& r : rows) kept += r + "\n";
    done += fmt::format("{}\n", point);
  }
  analysis::write_file_atomically(dir / results_file, kept);
  analysis::write_file_atomically(dir / done_file, done);
  open_for_append();
}

sweep_journal::~sweep_journal() = default;

void sweep_journal::open_for_append() {
  results_.emplace(dir_ / results_file);
  done_.emplace(dir_ / done_file);
}

void sweep_journal::record(std::size_t point, std::vector<std::string> rows) {
  std::string text;
  for (const auto& r : rows) text += r + "\n";
  results_->append(text);
  results_->sync();
  done_->append(fmt::format("{}\n", point));
  done_->sync();
  rows_[point] = std::move(rows);
}

void sweep_journal::close() {
  std::string text = header_ + "\n";
  for (const auto& [point, rows] : rows_)
    for (const auto& r : rows) text += r + "\n";
  analysis::write_file_atomically(dir_ / results_file, text);
}

}  // namespace cesim::cli
