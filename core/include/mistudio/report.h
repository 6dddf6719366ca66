#pragma once
// Exports of a run recorded in a project: a self-contained HTML report, features as CSV and JSON,
// Neuronpedia-style batch files and the run's SAELens folder.

#include "mistudio/project.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mistudio {

struct ReportOptions {
    /// Which features the HTML report shows: "frequent" (highest density), "max" (highest max
    /// activation) or "labelled" (those with a label, most frequent first).
    std::string featureSelection = "frequent";
    int topFeatures = 40;
    int examplesPerFeature = 4;
    /// Features per Neuronpedia batch file.
    int neuronpediaBatchSize = 128;
};

/// The metric definitions printed in reports (name, formula in words), in display order.
const std::vector<std::pair<std::string, std::string>>& metricDefinitions();

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string htmlEscape(std::string_view text);

/// The whole HTML report as a string (inline CSS and SVG; opens offline).
std::string renderHtmlReport(const Project& project, int64_t runId, const ReportOptions& options);
/// Features as CSV: index,density,max_activation,mean_activation,label,flags,top_tokens,notes,tags.
std::string renderFeaturesCsv(const Project& project, int64_t runId);
/// Features as a JSON array (stats, label, notes, tags, promoted/suppressed tokens).
std::string renderFeaturesJson(const Project& project, int64_t runId);

/// Writes one of the exports to `outPath` (file, or folder for "neuronpedia" and "saelens");
/// `format` is "html", "csv", "json", "neuronpedia" or "saelens" (a copy of the run's SAE folder;
/// refuses an existing folder). Files are written atomically. Returns the files written.
std::vector<std::string> exportRun(const Project& project, int64_t runId, const std::string& format,
                                   const std::string& outPath, const ReportOptions& options = {});

} // namespace mistudio
