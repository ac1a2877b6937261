#include "cesim/analysis/calibration.hpp"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "cesim/analysis/sobol_sequence.hpp"
#include "cesim/error.hpp"
// The engine's internal suggestion helper: unknown names read as they do in a scenario.
#include "reader.hpp"

namespace cesim::analysis {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr std::string_view total_segment = "total";

// ---- CSV ------------------------------------------------------------------------------------

struct csv_cell {
  std::string text;
  int column = 0;  ///< 1-based CSV column number
};

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Splits one line into cells. A cell in double quotes may hold commas, and "" stands for one
/// quote; spaces around a cell are not part of it. On malformed quoting returns the column and
/// what is wrong.
struct csv_problem {
  int column = 0;
  std::string message;
};
std::optional<csv_problem> split_csv_line(std::string_view line, std::vector<csv_cell>& cells) {
  cells.clear();
  std::size_t pos = 0;
  int column = 1;
  for (;;) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    csv_cell cell{{}, column};
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < line.size()) {
        if (line[pos] == '"') {
          if (pos + 1 < line.size() && line[pos + 1] == '"') {
            cell.text += '"';
            pos += 2;
            continue;
          }
          ++pos;
          closed = true;
          break;
        }
        cell.text += line[pos++];
      }
      if (!closed) return csv_problem{column, "the quote is not closed on this line"};
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
      if (pos < line.size() && line[pos] != ',')
        return csv_problem{column, "text after the closing quote"};
    } else {
      const std::size_t end = std::min(line.find(',', pos), line.size());
      cell.text = std::string(trim(line.substr(pos, end - pos)));
      pos = end;
    }
    cells.push_back(std::move(cell));
    if (pos >= line.size()) return std::nullopt;
    ++pos;  // the comma
    ++column;
  }
}

bool skipped_line(std::string_view line) {
  const auto t = trim(line);
  return t.empty() || t.front() == '#';
}

std::optional<std::uint64_t> parse_whole(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

/// Locale-independent; a leading '+' is allowed, as spreadsheets write it.
std::optional<double> parse_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

const series_metric* find_metric(std::string_view name) {
  for (const auto& m : series_metrics())
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& m : series_metrics()) names.emplace_back(m.name);
  return names;
}

// Column roles of an observation file.
enum column_role : std::size_t { role_step, role_date, role_metric, role_value, role_segment };
const std::vector<std::string>& role_names() {
  static const std::vector<std::string> names{"step", "date", "metric", "value", "segment"};
  return names;
}
constexpr std::size_t role_count = 5;

}  // namespace

// ---- Observed data --------------------------------------------------------------------------

std::uint32_t observed_data::last_step() const {
  std::uint32_t last = 0;
  for (const auto& r : rows) last = std::max(last, r.step);
  return last;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto year = parse_whole(text.substr(0, 4));
  const auto month = parse_whole(text.substr(5, 2));
  const auto day = parse_whole(text.substr(8, 2));
  if (!year || !month || !day || *month < 1 || *month > 12 || *day < 1) return std::nullopt;
  const auto y = static_cast<std::int64_t>(*year);
  const auto m = static_cast<unsigned>(*month);
  const auto d = static_cast<unsigned>(*day);
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  static constexpr unsigned month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > month_days[m - 1] + (m == 2 && leap ? 1U : 0U)) return std::nullopt;
  // Days from civil (H. Hinnant's algorithm): years start in March, so leap days come last.
  const std::int64_t ya = m <= 2 ? y - 1 : y;
  const std::int64_t era = (ya >= 0 ? ya : ya - 399) / 400;
  const std::int64_t year_of_era = ya - era * 400;
  const std::int64_t month_index = m > 2 ? m - 3 : m + 9;
  const std::int64_t day_of_year = (153 * month_index + 2) / 5 + d - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

