#include "cesim/analysis/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "cesim/analysis/replicate.hpp"
#include "cesim/analysis/report_assets.hpp"
#include "cesim/version.hpp"

namespace cesim::analysis {

namespace {

using nlohmann::json;

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// JSON placed inside a <script> element: "</" would end the element early.
std::string script_safe_json(const json& doc) {
  std::string text = doc.dump();
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

json band_row(std::uint32_t step, std::string_view series, const estimate& e, double scale = 1) {
  return json{{"step", step},
              {"series", series},
              {"mean", json_number(e.mean * scale)},
              {"low", json_number(e.ci_low * scale)},
              {"high", json_number(e.ci_high * scale)}};
}

const series_metric& series_named(std::string_view name) {
  for (const auto& m : series_metrics())
    if (m.name == name) return m;
  return series_metrics().front();
}

/// A line per series with its 95% band (shown when there are several replications).
json band_chart(const json& rows, std::string_view y_title, std::string_view series_title,
                std::string_view step_title, bool zero_based) {
  const json x{{"field", "step"}, {"type", "quantitative"}, {"title", step_title}};
  const json color{{"field", "series"}, {"type", "nominal"}, {"title", series_title}};
  json y{{"field", "mean"}, {"type", "quantitative"}, {"title", y_title}};
  if (!zero_based) y["scale"] = json{{"zero", false}};
  return json{
      {"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
      {"width", "container"},
      {"autosize", {{"type", "fit-x"}, {"contains", "padding"}}},
      {"height", 260},
      {"data", {{"values", rows}}},
      {"layer",
       json::array(
           {json{{"mark", {{"type", "area"}, {"opacity", 0.2}}},
                 {"encoding",
                  {{"x", x},
                   {"y", {{"field", "low"}, {"type", "quantitative"}}},
                   {"y2", {{"field", "high"}}},
                   {"color", color}}}},
            json{{"mark", {{"type", "line"}, {"strokeWidth", 2}}},
                 {"encoding",
                  {{"x", x},
                   {"y", y},
                   {"color", color},
                   {"tooltip", json::array({json{{"field", "series"}}, json{{"field", "step"}},
                                            json{{"field", "mean"}, {"format", ".3~f"}}})}}}}})}};
}

json segment_band_chart(const std::vector<run_result>& runs, std::string_view metric,
                        bool with_total, std::string_view y_title, std::string_view step_title,
                        bool zero_based) {
  json rows = json::array();
  const auto& m = series_named(metric);
  const auto& first = runs.front();
  const std::size_t segments = first.segment_names.size();
  for (std::size_t seg = 0; seg < segments + (with_total ? 1 : 0); ++seg) {
    const std::string name = seg < segments ? first.segment_names[seg] : "total";
    const auto b = band(runs, [&](const run_result& run, std::uint32_t t) {
      return m.value(seg < segments ? run.at(t, seg) : run.total_at(t));
    });
    for (std::uint32_t t = 0; t < b.size(); ++t)
      if (!std::isnan(b[t].mean)) rows.push_back(band_row(t, name, b[t]));
  }
  return band_chart(rows, y_title, "segment", step_title, zero_based);
}

json reach_chart(const std::vector<run_result>& runs, std::string_view step_title) {
  json rows = json::array();
  const auto& first = runs.front();
  const std::size_t origins = first.origin_names.size();
  for (std::size_t o = 0; o < origins; ++o) {
    const auto b = band(runs, [&](const run_result& run, std::uint32_t t) {
      std::uint64_t reached = 0;
      for (std::uint32_t s = 1; s <= t; ++s) reached += run.origin_series[(s - 1) * origins + o];
      const double population = run.summary.back().population;
      return population > 0 ? static_cast<double>(reached) / population : not_available;
    });
    // Origins that reached almost no one would only crowd the legend.
    if (b.empty() || !(b.back().mean >= 0.001)) continue;
    for (std::uint32_t t = 0; t < b.size(); ++t)
      rows.push_back(band_row(t, first.origin_names[o], b[t], 100));
  }
  return band_chart(rows, "share of the market reached (%)", "origin", step_title, true);
}

json funnel_chart(const std::vector<run_result>& runs) {
  json rows = json::array();
  const auto& first = runs.front();
  const std::array<std::pair<const char*, double campaign_outcome::*>, 3> stages{{
      {"1 invitations", &campaign_outcome::invited},
      {"2 participants", &campaign_outcome::unique_participants},
      {"3 reached by their stories", &campaign_outcome::reached},
  }};
  for (std::size_t c = 0; c < first.campaign_names.size(); ++c)
    for (const auto& [stage, field] : stages) {
      std::vector<double> values;
      for (const auto& run : runs) values.push_back(campaign_outcome_of(run, c).*field);
      const auto e = summarize(values);
      rows.push_back(json{{"campaign", first.campaign_names[c]},
                          {"stage", stage},
                          {"mean", json_number(e.mean)},
                          {"low", json_number(std::isnan(e.ci_low) ? e.mean : e.ci_low)},
                          {"high", json_number(std::isnan(e.ci_high) ? e.mean : e.ci_high)}});
    }
  const json y{{"field", "campaign"}, {"type", "nominal"}, {"title", nullptr}};
  const json offset{{"field", "stage"}, {"type", "nominal"}};
  return json{
      {"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
      {"width", "container"},
      {"autosize", {{"type", "fit-x"}, {"contains", "padding"}}},
      {"data", {{"values", rows}}},
      {"layer",
       json::array(
           {json{{"mark", "bar"},
                 {"encoding",
                  {{"y", y},
                   {"yOffset", offset},
                   {"x", {{"field", "mean"}, {"type", "quantitative"}, {"title", "customers"}}},
                   {"color", {{"field", "stage"}, {"type", "nominal"}, {"title", "stage"}}},
                   {"tooltip", json::array({json{{"field", "campaign"}}, json{{"field", "stage"}},
                                            json{{"field", "mean"}, {"format", ",.0f"}}})}}}},
            json{{"mark", "rule"},
                 {"encoding",
                  {{"y", y},
                   {"yOffset", offset},
                   {"x", {{"field", "low"}, {"type", "quantitative"}}},
                   {"x2", {{"field", "high"}}}}}}})}};
}

/// Differences with intervals: one row per (label, group), a point and an interval rule, and a
/// rule at zero. Faceted by `facet` when given.
json interval_chart(const json& rows, std::string_view label_title, std::string_view x_title,
                    const json& label_sort, bool facet_by_metric) {
  const json y{
      {"field", "label"}, {"type", "nominal"}, {"title", label_title}, {"sort", label_sort}};
  const json color{{"field", "group"}, {"type", "nominal"}, {"title", nullptr}};
  const json offset{{"field", "group"}, {"type", "nominal"}};
  json layer = json::array(
      {json{{"mark", {{"type", "rule"}, {"color", "#888"}}},
            {"encoding", {{"x", {{"datum", 0}, {"type", "quantitative"}}}}}},
       json{{"mark", {{"type", "rule"}, {"strokeWidth", 2}}},
            {"encoding",
             {{"y", y},
              {"yOffset", offset},
              {"x", {{"field", "low"}, {"type", "quantitative"}, {"title", x_title}}},
              {"x2", {{"field", "high"}}},
              {"color", color}}}},
       json{{"mark", {{"type", "point"}, {"filled", true}, {"size", 60}}},
            {"encoding",
             {{"y", y},
              {"yOffset", offset},
              {"x", {{"field", "mean"}, {"type", "quantitative"}, {"title", x_title}}},
              {"color", color},
              {"tooltip", json::array({json{{"field", "label"}}, json{{"field", "group"}},
                                       json{{"field", "mean"}, {"format", ".3~f"}},
                                       json{{"field", "low"}, {"format", ".3~f"}},
                                       json{{"field", "high"}, {"format", ".3~f"}}})}}}}});
  if (!facet_by_metric)
    return json{{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
                {"width", "container"},
                {"autosize", {{"type", "fit-x"}, {"contains", "padding"}}},
                {"data", {{"values", rows}}},
                {"layer", layer}};
  return json{{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
              {"data", {{"values", rows}}},
              {"facet", {{"row", {{"field", "metric"}, {"type", "nominal"}, {"title", nullptr}}}}},
              {"spec", {{"width", 640}, {"layer", layer}}},
              {"resolve", {{"scale", {{"x", "independent"}}}}}};
}

json interval_row(std::string_view label, std::string_view group, std::string_view metric,
                  const estimate& e, double scale) {
  const double low = std::isnan(e.ci_low) ? e.mean : e.ci_low;
  const double high = std::isnan(e.ci_high) ? e.mean : e.ci_high;
  return json{{"label", label},
              {"group", group},
              {"metric", metric},
              {"mean", json_number(e.mean * scale)},
              {"low", json_number(low * scale)},
              {"high", json_number(high * scale)}};
}

json variant_effects_chart(const comparison& c) {
  json rows = json::array();
  const std::size_t total = total_row(c);
  const auto all = outcome_metrics();
  for (std::string_view name :
       {"loyalty", "retention", "nps", "wom_reach", "customers", "revenue", "customer_equity"}) {
    const auto& m = all[outcome_index(name)];
    const std::string title =
        m.display_scale == 100 ? fmt::format("Δ {} (points)", m.name) : fmt::format("Δ {}", m.name);
    for (const auto& arm : c.arms)
      rows.push_back(interval_row(arm.name, "paired (common random numbers)", title,
                                  arm.metrics[total][outcome_index(name)].paired, m.display_scale));
  }
  json names = json::array();
  for (const auto& arm : c.arms) names.push_back(arm.name);
  return interval_chart(rows, "variant", "difference to the baseline", names, true);
}

json arms_over_time_chart(const std::vector<std::vector<run_result>>& runs,
                          const std::vector<std::string>& names, std::string_view metric,
                          std::string_view y_title, std::string_view step_title) {
  json rows = json::array();
  const auto& m = series_named(metric);
  for (std::size_t a = 0; a < runs.size(); ++a) {
    const auto b = band(
        runs[a], [&](const run_result& run, std::uint32_t t) { return m.value(run.total_at(t)); });
    for (std::uint32_t t = 0; t < b.size(); ++t)
      if (!std::isnan(b[t].mean)) rows.push_back(band_row(t, names[a], b[t]));
  }
  auto chart = band_chart(rows, y_title, "arm", step_title, false);
  return chart;
}

json priority_chart(const priorities& p, std::string_view metric) {
  json rows = json::array();
  json order = json::array();
  const std::size_t total = total_row(p.effects);
  const auto& m = outcome_metrics()[outcome_index(metric)];
  for (const auto& t : p.touchpoints) {
    const std::string label = fmt::format("{}. {}", t.rank, t.touchpoint);
    order.push_back(label);
    if (t.improve_arm)
      rows.push_back(
          interval_row(label, fmt::format("quality +{}", p.options.quality_step), m.name,
                       p.effects.arms[*t.improve_arm].metrics[total][outcome_index(metric)].paired,
                       m.display_scale));
    rows.push_back(
        interval_row(label, "removed", m.name,
                     p.effects.arms[t.remove_arm].metrics[total][outcome_index(metric)].paired,
                     m.display_scale));
  }
  const std::string x_title =
      m.display_scale == 100 ? fmt::format("Δ {} (points)", m.name) : fmt::format("Δ {}", m.name);
  return interval_chart(rows, "touchpoint (rank)", x_title, order, false);
}

struct chart {
  std::string id;
  std::string title;
  std::string explanation;
  json spec;
};

std::vector<chart> build_charts(const report_content& c) {
  std::vector<chart> charts;
  for (const auto& extra : c.charts)
    charts.push_back({extra.id, extra.title, extra.explanation, extra.spec});
  if (c.runs == nullptr || c.runs->empty() || c.runs->front().empty()) return charts;
  const auto& base = c.runs->front();
  const std::string step_title = fmt::format("{}", to_string(c.baseline->time.unit));
  const bool bands = base.size() > 1;
  const std::string band_note =
      bands ? fmt::format(" Shaded: 95% interval of the mean over {} replications.", base.size())
            : std::string(" One replication: run with -r 5 or more to see intervals.");
  if (c.ranking != nullptr) {
    // The first chart shows the metric the ranking used; the second NPS (or loyalty, when the
    // ranking used NPS).
    const std::string& ranked_by = c.ranking->options.rank_by;
    const std::string other = ranked_by == "nps" ? "loyalty" : "nps";
    charts.push_back({"priorities-rank", "Which touchpoint to fix first",
                      fmt::format("Change in {} if the touchpoint's quality rose by {}, or if it "
                                  "were removed, with 95% intervals of the paired difference "
                                  "(shares and loyalty in points of 0.01). Rank 1 is fixed first.",
                                  ranked_by, c.ranking->options.quality_step),
                      priority_chart(*c.ranking, ranked_by)});
    charts.push_back({"priorities-other", fmt::format("Effect on {}", other),
                      fmt::format("Change in {} for the same improvement or removal.", other),
                      priority_chart(*c.ranking, other)});
  }
  if (c.variants != nullptr && !c.variants->arms.empty()) {
    charts.push_back({"variant-effects", "Variants against the baseline",
                      "Each variant's difference to the baseline at the horizon with the 95% "
                      "interval of the paired difference (common random numbers). An interval "
                      "that excludes zero is an effect the replications resolve.",
                      variant_effects_chart(*c.variants)});
    charts.push_back(
        {"variants-loyalty", "Loyalty over time, baseline and variants",
         "Mean loyalty of all customers per step." + band_note,
         arms_over_time_chart(*c.runs, c.arm_names, "loyalty", "mean loyalty", step_title)});
  }
  charts.push_back({"customers", "Customers over time by segment",
                    "Customers per segment at each step." + band_note,
                    segment_band_chart(base, "customers", false, "customers", step_title, true)});
  charts.push_back(
      {"loyalty", "Loyalty over time by segment",
       "Mean loyalty of each segment's customers (0..1), and of all customers." + band_note,
       segment_band_chart(base, "loyalty", true, "mean loyalty", step_title, false)});
  charts.push_back({"reach", "Word-of-mouth reach by origin",
                    "Share of the market that has heard a story from each origin (touchpoint "
                    "delight or disappointment, campaign, churn, organic talk), cumulative." +
                        band_note,
                    reach_chart(base, step_title)});
  if (!base.front().campaign_names.empty())
    charts.push_back({"funnel", "Campaign participation funnel",
                      "Per campaign over the horizon: invitations sent, customers who took part "
                      "at least once, and customers first reached by the stories participants "
                      "told. Lines: 95% intervals.",
                      funnel_chart(base)});
  return charts;
}

std::string cell(const estimate& e, double scale, int decimals, bool sign = false) {
  if (std::isnan(e.mean)) return "–";
  std::string text = sign ? fmt::format("{:+.{}f}", e.mean * scale, decimals)
                          : fmt::format("{:.{}f}", e.mean * scale, decimals);
  if (!std::isnan(e.ci_low))
    text += fmt::format(" <span class=ci>[{:.{}f}, {:.{}f}]</span>", e.ci_low * scale, decimals,
                        e.ci_high * scale, decimals);
  return text;
}

std::string summary_section(const report_content& c) {
  const auto& base = c.runs->front();
  const auto summary = summarize_runs(base);
  const std::array<std::tuple<const char*, const char*, double, int>, 7> columns{{
      {"customers", "customers_end", 1, 0},
      {"retention %", "retention", 100, 1},
      {"loyalty", "loyalty", 1, 3},
      {"NPS", "nps", 1, 1},
      {"WOM reach %", "wom_reach", 100, 1},
      {"margin (disc.)", "revenue_discounted", 1, 0},
      {"customer equity", "customer_equity", 1, 0},
  }};
  std::string html = "<table><thead><tr><th>segment</th>";
  for (const auto& [title, name, scale, decimals] : columns)
    html += fmt::format("<th>{}</th>", title);
  html += "</tr></thead><tbody>";
  for (const auto& seg : summary) {
    html += fmt::format("<tr{}><td>{}</td>", seg.segment == "total" ? " class=total" : "",
                        escape_html(seg.segment));
    for (const auto& [title, name, scale, decimals] : columns)
      html += "<td>" + cell(seg.metrics[summary_metric_index(name)], scale, decimals) + "</td>";
    html += "</tr>";
  }
  return html + "</tbody></table>";
}

std::string comparison_section(const comparison& cmp) {
  const auto all = outcome_metrics();
  const std::size_t total = total_row(cmp);
  const auto names = headline_outcomes();
  std::string html = "<table><thead><tr><th>variant</th>";
  for (auto n : names) {
    const auto& m = all[outcome_index(n)];
    html += fmt::format("<th>Δ {}{}</th>", m.name, m.display_scale == 100 ? " (pts)" : "");
  }
  html += "<th>return per unit cost</th></tr></thead><tbody>";
  for (const auto& arm : cmp.arms) {
    html += fmt::format("<tr><td title=\"{}\">{}</td>", escape_html(arm.description),
                        escape_html(arm.name));
    for (auto n : names) {
      const auto& m = all[outcome_index(n)];
      const int decimals = m.unit == "currency" || m.unit == "customers" ? 0 : 2;
      html += "<td>" +
              cell(arm.metrics[total][outcome_index(n)].paired, m.display_scale, decimals, true) +
              "</td>";
    }
    html += "<td>" + cell(arm.return_on_cost, 1, 2) + "</td></tr>";
  }
  return html + "</tbody></table>";
}

std::string priority_section(const priorities& p) {
  const std::size_t total = total_row(p.effects);
  const std::size_t loyalty = outcome_index("loyalty");
  const std::size_t nps = outcome_index("nps");
  const std::size_t reach = outcome_index("wom_reach");
  std::string html =
      "<table><thead><tr><th>rank</th><th>touchpoint</th><th>phase</th><th>quality</th>"
      "<th>Δ loyalty (pts)</th><th>Δ NPS</th><th>Δ reach (pts)</th><th>removed: Δ loyalty "
      "(pts)</th><th>cost per loyalty point</th></tr></thead><tbody>";
  for (const auto& t : p.touchpoints) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td>", t.rank, escape_html(t.touchpoint),
                        escape_html(t.phase));
    if (t.improve_arm) {
      const auto& arm = p.effects.arms[*t.improve_arm].metrics[total];
      html += fmt::format("<td>{:.2f} → {:.2f}</td><td>{}</td><td>{}</td><td>{}</td>",
                          t.quality_mean, t.quality_after, cell(arm[loyalty].paired, 100, 2, true),
                          cell(arm[nps].paired, 1, 2, true), cell(arm[reach].paired, 100, 2, true));
    } else {
      html += "<td>public rating</td><td>–</td><td>–</td><td>–</td>";
    }
    html += "<td>" +
            cell(p.effects.arms[t.remove_arm].metrics[total][loyalty].paired, 100, 2, true) +
            "</td><td>" + cell(t.cost_per_loyalty_point, 1, 0) + "</td></tr>";
  }
  return html + "</tbody></table>";
}

constexpr std::string_view page_style = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:36px 0 6px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.meta{color:#666;font-size:13px;margin:0 0 16px}p.explain{color:#444;font-size:14px;margin:4px 0 10px;max-width:900px}
div.chart{width:100%;min-height:120px;background:#fff;border:1px solid #e4e4e4;border-radius:6px;padding:8px;box-sizing:border-box}
table{border-collapse:collapse;font-size:13px;background:#fff;margin:8px 0}th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}tr.total td{font-weight:600}
span.ci{color:#888;font-size:11px}pre#report-errors{color:#b00;white-space:pre-wrap}
)";

// Draws every chart, then records the outcome on <body> for people and the browser test alike.
constexpr std::string_view page_script = R"(
(function () {
  var errors = [];
  function fail(message) { errors.push(String(message)); }
  window.addEventListener('error', function (e) { fail(e.message || e); });
  window.addEventListener('unhandledrejection', function (e) {
    fail((e.reason && e.reason.message) || e.reason);
  });
  var originalError = console.error;
  console.error = function () {
    fail(Array.prototype.join.call(arguments, ' '));
    originalError.apply(console, arguments);
  };
  var specs = JSON.parse(document.getElementById('cesim-specs').textContent);
  var charts = document.querySelectorAll('div.chart');
  var rendered = 0;
  var jobs = Array.prototype.map.call(charts, function (div) {
    var spec = specs[div.id];
    if (!spec) { fail('no specification for chart ' + div.id); return Promise.resolve(); }
    return vegaEmbed(div, spec, { renderer: 'svg', actions: false })
      .then(function () { rendered += 1; div.setAttribute('data-rendered', 'true'); })
      .catch(function (e) { fail(div.id + ': ' + (e && e.message ? e.message : e)); });
  });
  Promise.all(jobs).then(function () {
    var body = document.body;
    body.setAttribute('data-charts', String(charts.length));
    body.setAttribute('data-rendered', String(rendered));
    body.setAttribute('data-errors', String(errors.length));
    if (errors.length) {
      var pre = document.getElementById('report-errors');
      pre.textContent = 'The report could not draw everything:\n' + errors.join('\n');
    }
    body.setAttribute('data-page-height', String(document.documentElement.scrollHeight));
    body.setAttribute('data-report-status', 'done');
  });
})();
)";

}  // namespace

std::vector<std::pair<std::string, nlohmann::json>> report_charts(const report_content& content) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  for (auto& c : build_charts(content)) out.emplace_back(c.id, std::move(c.spec));
  return out;
}

std::string html_report(const report_content& c) {
  const auto charts = build_charts(c);
  const scenario& s = *c.baseline;
  const auto command_title = [&] {
    if (c.ranking != nullptr) return fmt::format("{}: touchpoint priorities", s.name);
    if (c.variants != nullptr) return fmt::format("{}: variants compared", s.name);
    return fmt::format("{}: predicted loyalty and word of mouth", s.name);
  };
  const std::string title = c.title.empty() ? command_title() : c.title;
  const std::size_t replications =
      c.runs != nullptr && !c.runs->empty() ? c.runs->front().size() : c.info.replications;

  std::string html = "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>";
  html += "<meta name=viewport content=\"width=device-width, initial-scale=1\">";
  html += fmt::format("<title>{}</title><style>{}</style>", escape_html(title), page_style);
  for (const auto& script : report_scripts())
    html += fmt::format("<script>/* {} {} */\n{}\n</script>", script.name, script.version,
                        script.source());
  html += "</head><body data-report-status=pending><main>";
  html += fmt::format("<h1>{}</h1>", escape_html(title));
  html += fmt::format(
      "<p class=meta>{} customers, {} steps of a {}, seed {}, {} replication{}; cesim {} ({}); "
      "{}; <code>{}</code></p>",
      s.population, s.time.horizon, to_string(s.time.unit), s.seed, replications,
      replications == 1 ? "" : "s", version, git_revision, escape_html(c.info.started_utc),
      escape_html(fmt::format("{}", fmt::join(c.info.arguments, " "))));
  if (!s.description.empty())
    html += fmt::format("<p class=explain>{}</p>", escape_html(s.description));
  html += "<pre id=report-errors></pre>";

  html += c.tables_html;
  if (c.ranking != nullptr) {
    html += "<h2>Touchpoint priorities</h2><p class=explain>Each touchpoint's quality raised by " +
            fmt::format("{}", c.ranking->options.quality_step) +
            " (one at a time), and each touchpoint removed, against the scenario as written; "
            "paired differences with 95% intervals. Costs per loyalty point come from "
            "<code>improvement_cost</code>.</p>" +
            priority_section(*c.ranking);
  }
  if (c.variants != nullptr) {
    html +=
        "<h2>Variants</h2><p class=explain>Differences to the baseline at the horizon, with 95% "
        "intervals of the paired differences (every arm uses the same random numbers). Return "
        "per unit cost: change in discounted margin plus customer equity, per unit of extra "
        "cost.</p>" +
        comparison_section(*c.variants);
  }
  if (c.runs != nullptr && !c.runs->empty() && !c.runs->front().empty()) {
    html += fmt::format("<h2>{} at the horizon</h2>",
                        c.variants || c.ranking ? "Baseline" : "Segments");
    html += summary_section(c);
  }
  json specs = json::object();
  for (const auto& ch : charts) {
    html += fmt::format("<h2>{}</h2><p class=explain>{}</p><div class=chart id=\"{}\"></div>",
                        escape_html(ch.title), escape_html(ch.explanation), ch.id);
    specs[ch.id] = ch.spec;
  }
  html += "</main><script type=\"application/json\" id=cesim-specs>" + script_safe_json(specs) +
          "</script>";
  html += fmt::format("<script>{}</script></body></html>\n", page_script);
  return html;
}

}  // namespace cesim::analysis
