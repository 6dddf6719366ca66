// The self-contained HTML report: run summary, training curves, evaluation metrics with their
// definitions, the density histogram and the top features with highlighted examples. Every piece
// of dataset or user text goes through htmlEscape (a dataset can contain <script>).
#include "mistudio/report.h"
#include "mistudio/version.h"
#include "report/report_common.h"
#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

namespace mistudio {

namespace {

const char* kStyle = R"(<style>
body{font-family:sans-serif;margin:24px;max-width:1100px;color:#1f2937}
h1{margin-bottom:4px} table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.charts{display:flex;flex-wrap:wrap;gap:8px} .feature{border-top:1px solid #ccc;padding:8px 0}
.ex{font-family:monospace;white-space:pre-wrap;margin:4px 0;line-height:1.7}
.tok{border-radius:2px;padding:1px 0} .muted{color:#6b7280}
</style>)";

std::string chartKeyFor(const std::string& metric) {
    if (metric == "l0")
        return "L0";
    if (metric == "explained_variance" || metric == "fvu")
        return "Explained variance";
    if (metric.rfind("dead", 0) == 0 || metric.rfind("dense", 0) == 0)
        return "Dead / dense";
    if (metric.size() > 5 && metric.compare(metric.size() - 5, 5, "per_s") == 0)
        return "Throughput";
    if (metric == "lr" || metric.find("coefficient") != std::string::npos)
        return "Schedules";
    return "Loss terms";
}

std::string trainingCurves(const Project& project, int64_t runId) {
    std::map<std::string, std::map<std::string, report::SvgSeries>> charts;
    for (const auto& p : project.metrics(runId)) {
        auto& s = charts[chartKeyFor(p.name)][p.name];
        s.name = p.name;
        s.points.emplace_back(static_cast<double>(p.step), p.value);
    }
    if (charts.empty())
        return "<p class=\"muted\">No training curves recorded for this run.</p>";
    std::string out = "<div class=\"charts\">";
    for (auto& [title, series] : charts) {
        std::vector<report::SvgSeries> list;
        for (auto& [name, s] : series)
            list.push_back(std::move(s));
        out += report::svgLineChart(title, list);
    }
    return out + "</div>";
}

std::string evalTable(const Project& project, int64_t runId) {
    std::map<std::string, double> values;
    for (const auto& e : project.evals(runId))
        values[e.metric] = e.value;
    std::string out = "<table><tr><th>metric</th><th>value</th><th>definition</th></tr>";
    for (const auto& [name, def] : metricDefinitions()) {
        auto it = values.find(name);
        out += "<tr><td>" + htmlEscape(name) + "</td><td>" +
               (it == values.end() ? std::string("—") : report::formatNumber(it->second)) +
               "</td><td>" + htmlEscape(def) + "</td></tr>";
    }
    return out + "</table>";
}

std::string densityHistogram(const std::vector<FeatureStats>& all) {
    constexpr int kBins = 40;
    constexpr double kLo = -10, kHi = 0;
    std::vector<double> edges(kBins + 1), counts(kBins, 0);
    for (int i = 0; i <= kBins; ++i)
        edges[i] = kLo + (kHi - kLo) * i / kBins;
    for (const auto& f : all) {
        const double x = std::log10(f.density + 1e-10);
        counts[std::clamp(static_cast<int>((x - kLo) / (kHi - kLo) * kBins), 0, kBins - 1)] += 1;
    }
    return report::svgHistogram("Feature density", edges, counts, "log10(density + 1e-10)", 700,
                                240);
}

std::string exampleHtml(const FeatureExample& e, double scale) {
    std::string out = "<div class=\"ex\">";
    for (size_t i = 0; i < e.tokens.size(); ++i) {
        const double a = i < e.activations.size() ? e.activations[i] : 0.0;
        const double alpha = a > 0 && scale > 0 ? std::clamp(a / scale, 0.1, 1.0) : 0.0;
        out += "<span class=\"tok\" title=\"" + htmlEscape(report::formatNumber(a)) +
               "\" style=\"background:rgba(245,158,11," + report::formatNumber(alpha) + ")\">" +
               htmlEscape(e.tokens[i]) + "</span>";
    }
    return out + "</div>";
}

std::string featureSection(const FeaturePage& page, int examples) {
    const FeatureStats& s = page.stats;
    std::string out = "<div class=\"feature\"><h3>Feature " + std::to_string(s.index) +
                      (s.label.empty() ? "" : " — " + htmlEscape(s.label)) + "</h3>";
    out += "<p class=\"muted\">density " + report::formatNumber(s.density) + " · max activation " +
           report::formatNumber(s.maxActivation) + " · mean activation " +
           report::formatNumber(s.meanActivation) + "</p>";
    if (!s.notes.empty())
        out += "<p>" + htmlEscape(s.notes) + "</p>";
    out += "<p>promoted: " + htmlEscape(report::joinTokens(page.logitsPositive, 8)) +
           "<br>suppressed: " + htmlEscape(report::joinTokens(page.logitsNegative, 8)) + "</p>";
    for (int i = 0; i < examples && i < static_cast<int>(page.topExamples.size()); ++i)
        out += exampleHtml(page.topExamples[static_cast<size_t>(i)], s.maxActivation);
    return out + "</div>";
}

} // namespace

std::string renderHtmlReport(const Project& project, int64_t runId, const ReportOptions& options) {
    const RunRecord run = project.run(runId);
    const std::vector<FeatureStats> all = report::allFeatures(project, runId);
    std::string html =
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>miStudio report — run " +
        std::to_string(runId) + "</title>" + kStyle + "</head><body>";
    html +=
        "<h1>" + htmlEscape(run.name.empty() ? "Run " + std::to_string(runId) : run.name) + "</h1>";
    html += "<p class=\"muted\">miStudio " MISTUDIO_VERSION " · status " +
            htmlEscape(runStatusName(run.status)) + " · created " + htmlEscape(run.created) +
            "</p>";
    html += "<h2>Run</h2><table>" + report::runSummaryRows(project, run) + "</table>";
    html += "<h2>SAE configuration</h2><pre>" +
            htmlEscape(nlohmann::json::parse(run.configJson, nullptr, false).dump(2)) + "</pre>";
    html += "<h2>Training curves</h2>" + trainingCurves(project, runId);
    html += "<h2>Evaluation</h2>" + evalTable(project, runId);
    html += "<h2>Feature density</h2>" + densityHistogram(all);
    const std::vector<int64_t> chosen =
        report::selectFeatures(all, options.featureSelection, options.topFeatures);
    html += "<h2>Top features (" + htmlEscape(options.featureSelection) + ")</h2>";
    if (chosen.empty())
        html += "<p class=\"muted\">No features match this selection.</p>";
    for (int64_t index : chosen)
        html += featureSection(project.featurePage(runId, index), options.examplesPerFeature);
    return html + "</body></html>\n";
}

} // namespace mistudio