observed_data load_observations(const std::string& csv_path, const observation_options& options) {
  if (!(options.days_per_step > 0) || !std::isfinite(options.days_per_step))
    throw std::invalid_argument(fmt::format(
        "load_observations: days_per_step must be positive, not {}", options.days_per_step));
  std::optional<std::int64_t> start_day;
  if (options.start_date) {
    start_day = parse_date(*options.start_date);
    if (!start_day)
      throw std::invalid_argument(fmt::format(
          "load_observations: start date '{}' is not a date YYYY-MM-DD", *options.start_date));
  }

  const auto file = std::make_shared<const std::string>(csv_path);
  const auto mark = [&](int line, int column) { return source_mark{file, line, column}; };
  std::ifstream in(csv_path, std::ios::binary);
  if (!in)
    throw input_error(mark(0, 0), "",
                      fmt::format("cannot open observations: {}", std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  observed_data data;
  data.file = csv_path;
  diagnostics diag;
  std::vector<csv_cell> cells;

  // Column of each role in the header (index into the cells), if present.
  std::array<std::optional<std::size_t>, role_count> column_of{};
  std::size_t header_cells = 0;
  int header_line = 0;
  bool columns_usable = false;
  // (step, metric, segment) -> line first seen
  std::map<std::tuple<std::uint32_t, std::string, std::string>, int> seen;

  std::size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (skipped_line(line)) continue;

    if (const auto problem = split_csv_line(line, cells)) {
      diag.error(mark(line_number, problem->column), "", problem->message);
      if (header_line == 0) header_line = -1;  // no usable header
      continue;
    }

    if (header_line == 0) {
      header_line = line_number;
      header_cells = cells.size();
      bool header_ok = true;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        const std::string name = lower(cells[i].text);
        const auto& roles = role_names();
        const auto it = std::find(roles.begin(), roles.end(), name);
        if (it == roles.end()) {
          diag.error(mark(line_number, cells[i].column), cells[i].text,
                     cells[i].text.empty()
                         ? std::string("a column without a name")
                         : "unexpected column" + io::detail::suggestion(name, roles));
          header_ok = false;
          continue;
        }
        const auto role = static_cast<std::size_t>(it - roles.begin());
        if (column_of[role]) {
          diag.error(mark(line_number, cells[i].column), cells[i].text,
                     fmt::format("the column appears twice (also column {})",
                                 cells[*column_of[role]].column));
          header_ok = false;
          continue;
        }
        column_of[role] = i;
      }
      const auto at_header = [&](std::size_t role) {
        return column_of[role] ? mark(line_number, cells[*column_of[role]].column)
                               : mark(line_number, 0);
      };
      if (column_of[role_step] && column_of[role_date]) {
        diag.error(at_header(role_date), "date", "give either a step or a date column, not both");
        header_ok = false;
      } else if (!column_of[role_step] && !column_of[role_date]) {
        diag.error(mark(line_number, 0), "", "a step or a date column is required");
        header_ok = false;
      }
      for (const auto role : {role_metric, role_value})
        if (!column_of[role]) {
          diag.error(mark(line_number, 0), "",
                     fmt::format("a {} column is required", role_names()[role]));
          header_ok = false;
        }
      if (column_of[role_date] && !column_of[role_step] && !start_day) {
        diag.error(at_header(role_date), "date",
                   "dates need a start date (the date of step 0) to become steps");
        header_ok = false;
      }
      columns_usable = header_ok;
      if (header_ok) {
        const std::size_t step_role = column_of[role_step] ? role_step : role_date;
        data.step_key = role_names()[step_role];
        data.step_column = cells[*column_of[step_role]].column;
        if (column_of[role_segment]) data.segment_column = cells[*column_of[role_segment]].column;
      }
      continue;
    }
    if (!columns_usable) continue;  // the header's problems are reported; rows would only echo

    if (cells.size() != header_cells) {
      diag.error(
          mark(line_number, static_cast<int>(std::min(cells.size(), header_cells) + 1)), "",
          fmt::format("the row has {} cells but the header has {}", cells.size(), header_cells));
      continue;
    }
    const auto cell = [&](std::size_t role) -> const csv_cell& { return cells[*column_of[role]]; };
    const auto error = [&](std::size_t role, std::string message) {
      diag.error(mark(line_number, cell(role).column), role_names()[role], std::move(message));
    };
    bool ok = true;

    observation obs;
    obs.line = line_number;
    if (column_of[role_step]) {
      const auto step = parse_whole(cell(role_step).text);
      if (!step || *step > std::numeric_limits<std::uint32_t>::max()) {
        error(role_step, fmt::format("'{}' is not a whole number >= 0", cell(role_step).text));
        ok = false;
      } else {
        obs.step = static_cast<std::uint32_t>(*step);
      }
    } else {
      const auto day = parse_date(cell(role_date).text);
      if (!day) {
        error(role_date, fmt::format("'{}' is not a date YYYY-MM-DD", cell(role_date).text));
        ok = false;
      } else if (*day < *start_day) {
        error(role_date, fmt::format("{} is before the start date {} (step 0)",
                                     cell(role_date).text, *options.start_date));
        ok = false;
      } else {
        // Dates between step boundaries go to the nearest step: data are rarely collected
        // exactly on the simulated calendar.
        const double step =
            std::round(static_cast<double>(*day - *start_day) / options.days_per_step);
        if (step > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
          error(role_date, fmt::format("{} is too far after the start date", cell(role_date).text));
          ok = false;
        } else {
          obs.step = static_cast<std::uint32_t>(step);
        }
      }
    }

    obs.metric = cell(role_metric).text;
    if (!find_metric(obs.metric)) {
      error(role_metric, fmt::format("unknown metric '{}'{}", obs.metric,
                                     io::detail::suggestion(obs.metric, metric_names())));
      ok = false;
    }

    const auto value = parse_number(cell(role_value).text);
    if (!value) {
      error(role_value, cell(role_value).text.empty()
                            ? std::string("the value is empty")
                            : fmt::format("'{}' is not a number", cell(role_value).text));
      ok = false;
    } else if (!std::isfinite(*value)) {
      error(role_value, fmt::format("the value must be finite, not '{}'", cell(role_value).text));
      ok = false;
    } else {
      obs.value = *value;
    }

    obs.segment = column_of[role_segment] && !cell(role_segment).text.empty()
                      ? cell(role_segment).text
                      : std::string(total_segment);

    if (!ok) continue;
    const auto [it, inserted] = seen.try_emplace({obs.step, obs.metric, obs.segment}, line_number);
    if (!inserted) {
      const std::size_t step_role = column_of[role_step] ? role_step : role_date;
      error(step_role, fmt::format("step {}, metric '{}', segment '{}' is already observed on "
                                   "line {}",
                                   obs.step, obs.metric, obs.segment, it->second));
      continue;
    }
    data.rows.push_back(std::move(obs));
  }

  if (header_line == 0)
    diag.error(mark(0, 0), "", "no header row (expected step or date, metric, value, segment)");
  else if (columns_usable && data.rows.empty() && diag.empty())
    diag.error(mark(header_line, 0), "", "no observations after the header");
  diag.throw_if_any();
  return data;
}

