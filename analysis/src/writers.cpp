#include "cesim/analysis/writers.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>

#include "cesim/config/parameters.hpp"
#include "cesim/version.hpp"

namespace cesim::analysis {

std::string csv_number(double v) {
  if (std::isnan(v)) return {};
  return format_number(v);
}

nlohmann::json json_number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

nlohmann::json estimate_json(const estimate& e) {
  return nlohmann::json{{"mean", json_number(e.mean)},
                        {"sd", json_number(e.sd)},
                        {"ci_low", json_number(e.ci_low)},
                        {"ci_high", json_number(e.ci_high)},
                        {"n", e.n}};
}

std::string current_utc_time() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf.data();
}

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "unknown";
  return buf.data();
}

namespace {

struct column {
  std::string title;
  std::string_view metric;
  int decimals;
  double scale;  ///< 100 for shares shown in percent
};

std::string cell(const estimate& e, const column& c, bool intervals) {
  if (std::isnan(e.mean)) return "-";
  std::string text = fmt::format("{:.{}f}", e.mean * c.scale, c.decimals);
  if (intervals && !std::isnan(e.ci_high))
    text += fmt::format(" ±{:.{}f}", (e.ci_high - e.mean) * c.scale, c.decimals);
  return text;
}

}  // namespace

namespace {

/// Share of the population each origin reached by the horizon, per replication.
std::vector<std::vector<double>> reach_shares(const replicated_result& r) {
  std::vector<std::vector<double>> shares;
  if (r.runs.empty()) return shares;
  const std::size_t origins = r.runs.front().origin_names.size();
  shares.assign(origins, {});
  for (const auto& run : r.runs) {
    const double population = run.summary.empty() ? 0 : run.summary.back().population;
    for (std::size_t o = 0; o < origins; ++o) {
      std::uint64_t reached = 0;
      for (std::uint32_t t = 0; t < run.steps; ++t) reached += run.origin_series[t * origins + o];
      shares[o].push_back(population > 0 ? static_cast<double>(reached) / population
                                         : not_available);
    }
  }
  return shares;
}

}  // namespace

namespace {

/// One outcome of campaign c in every replication.
std::vector<double> across_runs(const replicated_result& r, std::size_t c,
                                double campaign_outcome::*field) {
  std::vector<double> values;
  for (const auto& run : r.runs) values.push_back(campaign_outcome_of(run, c).*field);
  return values;
}

}  // namespace

std::string summary_table(const scenario& s, const replicated_result& r) {
  const std::array<column, 7> columns{{{"customers", "customers_end", 0, 1},
                                       {"retention %", "retention", 1, 100},
                                       {"satisfaction", "satisfaction", 3, 1},
                                       {"trust", "trust", 3, 1},
                                       {"loyalty", "loyalty", 3, 1},
                                       {"NPS", "nps", 1, 1},
                                       {"revenue", "revenue", 0, 1}}};
  const bool intervals = r.runs.size() > 1;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"segment"};
  for (const auto& c : columns) header.push_back(c.title);
  rows.push_back(header);
  for (const auto& seg : r.summary) {
    std::vector<std::string> row{seg.segment};
    for (const auto& c : columns)
      row.push_back(cell(seg.metrics[summary_metric_index(c.metric)], c, intervals));
    rows.push_back(row);
  }
  return fmt::format("{}: {} customers, {} steps of a {}, {} replication{}{}\n", s.name,
                     s.population, s.time.horizon, to_string(s.time.unit), r.runs.size(),
                     r.runs.size() == 1 ? "" : "s",
                     intervals ? " (mean ±95% interval half-width)" : "") +
         aligned_table(rows, rows.size() - 1);
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows,
                          std::size_t rule_before) {
  auto width_of = [](const std::string& text) {
    // Count code points, not bytes, so "±" and "Δ" align.
    std::size_t len = 0;
    for (const char ch : text) len += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    return len;
  };
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t j = 0; j < row.size(); ++j) widths[j] = std::max(widths[j], width_of(row[j]));
  }
  std::size_t line_width = 0;
  for (auto w : widths) line_width += w + 2;
  const std::string rule(line_width > 2 ? line_width - 2 : 0, '-');
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == rule_before && i > 1) out += rule + "\n";
    std::string line;
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      const std::string fill(widths[j] - width_of(rows[i][j]), ' ');
      line += (j ? "  " : "") + (j == 0 ? rows[i][j] + fill : fill + rows[i][j]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (i == 0) out += rule + "\n";
  }
  return out;
}

