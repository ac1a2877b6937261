#include "cesim/analysis/compare_writers.hpp"

#include <fmt/format.h>

#include <cmath>

#include "cesim/analysis/replicate.hpp"
#include "cesim/analysis/writers.hpp"

namespace cesim::analysis {

namespace {

int decimals_for(const outcome_metric& m) {
  if (m.unit == "currency" || m.unit == "customers") return 0;
  return m.display_scale == 100 ? 2 : 1;
}

/// "+3.1 ±0.7" in display units.
std::string signed_cell(const estimate& e, double scale, int decimals) {
  if (std::isnan(e.mean)) return "-";
  std::string text = fmt::format("{:+.{}f}", e.mean * scale, decimals);
  if (!std::isnan(e.ci_high))
    text += fmt::format(" ±{:.{}f}", (e.ci_high - e.mean) * scale, decimals);
  return text;
}

std::string ratio_cell(const estimate& e) {
  if (std::isnan(e.mean)) return "-";
  std::string text = fmt::format("{:.2f}", e.mean);
  if (!std::isnan(e.ci_high)) text += fmt::format(" ±{:.2f}", e.ci_high - e.mean);
  return text;
}

std::string title_of(const outcome_metric& m) {
  std::string t = m.display_scale == 100 ? std::string(m.name) + " pts" : std::string(m.name);
  return "Δ" + t;
}

void add_estimate_columns(std::string& row, const estimate& e) {
  row += fmt::format(",{},{},{},{}", csv_number(e.mean), csv_number(e.ci_low),
                     csv_number(e.ci_high), csv_number(e.sd));
}

}  // namespace

std::string comparison_table(const comparison& c) {
  const auto all = outcome_metrics();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"variant"};
  for (auto name : headline_outcomes()) header.push_back(title_of(all[outcome_index(name)]));
  header.emplace_back("return/cost");
  rows.push_back(header);
  const std::size_t total = total_row(c);
  double paired_width = 0, unpaired_width = 0;
  for (const auto& arm : c.arms) {
    std::vector<std::string> row{arm.name};
    for (auto name : headline_outcomes()) {
      const auto& m = all[outcome_index(name)];
      const auto& d = arm.metrics[total][outcome_index(name)];
      row.push_back(signed_cell(d.paired, m.display_scale, decimals_for(m)));
    }
    row.push_back(ratio_cell(arm.return_on_cost));
    rows.push_back(row);
    const auto& loyalty = arm.metrics[total][outcome_index("loyalty")];
    if (!std::isnan(loyalty.paired.ci_high) && !std::isnan(loyalty.unpaired.ci_high)) {
      paired_width += loyalty.paired.ci_high - loyalty.paired.ci_low;
      unpaired_width += loyalty.unpaired.ci_high - loyalty.unpaired.ci_low;
    }
  }
  std::string out = fmt::format(
      "variants against {} ({} replication{}, common random numbers; difference ±95% "
      "interval half-width)\n",
      c.baseline, c.replications, c.replications == 1 ? "" : "s");
  out += aligned_table(rows);
  if (paired_width > 0)
    out += fmt::format(
        "pairing made the loyalty intervals {:.1f} times narrower than independent runs would "
        "give\n",
        unpaired_width / paired_width);
  out +=
      "return/cost: change in discounted margin plus customer equity per unit of extra cost (for a "
      "variant that spends less: value lost per unit saved); '-' when the cost changes by less "
      "than 1%\n";
  return out;
}

nlohmann::json comparison_json(const comparison& c, const std::vector<scenario>& arms) {
  using nlohmann::json;
  const auto all = outcome_metrics();
  json doc;
  doc["baseline"] = c.baseline;
  doc["replications"] = c.replications;
  doc["segments"] = c.segments;
  json metrics = json::array();
  for (const auto& m : all)
    metrics.push_back(json{{"name", m.name},
                           {"description", m.description},
                           {"unit", m.unit},
                           {"per_segment", m.per_segment}});
  doc["metrics"] = metrics;
  json variants = json::array();
  for (std::size_t a = 0; a < c.arms.size(); ++a) {
    const auto& arm = c.arms[a];
    json overrides = json::array();
    if (a + 1 < arms.size())
      for (const auto& o : arms[a + 1].overrides)
        overrides.push_back(json{{"path", o.path}, {"value", o.value}});
    json segments = json::array();
    for (std::size_t seg = 0; seg < c.segments.size(); ++seg) {
      json values = json::object();
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& d = arm.metrics[seg][i];
        if (std::isnan(d.baseline.mean) && std::isnan(d.variant.mean)) continue;
        values[std::string(all[i].name)] = json{{"baseline", estimate_json(d.baseline)},
                                                {"variant", estimate_json(d.variant)},
                                                {"difference", estimate_json(d.paired)},
                                                {"unpaired_difference", estimate_json(d.unpaired)}};
      }
      segments.push_back(json{{"segment", c.segments[seg]}, {"metrics", values}});
    }
    variants.push_back(json{{"name", arm.name},
                            {"description", arm.description},
                            {"overrides", overrides},
                            {"segments", segments},
                            {"return_on_cost", estimate_json(arm.return_on_cost)},
                            {"horizon_return_on_cost", estimate_json(arm.horizon_return)}});
  }
  doc["variants"] = variants;
  return doc;
}