void check_segments(const observed_data& data, const std::vector<std::string>& segment_names) {
  const auto file = std::make_shared<const std::string>(data.file);
  std::vector<std::string> known = segment_names;
  known.emplace_back(total_segment);
  diagnostics diag;
  for (const auto& r : data.rows) {
    if (r.segment == total_segment) continue;
    if (std::find(segment_names.begin(), segment_names.end(), r.segment) != segment_names.end())
      continue;
    diag.error(source_mark{file, r.line, data.segment_column}, "segment",
               fmt::format("the scenario has no segment '{}'{}", r.segment,
                           io::detail::suggestion(r.segment, known)));
  }
  diag.throw_if_any();
}

void check_steps(const observed_data& data, std::uint32_t horizon) {
  const auto file = std::make_shared<const std::string>(data.file);
  diagnostics diag;
  for (const auto& r : data.rows)
    if (r.step > horizon)
      diag.error(source_mark{file, r.line, data.step_column}, data.step_key,
                 fmt::format("step {} is beyond the horizon of the simulation ({} steps)", r.step,
                             horizon));
  diag.throw_if_any();
}

// ---- Simulated values and distance ----------------------------------------------------------

double simulated_value(const run_result& run, const observation& obs) {
  const series_metric* metric = find_metric(obs.metric);
  if (!metric)
    throw std::invalid_argument(fmt::format("simulated_value: unknown metric '{}'", obs.metric));
  const std::size_t segments = run.segment_names.size();
  const std::size_t stored_steps = segments == 0 ? 0 : run.series.size() / segments;
  if (obs.step >= stored_steps)
    throw std::out_of_range(
        fmt::format("the observation of line {} is at step {}, but the run ends at step {}",
                    obs.line, obs.step, stored_steps == 0 ? 0 : stored_steps - 1));
  if (obs.segment == total_segment) return metric->value(run.total_at(obs.step));
  const auto it = std::find(run.segment_names.begin(), run.segment_names.end(), obs.segment);
  if (it == run.segment_names.end())
    throw std::invalid_argument(fmt::format(
        "simulated_value: the run has no segment '{}' (line {})", obs.segment, obs.line));
  return metric->value(run.at(obs.step, static_cast<std::size_t>(it - run.segment_names.begin())));
}