nlohmann::json summary_json(const scenario& s, const replicated_result& r) {
  using nlohmann::json;
  json doc;
  doc["scenario"] = s.name;
  doc["seed"] = s.seed;
  doc["replications"] = r.runs.size();
  doc["population"] = s.population;
  doc["horizon"] = s.time.horizon;
  doc["step"] = to_string(s.time.unit);
  json descriptions = json::object();
  for (const auto& m : summary_metrics()) descriptions[std::string(m.name)] = m.description;
  doc["metric_descriptions"] = descriptions;
  json segments = json::array();
  for (const auto& seg : r.summary) {
    json metrics = json::object();
    const auto list = summary_metrics();
    for (std::size_t i = 0; i < list.size(); ++i)
      metrics[std::string(list[i].name)] = estimate_json(seg.metrics[i]);
    segments.push_back(json{{"segment", seg.segment}, {"metrics", metrics}});
  }
  doc["segments"] = segments;

  // Touchpoints: totals over the horizon, as estimates across replications.
  json touchpoints = json::array();
  if (!r.runs.empty()) {
    const auto& first = r.runs.front();
    const std::size_t count = first.touchpoint_names.size();
    for (std::size_t k = 0; k < count; ++k) {
      json metrics = json::object();
      for (const auto& m : touchpoint_metrics()) {
        std::vector<double> values;
        for (const auto& run : r.runs) {
          touchpoint_tally total;
          for (std::uint32_t t = 0; t < run.steps; ++t)
            total.add(run.touchpoint_series[t * count + k]);
          values.push_back(m.value(total));
        }
        metrics[std::string(m.name)] = estimate_json(summarize(values));
      }
      const auto& tp = s.touchpoints[k];
      touchpoints.push_back(json{{"touchpoint", tp.name},
                                 {"kind", to_string(tp.kind)},
                                 {"phase", to_string(tp.phase)},
                                 {"channel", s.channels[tp.channel]},
                                 {"metrics", metrics}});
    }
  }
  doc["touchpoints"] = touchpoints;

  // Word of mouth: reach by origin and how far stories travelled (hops).
  json origins = json::array();
  if (!r.runs.empty()) {
    const auto shares = reach_shares(r);
    const auto& first = r.runs.front();
    const std::size_t count = first.origin_names.size();
    const std::size_t slots = count == 0 ? 0 : first.hop_histogram.size() / count;
    for (std::size_t o = 0; o < count; ++o) {
      json hops = json::array();
      for (std::size_t h = 1; h < slots; ++h) {
        double sum = 0;
        for (const auto& run : r.runs) sum += static_cast<double>(run.hop_histogram[o * slots + h]);
        hops.push_back(sum / static_cast<double>(r.runs.size()));
      }
      origins.push_back(json{{"origin", first.origin_names[o]},
                             {"reach_share", estimate_json(summarize(shares[o]))},
                             {"first_reached_by_hop", hops}});
    }
  }
  json campaigns = json::array();
  for (std::size_t c = 0; c < s.campaigns.size() && !r.runs.empty(); ++c) {
    std::vector<double> overruled, winner;
    for (const auto& run : r.runs) {
      overruled.push_back(run.jury_overruled[c] ? 1.0 : 0.0);
      winner.push_back(run.vote_winner[c] < 0 ? not_available
                                              : static_cast<double>(run.vote_winner[c]));
    }
    auto estimate_of = [&](double campaign_outcome::*field) {
      return estimate_json(summarize(across_runs(r, c, field)));
    };
    json entry{{"campaign", s.campaigns[c].name},
               {"type", to_string(s.campaigns[c].type)},
               {"invitations", estimate_of(&campaign_outcome::invited)},
               {"participations", estimate_of(&campaign_outcome::participations)},
               {"unique_participants", estimate_of(&campaign_outcome::unique_participants)},
               {"reach_share", estimate_of(&campaign_outcome::reach_share)},
               {"amplification", estimate_of(&campaign_outcome::amplification)},
               {"cost", estimate_of(&campaign_outcome::cost)},
               {"referral_conversions", estimate_of(&campaign_outcome::referral_conversions)}};
    if (s.campaigns[c].type == campaign_type::vote) entry["winning_option_by_replication"] = winner;
    if (s.campaigns[c].type == campaign_type::co_creation_contest)
      entry["jury_overruled_share"] = summarize(overruled).mean;
    campaigns.push_back(entry);
  }
  doc["campaigns"] = campaigns;

  json word_of_mouth;
  word_of_mouth["origins"] = origins;
  word_of_mouth["network_edges"] = r.runs.empty() ? std::uint64_t{0} : r.runs.front().network_edges;
  word_of_mouth["network_mean_degree"] = r.runs.empty() ? 0.0 : r.runs.front().network_mean_degree;
  doc["word_of_mouth"] = word_of_mouth;

  json per_replication = json::array();
  for (const auto& run : r.runs) {
    json segs = json::array();
    for (const auto& seg : run.summary) {
      json metrics = json::object();
      for (const auto& m : summary_metrics())
        metrics[std::string(m.name)] = json_number(seg.*(m.field));
      segs.push_back(json{{"segment", seg.segment}, {"metrics", metrics}});
    }
    per_replication.push_back(json{{"replication", run.replication}, {"segments", segs}});
  }
  doc["per_replication"] = per_replication;
  return doc;
}