std::string comparison_csv(const comparison& c) {
  const auto all = outcome_metrics();
  std::string out =
      "variant,segment,metric,unit,baseline_mean,variant_mean,difference,ci_low,ci_high,sd,"
      "unpaired_ci_low,unpaired_ci_high,n\n";
  auto row_of = [](std::string_view variant, std::string_view segment, std::string_view metric,
                   std::string_view unit, double baseline, double value, const estimate& paired,
                   const estimate& unpaired) {
    std::string row = fmt::format("{},{},{},{},{},{}", variant, segment, metric, unit,
                                  csv_number(baseline), csv_number(value));
    add_estimate_columns(row, paired);
    row += fmt::format(",{},{},{}\n", csv_number(unpaired.ci_low), csv_number(unpaired.ci_high),
                       paired.n);
    return row;
  };
  const estimate none{not_available, not_available, not_available, not_available, 0};
  for (const auto& arm : c.arms) {
    for (std::size_t seg = 0; seg < c.segments.size(); ++seg)
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& d = arm.metrics[seg][i];
        if (!all[i].per_segment && seg != total_row(c)) continue;
        out += row_of(arm.name, c.segments[seg], all[i].name, all[i].unit, d.baseline.mean,
                      d.variant.mean, d.paired, d.unpaired);
      }
    out += row_of(arm.name, "total", "return_on_cost", "ratio", not_available, not_available,
                  arm.return_on_cost, none);
    out += row_of(arm.name, "total", "horizon_return_on_cost", "ratio", not_available,
                  not_available, arm.horizon_return, none);
  }
  return out;
}

std::string runs_csv(const std::vector<std::string>& names,
                     const std::vector<std::vector<run_result>>& runs) {
  std::string out = "arm,replication,segment,metric,value\n";
  for (std::size_t a = 0; a < runs.size(); ++a)
    for (const auto& run : runs[a])
      for (std::size_t seg = 0; seg < run.summary.size(); ++seg)
        for (const auto& m : outcome_metrics()) {
          if (!m.per_segment && seg + 1 != run.summary.size()) continue;
          out += fmt::format("{},{},{},{},{}\n", names[a], run.replication,
                             run.summary[seg].segment, m.name, csv_number(m.value(run, seg)));
        }
  return out;
}

std::string bands_csv(const std::vector<std::string>& names,
                      const std::vector<std::vector<run_result>>& runs) {
  std::string out = "arm,step,segment,metric,mean,ci_low,ci_high,n\n";
  for (std::size_t a = 0; a < runs.size(); ++a) {
    if (runs[a].empty()) continue;
    const auto& first = runs[a].front();
    const std::size_t segments = first.segment_names.size();
    for (std::size_t seg = 0; seg <= segments; ++seg) {
      const std::string& segment_name = seg < segments ? first.segment_names[seg] : "total";
      for (const auto& m : series_metrics()) {
        const auto b = band(runs[a], [&](const run_result& run, std::uint32_t t) {
          return m.value(seg < segments ? run.at(t, seg) : run.total_at(t));
        });
        for (std::uint32_t t = 0; t < b.size(); ++t)
          out += fmt::format("{},{},{},{},{},{},{},{}\n", names[a], t, segment_name, m.name,
                             csv_number(b[t].mean), csv_number(b[t].ci_low),
                             csv_number(b[t].ci_high), b[t].n);
      }
    }
  }
  return out;
}