double distance(const std::vector<const run_result*>& replications, const observed_data& data) {
  if (replications.empty()) throw std::invalid_argument("distance: no replications");
  if (data.rows.empty()) throw std::invalid_argument("distance: no observations");
  for (const auto* run : replications)
    if (!run) throw std::invalid_argument("distance: a replication is null");

  struct group_sums {
    std::vector<double> observed;
    double squared_error = 0;
  };
  std::map<std::pair<std::string_view, std::string_view>, group_sums> groups;
  for (const auto& obs : data.rows) {
    double sum = 0;
    std::size_t n = 0;
    for (const auto* run : replications) {
      const double v = simulated_value(*run, obs);
      if (std::isnan(v)) continue;
      sum += v;
      ++n;
    }
    if (n == 0) return infinity;  // the model has no value where the data have one
    const double error = sum / static_cast<double>(n) - obs.value;
    auto& g = groups[{obs.metric, obs.segment}];
    g.observed.push_back(obs.value);
    g.squared_error += error * error;
  }

  double sum_normalised = 0;
  for (const auto& [key, g] : groups) {
    const auto n = static_cast<double>(g.observed.size());
    const double mean = std::accumulate(g.observed.begin(), g.observed.end(), 0.0) / n;
    double scale = 0;
    if (g.observed.size() > 1) {
      double ss = 0;
      for (const double y : g.observed) ss += (y - mean) * (y - mean);
      scale = std::sqrt(ss / (n - 1));
    }
    if (!(scale > 0)) {
      double abs_sum = 0;
      for (const double y : g.observed) abs_sum += std::abs(y);
      scale = abs_sum / n;
    }
    if (!(scale > 0)) scale = 1;
    sum_normalised += g.squared_error / n / (scale * scale);
  }
  return std::sqrt(sum_normalised / static_cast<double>(groups.size()));
}

// ---- ABC ------------------------------------------------------------------------------------

namespace {

/// Uniform on [0,1) from the top 53 bits: the same on every standard library, unlike
/// std::uniform_real_distribution.
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Standard normal by Box-Muller, written out because std::normal_distribution differs between
/// standard libraries.
class normal_source {
 public:
  explicit normal_source(std::mt19937_64& rng) : rng_(rng) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform01(rng_);  // (0,1]: the log stays finite
    const double u2 = uniform01(rng_);
    const double r = std::sqrt(-2.0 * std::log(u1));
    constexpr double two_pi = 6.283185307179586476925;
    spare_ = r * std::sin(two_pi * u2);
    has_spare_ = true;
    return r * std::cos(two_pi * u2);
  }

 private:
  std::mt19937_64& rng_;
  bool has_spare_ = false;
  double spare_ = 0;
};