std::string timeseries_csv(const replicated_result& r) {
  std::string out = "replication,step,segment";
  for (const auto& m : series_metrics()) out += fmt::format(",{}", m.name);
  out += ",public_rating\n";
  for (const auto& run : r.runs) {
    const std::size_t segs = run.segment_names.size();
    for (std::uint32_t t = 0; t <= run.steps; ++t) {
      const std::string rating = csv_number(run.public_rating[t]);
      auto row = [&](const std::string& name, const segment_tally& tally) {
        out += fmt::format("{},{},{}", run.replication, t, name);
        for (const auto& m : series_metrics()) {
          out += ',';
          out += csv_number(m.value(tally));
        }
        out += ',';
        out += rating;
        out += '\n';
      };
      for (std::size_t s = 0; s < segs; ++s) row(run.segment_names[s], run.at(t, s));
      row("total", run.total_at(t));
    }
  }
  return out;
}

std::string touchpoints_csv(const replicated_result& r) {
  std::string out = "replication,step,touchpoint";
  for (const auto& m : touchpoint_metrics()) out += fmt::format(",{}", m.name);
  out += "\n";
  for (const auto& run : r.runs) {
    const std::size_t count = run.touchpoint_names.size();
    for (std::uint32_t t = 1; t <= run.steps; ++t)
      for (std::size_t k = 0; k < count; ++k) {
        out += fmt::format("{},{},{}", run.replication, t, run.touchpoint_names[k]);
        for (const auto& m : touchpoint_metrics()) {
          out += ',';
          out += csv_number(m.value(run.touchpoint_series[(t - 1) * count + k]));
        }
        out += '\n';
      }
  }
  return out;
}

std::string word_of_mouth_csv(const replicated_result& r) {
  std::string out = "replication,step,origin,newly_reached,reached,reached_share\n";
  for (const auto& run : r.runs) {
    const std::size_t origins = run.origin_names.size();
    const double population = run.summary.empty() ? 0 : run.summary.back().population;
    std::vector<std::uint64_t> cumulative(origins, 0);
    for (std::uint32_t t = 1; t <= run.steps; ++t)
      for (std::size_t o = 0; o < origins; ++o) {
        const auto fresh = run.origin_series[(t - 1) * origins + o];
        cumulative[o] += fresh;
        out += fmt::format(
            "{},{},{},{},{},{}\n", run.replication, t, run.origin_names[o], fresh, cumulative[o],
            csv_number(population > 0 ? static_cast<double>(cumulative[o]) / population
                                      : not_available));
      }
  }
  return out;
}

std::string reach_table(const replicated_result& r) {
  if (r.runs.empty()) return {};
  const auto shares = reach_shares(r);
  const bool intervals = r.runs.size() > 1;
  std::vector<std::size_t> order(shares.size());
  for (std::size_t o = 0; o < order.size(); ++o) order[o] = o;
  std::vector<double> means;
  for (const auto& s : shares) means.push_back(summarize(s).mean);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return means[a] > means[b]; });
  const auto total = r.summary.back().metrics;
  const std::size_t reach_index = summary_metric_index("wom_reach");
  auto percent = [&](const estimate& e) {
    std::string text = std::isnan(e.mean) ? "-" : fmt::format("{:.1f}%", 100 * e.mean);
    if (intervals && !std::isnan(e.ci_high))
      text += fmt::format(" ±{:.1f}", 100 * (e.ci_high - e.mean));
    return text;
  };
  std::string out = fmt::format("word-of-mouth reach: {} of customers heard a story; by origin:",
                                percent(total[reach_index]));
  for (auto o : order) {
    if (means[o] <= 0) continue;
    out += fmt::format(" {} {},", r.runs.front().origin_names[o], percent(summarize(shares[o])));
  }
  if (out.back() == ',') out.pop_back();
  return out + "\n";
}

