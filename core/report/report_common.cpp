#include "report/report_common.h"

#include "mistudio/report.h"
#include "mistudio/result.h"

#include <algorithm>
#include <cstdio>

namespace mistudio::report {

std::string formatNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::vector<FeatureStats> allFeatures(const Project& project, int64_t runId) {
    FeatureQuery q;
    q.limit = std::max<int64_t>(1, project.featureCount(runId));
    return project.queryFeatures(runId, q).rows;
}

std::vector<int64_t> selectFeatures(const std::vector<FeatureStats>& all,
                                    const std::string& selection, int limit) {
    std::vector<const FeatureStats*> rows;
    for (const auto& f : all)
        if (selection != "labelled" || !f.label.empty())
            rows.push_back(&f);
    if (selection == "frequent" || selection == "labelled")
        std::stable_sort(rows.begin(), rows.end(),
                         [](auto* a, auto* b) { return a->density > b->density; });
    else if (selection == "max")
        std::stable_sort(rows.begin(), rows.end(),
                         [](auto* a, auto* b) { return a->maxActivation > b->maxActivation; });
    else
        throw Exception(ErrorCode::InvalidArgument, "unknown feature selection '" + selection + "'",
                        "report options", "Use frequent, max or labelled");
    std::vector<int64_t> out;
    for (size_t i = 0; i < rows.size() && out.size() < static_cast<size_t>(std::max(0, limit)); ++i)
        if (rows[i]->density > 0 || selection == "labelled")
            out.push_back(rows[i]->index);
    return out;
}

std::string joinTokens(const std::vector<TokenValue>& values, size_t n) {
    std::string out;
    for (size_t i = 0; i < values.size() && i < n; ++i)
        out += (i ? ", " : "") + std::string("\"") + values[i].token + "\"";
    return out;
}

std::string runSummaryRows(const Project& project, const RunRecord& run) {
    auto row = [](const std::string& k, const std::string& v) {
        return "<tr><th>" + htmlEscape(k) + "</th><td>" + htmlEscape(v) + "</td></tr>";
    };
    std::string out =
        row("hook", run.hook) + row("architecture", run.architecture) +
        row("d_in × d_sae", std::to_string(run.dIn) + " × " + std::to_string(run.dSae)) +
        row("device", run.device);
    for (const auto& m : project.models())
        if (run.modelId && m.id == *run.modelId)
            out += row("model", (m.hubId.empty() ? m.localPath : m.hubId) +
                                    (m.revision.empty() ? "" : "@" + m.revision) + " (" + m.family +
                                    ")") +
                   row("quantization", m.quantEffective.empty() ? "none" : m.quantEffective);
    for (const auto& d : project.datasets())
        if (run.datasetId && d.id == *run.datasetId)
            out += row("dataset", d.spec + " (" + std::to_string(d.tokenCount) + " tokens, " +
                                      std::to_string(d.documentCount) + " documents)");
    if (!run.error.empty())
        out += row("error", run.error);
    return out;
}

} // namespace mistudio::report