/// Type 7 quantile (linear between order statistics), as R's and NumPy's default.
double quantile7(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  if (values[hi] == values[lo]) return values[lo];  // also keeps inf - inf out
  return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

double effective_sample_size(const std::vector<double>& weights) {
  double sum_sq = 0;
  for (const double w : weights) sum_sq += w * w;
  return 1.0 / sum_sq;
}

/// Lower Cholesky factor of twice the weighted covariance of the particles (Beaumont et al.
/// 2009: this kernel minimises the Kullback-Leibler divergence to the next target when the
/// population is near normal). A collapsed dimension would make it singular, so a small
/// diagonal is added until the factorisation succeeds.
Eigen::MatrixXd kernel_factor(const Eigen::MatrixXd& points, const Eigen::VectorXd& weights) {
  const Eigen::VectorXd mean = points * weights;  // points: d x n
  const Eigen::MatrixXd centred = points.colwise() - mean;
  Eigen::MatrixXd cov = 2.0 * (centred * weights.asDiagonal() * centred.transpose());
  const Eigen::Index d = cov.rows();
  double jitter = 1e-12 * std::max(1.0, cov.trace() / static_cast<double>(d));
  for (int attempt = 0; attempt < 30; ++attempt) {
    Eigen::LLT<Eigen::MatrixXd> llt(cov);
    if (llt.info() == Eigen::Success) return llt.matrixL();
    cov.diagonal().array() += jitter;
    jitter *= 10;
  }
  throw std::runtime_error("abc_smc: the kernel covariance is not positive definite");
}

void check_batch(const std::vector<double>& distances, std::size_t expected) {
  if (distances.size() != expected)
    throw std::invalid_argument(
        fmt::format("abc_smc: a batch of {} points was answered with {} distances", expected,
                    distances.size()));
}

}  // namespace