campaign_outcome campaign_outcome_of(const run_result& run, std::size_t c) {
  campaign_outcome o;
  const std::size_t campaigns = run.campaign_names.size();
  for (std::uint32_t t = 0; t < run.steps; ++t) {
    const auto& ct = run.campaign_series[t * campaigns + c];
    o.invited += static_cast<double>(ct.invited);
    o.participations += static_cast<double>(ct.participants);
    o.cost += ct.cost;
    o.referral_conversions += static_cast<double>(ct.referral_conversions);
  }
  o.unique_participants = static_cast<double>(run.campaign_unique_participants[c]);
  const std::size_t origins = run.origin_names.size();
  const std::size_t origin = origins - campaigns + c;  // campaigns are the last origins
  for (std::uint32_t t = 0; t < run.steps; ++t)
    o.reached += static_cast<double>(run.origin_series[t * origins + origin]);
  const double population = run.summary.empty() ? 0 : run.summary.back().population;
  o.reach_share = population > 0 ? o.reached / population : not_available;
  o.amplification = o.unique_participants > 0 ? o.reached / o.unique_participants : not_available;
  return o;
}

std::string campaigns_csv(const replicated_result& r) {
  std::string out =
      "replication,step,campaign,invited,participants,new_participants,observers,acted_on,ignored,"
      "stories_positive,"
      "stories_negative,referral_conversions,cost\n";
  for (const auto& run : r.runs) {
    const std::size_t count = run.campaign_names.size();
    for (std::uint32_t t = 1; t <= run.steps; ++t)
      for (std::size_t c = 0; c < count; ++c) {
        const auto& ct = run.campaign_series[(t - 1) * count + c];
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", run.replication, t,
                           run.campaign_names[c], ct.invited, ct.participants, ct.new_participants,
                           ct.observers, ct.acted_on, ct.ignored, ct.stories_positive,
                           ct.stories_negative, ct.referral_conversions, csv_number(ct.cost));
      }
  }
  return out;
}

std::string campaign_table(const scenario& s, const replicated_result& r) {
  if (r.runs.empty() || s.campaigns.empty()) return {};
  const bool intervals = r.runs.size() > 1;
  auto cell = [&](std::vector<double> values, int decimals, double scale, const char* suffix) {
    const auto e = summarize(values);
    if (std::isnan(e.mean)) return std::string("-");
    std::string text = fmt::format("{:.{}f}{}", e.mean * scale, decimals, suffix);
    if (intervals && !std::isnan(e.ci_high))
      text += fmt::format(" ±{:.{}f}", (e.ci_high - e.mean) * scale, decimals);
    return text;
  };
  std::string out = fmt::format("{:<22} {:<20} {:>16} {:>16} {:>14} {:>16}\n", "campaign", "type",
                                "participants", "WOM reach", "amplification", "cost");
  for (std::size_t c = 0; c < s.campaigns.size(); ++c) {
    const auto participants = across_runs(r, c, &campaign_outcome::unique_participants);
    const auto reach = across_runs(r, c, &campaign_outcome::reach_share);
    const auto amplification = across_runs(r, c, &campaign_outcome::amplification);
    const auto cost = across_runs(r, c, &campaign_outcome::cost);
    out +=
        fmt::format("{:<22} {:<20} {:>16} {:>16} {:>14} {:>16}\n", s.campaigns[c].name,
                    to_string(s.campaigns[c].type), cell(participants, 0, 1, ""),
                    cell(reach, 1, 100, "%"), cell(amplification, 1, 1, ""), cell(cost, 0, 1, ""));
  }
  return out;
}

nlohmann::json manifest_json(const scenario& s, const run_info& info,
                             const std::vector<std::string>& outputs) {
  using nlohmann::json;
  json inputs = json::array();
  for (const auto& f : s.inputs)
    inputs.push_back(json{{"path", f.path}, {"role", f.role}, {"sha256", f.sha256}});
  json overrides = json::array();
  for (const auto& o : s.overrides)
    overrides.push_back(json{{"path", o.path}, {"value", o.value}, {"origin", o.origin}});
  return json{{"cesim_version", version},
              {"git_revision", git_revision},
              {"build_type", build_type},
              {"compiler", compiler},
              {"build_flags", build_flags},
              {"command", info.command},
              {"arguments", info.arguments},
              {"scenario", s.name},
              {"seed", info.seed},
              {"threads", info.threads},
              {"ranks", info.ranks},
              {"shard", info.shard.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.shard)},
              {"replications", info.replications},
              {"population", s.population},
              {"horizon", s.time.horizon},
              {"inputs", inputs},
              {"overrides", overrides},
              {"host", host_name()},
              {"started_utc", info.started_utc},
              {"wall_seconds", info.wall_seconds},
              {"outputs", outputs}};
}

}  // namespace cesim::analysis