std::string priority_table(const priorities& p) {
  const std::size_t total = total_row(p.effects);
  const std::size_t loyalty = outcome_index("loyalty");
  const std::size_t nps = outcome_index("nps");
  const std::size_t reach = outcome_index("wom_reach");
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"rank", "touchpoint", "phase", "quality", "Δloyalty pts", "ΔNPS", "Δreach pts",
                  "remove: Δloyalty pts", "remove: ΔNPS", "cost/loyalty pt"});
  for (const auto& t : p.touchpoints) {
    std::vector<std::string> row{std::to_string(t.rank), t.touchpoint, t.phase};
    if (t.improve_arm) {
      const auto& arm = p.effects.arms[*t.improve_arm].metrics[total];
      row.push_back(fmt::format("{:.2f}->{:.2f}", t.quality_mean, t.quality_after));
      row.push_back(signed_cell(arm[loyalty].paired, 100, 2));
      row.push_back(signed_cell(arm[nps].paired, 1, 2));
      row.push_back(signed_cell(arm[reach].paired, 100, 2));
    } else {
      row.insert(row.end(), {"(rating)", "-", "-", "-"});
    }
    const auto& removed = p.effects.arms[t.remove_arm].metrics[total];
    row.push_back(signed_cell(removed[loyalty].paired, 100, 2));
    row.push_back(signed_cell(removed[nps].paired, 1, 2));
    const auto& cpp = t.cost_per_loyalty_point;
    row.push_back(std::isnan(cpp.mean) ? std::string("-") : fmt::format("{:.0f}", cpp.mean));
    rows.push_back(row);
  }
  return fmt::format(
             "touchpoint priorities ({} replication{}, common random numbers): quality.mean +{} "
             "per touchpoint, ranked by Δ{}; difference ±95% interval half-width\n",
             p.effects.replications, p.effects.replications == 1 ? "" : "s", p.options.quality_step,
             p.options.rank_by) +
         aligned_table(rows);
}

nlohmann::json priorities_json(const priorities& p) {
  using nlohmann::json;
  const auto all = outcome_metrics();
  const std::size_t total = total_row(p.effects);
  auto effects_of = [&](std::size_t arm) {
    json values = json::object();
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto& d = p.effects.arms[arm].metrics[total][i];
      values[std::string(all[i].name)] =
          json{{"difference", estimate_json(d.paired)}, {"variant", estimate_json(d.variant)}};
    }
    return values;
  };
  json list = json::array();
  for (const auto& t : p.touchpoints) {
    json entry{
        {"rank", t.rank},   {"touchpoint", t.touchpoint},     {"kind", t.kind},
        {"phase", t.phase}, {"quality_mean", t.quality_mean}, {"remove", effects_of(t.remove_arm)}};
    if (t.improve_arm) {
      entry["quality_after"] = t.quality_after;
      entry["improve"] = effects_of(*t.improve_arm);
    } else {
      entry["improve"] = nullptr;
    }
    entry["improvement_cost"] = t.improvement_cost > 0 ? json(t.improvement_cost) : json(nullptr);
    entry["cost_per_loyalty_point"] = estimate_json(t.cost_per_loyalty_point);
    list.push_back(entry);
  }
  json baseline = json::object();
  if (!p.effects.arms.empty())
    for (std::size_t i = 0; i < all.size(); ++i)
      baseline[std::string(all[i].name)] =
          estimate_json(p.effects.arms.front().metrics[total][i].baseline);
  return json{{"quality_step", p.options.quality_step},
              {"rank_by", p.options.rank_by},
              {"replications", p.effects.replications},
              {"baseline", baseline},
              {"touchpoints", list}};
}

std::string priorities_csv(const priorities& p) {
  const auto all = outcome_metrics();
  const std::size_t total = total_row(p.effects);
  std::string out =
      "rank,touchpoint,phase,action,metric,unit,baseline_mean,variant_mean,difference,ci_low,"
      "ci_high,sd,n\n";
  for (const auto& t : p.touchpoints) {
    auto emit = [&](std::string_view action, std::size_t arm) {
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& d = p.effects.arms[arm].metrics[total][i];
        std::string row = fmt::format("{},{},{},{},{},{},{},{}", t.rank, t.touchpoint, t.phase,
                                      action, all[i].name, all[i].unit, csv_number(d.baseline.mean),
                                      csv_number(d.variant.mean));
        add_estimate_columns(row, d.paired);
        out += row + fmt::format(",{}\n", d.paired.n);
      }
    };
    if (t.improve_arm) emit("improve", *t.improve_arm);
    emit("remove", t.remove_arm);
  }
  return out;
}

}  // namespace cesim::analysis