abc_result abc_smc(std::size_t dimensions, const abc_options& options,
                   const abc_evaluator& evaluate) {
  const std::size_t d = dimensions;
  const std::size_t n = options.particles;
  if (d == 0 || d > sobol_max_dimensions())
    throw std::invalid_argument(
        fmt::format("abc_smc: dimensions must be 1..{}, not {}", sobol_max_dimensions(), d));
  if (n < 2) throw std::invalid_argument("abc_smc: at least 2 particles are needed");
  if (options.initial_draws < n)
    throw std::invalid_argument(
        fmt::format("abc_smc: initial_draws ({}) must be at least the number of particles ({})",
                    options.initial_draws, n));
  if (!(options.quantile > 0 && options.quantile < 1))
    throw std::invalid_argument(
        fmt::format("abc_smc: quantile must lie in (0,1), not {}", options.quantile));
  if (!evaluate) throw std::invalid_argument("abc_smc: no evaluator");
  const std::size_t budget = options.round_budget > 0 ? options.round_budget : 20 * n;
  const std::size_t min_batch = std::max<std::size_t>(1, options.min_batch);

  abc_result result;
  result.dimensions = d;
  result.best.assign(d, 0.5);
  result.best_distance = infinity;
  const auto note_best = [&](const double* point, double dist) {
    if (dist < result.best_distance) {
      result.best_distance = dist;
      result.best.assign(point, point + d);
    }
  };
  const auto finite_or_inf = [](double x) { return std::isnan(x) ? infinity : x; };

  // Round 0: the prior, explored evenly by Sobol' points.
  {
    const std::vector<double> draws = sobol_points(options.initial_draws, d, 1);
    std::vector<double> dist = evaluate(draws);
    check_batch(dist, options.initial_draws);
    for (auto& x : dist) x = finite_or_inf(x);
    result.simulations += options.initial_draws;
    for (std::size_t i = 0; i < options.initial_draws; ++i) note_best(&draws[i * d], dist[i]);
    std::vector<std::size_t> order(options.initial_draws);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return dist[a] < dist[b]; });
    if (!std::isfinite(dist[order[n - 1]])) {
      const auto finite = static_cast<std::size_t>(
          std::count_if(dist.begin(), dist.end(), [](double x) { return std::isfinite(x); }));
      throw std::runtime_error(fmt::format(
          "abc_smc: only {} of {} prior draws gave a finite distance, fewer than the {} "
          "particles",
          finite, options.initial_draws, n));
    }
    result.particles.resize(n * d);
    result.distances.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::copy_n(&draws[order[i] * d], d, &result.particles[i * d]);
      result.distances[i] = dist[order[i]];
    }
    result.weights.assign(n, 1.0 / static_cast<double>(n));
    result.tolerance = result.distances[n - 1];
    result.rounds.push_back(
        abc_round{result.tolerance, options.initial_draws,
                  static_cast<double>(n) / static_cast<double>(options.initial_draws), n, 0,
                  static_cast<double>(n), true});
  }

  std::mt19937_64 rng(options.seed);
  normal_source normal(rng);
  const auto rows = static_cast<Eigen::Index>(d);
  const auto cols = static_cast<Eigen::Index>(n);
  for (std::size_t t = 1; t <= options.rounds; ++t) {
    abc_round round;
    round.tolerance = quantile7(result.distances, options.quantile);

    const Eigen::Map<const Eigen::MatrixXd> old_points(result.particles.data(), rows, cols);
    const Eigen::Map<const Eigen::VectorXd> old_weights(result.weights.data(), cols);
    const Eigen::MatrixXd factor = kernel_factor(old_points, old_weights);
    const auto lower = factor.triangularView<Eigen::Lower>();
    // Old particles in whitened coordinates, where the kernel is a standard normal: the
    // Mahalanobis distance of the weights is then a plain squared distance.
    const Eigen::MatrixXd old_white = lower.solve(old_points);

    std::vector<double> cumulative(n);
    std::partial_sum(result.weights.begin(), result.weights.end(), cumulative.begin());

    std::vector<double> accepted_points;
    std::vector<double> accepted_distances;
    accepted_points.reserve(n * d);
    accepted_distances.reserve(n);
    const std::size_t outside_limit = 1000 * budget;
    Eigen::VectorXd z(rows);
    std::vector<double> batch;
    std::size_t within = 0;  // proposals within the tolerance, also beyond the n kept
    while (accepted_distances.size() < n && round.simulations < budget &&
           round.outside < outside_limit) {
      const std::size_t needed = n - accepted_distances.size();
      std::size_t size = n;
      if (round.simulations > 0) {
        // Aim at the remaining acceptances, with a margin, at the rate seen so far.
        const double rate = std::max(
            static_cast<double>(accepted_distances.size()) / static_cast<double>(round.simulations),
            1.0 / static_cast<double>(budget));
        size = static_cast<std::size_t>(std::ceil(1.2 * static_cast<double>(needed) / rate));
        size = std::clamp(size, std::min(min_batch, n), n);
      }
      size = std::min(size, budget - round.simulations);

      // Each draw picks its parent afresh, so rejecting draws outside the cube samples the
      // kernel mixture restricted to the cube with one normalising constant for all parents:
      // the importance weights below need no per-parent correction.
      batch.clear();
      while (batch.size() < size * d && round.outside < outside_limit) {
        const double pick = uniform01(rng) * cumulative.back();
        const auto parent = static_cast<std::size_t>(std::min<std::ptrdiff_t>(
            std::upper_bound(cumulative.begin(), cumulative.end(), pick) - cumulative.begin(),
            static_cast<std::ptrdiff_t>(n - 1)));
        for (Eigen::Index i = 0; i < rows; ++i) z[i] = normal();
        const Eigen::VectorXd proposal =
            old_points.col(static_cast<Eigen::Index>(parent)) + lower * z;
        // Open cube: inverse CDFs of unbounded priors are infinite at 0 and 1.
        if ((proposal.array() <= 0.0).any() || (proposal.array() >= 1.0).any()) {
          ++round.outside;
          continue;
        }
        batch.insert(batch.end(), proposal.data(), proposal.data() + d);
      }
      const std::size_t k = batch.size() / d;
      if (k == 0) break;
      std::vector<double> dist = evaluate(batch);
      check_batch(dist, k);
      round.simulations += k;
      for (std::size_t i = 0; i < k; ++i) {
        const double x = finite_or_inf(dist[i]);
        note_best(&batch[i * d], x);
        if (x > round.tolerance) continue;
        ++within;
        if (accepted_distances.size() < n) {
          const auto* point = batch.data() + i * d;
          accepted_points.insert(accepted_points.end(), point, point + d);
          accepted_distances.push_back(x);
        }
      }
    }
    result.simulations += round.simulations;
    round.accepted = accepted_distances.size();
    round.acceptance_rate = round.simulations == 0 ? 0.0
                                                   : static_cast<double>(within) /
                                                         static_cast<double>(round.simulations);
    if (round.accepted < n) {
      round.completed = false;
      round.effective_sample_size = 0;
      result.rounds.push_back(round);
      break;
    }

    // Importance weights: prior (constant) over the mixture the proposals came from. Sums of
    // exponentials are taken in log space, as far-apart particles underflow.
    const Eigen::Map<const Eigen::MatrixXd> new_points(accepted_points.data(), rows, cols);
    const Eigen::MatrixXd new_white = lower.solve(new_points);
    std::vector<double> old_log_weights(n);
    for (std::size_t j = 0; j < n; ++j) old_log_weights[j] = std::log(result.weights[j]);
    std::vector<double> log_weights(n);
    std::vector<double> terms(n);
    for (std::size_t i = 0; i < n; ++i) {
      double top = -infinity;
      for (std::size_t j = 0; j < n; ++j) {
        const double sq = (new_white.col(static_cast<Eigen::Index>(i)) -
                           old_white.col(static_cast<Eigen::Index>(j)))
                              .squaredNorm();
        terms[j] = old_log_weights[j] - 0.5 * sq;
        top = std::max(top, terms[j]);
      }
      double sum = 0;
      for (const double x : terms) sum += std::exp(x - top);
      log_weights[i] = -(top + std::log(sum));
    }
    const double top = *std::max_element(log_weights.begin(), log_weights.end());
    std::vector<double> weights(n);
    for (std::size_t i = 0; i < n; ++i) weights[i] = std::exp(log_weights[i] - top);
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (auto& w : weights) w /= total;

    result.particles = std::move(accepted_points);
    result.distances = std::move(accepted_distances);
    result.weights = std::move(weights);
    result.tolerance = round.tolerance;
    round.effective_sample_size = effective_sample_size(result.weights);
    result.rounds.push_back(round);
  }
  return result;
}

// ---- Posterior summaries --------------------------------------------------------------------

posterior_summary summarize_weighted(std::span<const double> values,
                                     std::span<const double> weights) {
  if (values.size() != weights.size())
    throw std::invalid_argument(
        fmt::format("summarize_weighted: {} values but {} weights", values.size(), weights.size()));
  if (values.empty()) throw std::invalid_argument("summarize_weighted: no values");
  double total = 0;
  for (const double w : weights) {
    if (!(w >= 0) || !std::isfinite(w))
      throw std::invalid_argument("summarize_weighted: weights must be finite and >= 0");
    total += w;
  }
  if (!(total > 0)) throw std::invalid_argument("summarize_weighted: all weights are 0");

  std::vector<std::pair<double, double>> sorted;  // (value, normalised weight), weight > 0
  sorted.reserve(values.size());
  double mean = 0;
  double sum_sq_weights = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double w = weights[i] / total;
    if (w == 0) continue;
    sorted.emplace_back(values[i], w);
    mean += w * values[i];
    sum_sq_weights += w * w;
  }
  double variance = 0;
  for (const auto& [x, w] : sorted) variance += w * (x - mean) * (x - mean);
  const double reliability = 1 - sum_sq_weights;

  std::sort(sorted.begin(), sorted.end());
  // Each value sits at the middle of its share of cumulative weight.
  std::vector<double> position(sorted.size());
  double cumulative = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    position[i] = cumulative + sorted[i].second / 2;
    cumulative += sorted[i].second;
  }
  const auto quantile = [&](double q) {
    if (q <= position.front()) return sorted.front().first;
    if (q >= position.back()) return sorted.back().first;
    const auto hi = static_cast<std::size_t>(std::upper_bound(position.begin(), position.end(), q) -
                                             position.begin());
    const std::size_t lo = hi - 1;
    const double f = (q - position[lo]) / (position[hi] - position[lo]);
    return sorted[lo].first + f * (sorted[hi].first - sorted[lo].first);
  };

  posterior_summary s;
  s.mean = mean;
  s.sd = reliability > 0 ? std::sqrt(std::max(0.0, variance / reliability)) : 0.0;
  s.q025 = quantile(0.025);
  s.median = quantile(0.5);
  s.q975 = quantile(0.975);
  return s;
}

std::vector<posterior_summary> summarize_posterior(const abc_result& result,
                                                   const unit_mapping& to_parameter) {
  std::vector<posterior_summary> out;
  out.reserve(result.dimensions);
  std::vector<double> values(result.size());
  for (std::size_t k = 0; k < result.dimensions; ++k) {
    for (std::size_t i = 0; i < result.size(); ++i) {
      const double u = result.at(i, k);
      values[i] = to_parameter ? to_parameter(k, u) : u;
    }
    out.push_back(summarize_weighted(values, result.weights));
  }
  return out;
}

}  // namespace cesim::analysis
