// CSV, JSON and Neuronpedia-style exports of a run's features, and the export dispatcher.
#include "mistudio/atomic_file.h"
#include "mistudio/report.h"
#include "mistudio/result.h"
#include "report/report_common.h"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace mistudio {

namespace {

namespace fs = std::filesystem;

std::string csvField(const std::string& v) {
    if (v.find_first_of(",\"\n\r") == std::string::npos)
        return v;
    std::string out = "\"";
    for (char c : v)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string flagNames(uint32_t flags) {
    std::string out;
    if (flags & FeatureDead)
        out += "dead;";
    if (flags & FeatureDense)
        out += "dense;";
    if (flags & FeatureUltraRare)
        out += "ultra_rare;";
    if (!out.empty())
        out.pop_back();
    return out;
}

nlohmann::json tokenValues(const std::vector<TokenValue>& values) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& v : values)
        a.push_back({{"token", v.token}, {"token_id", v.tokenId}, {"value", v.value}});
    return a;
}

/// One feature in SAEDashboard's `neuronpedia_feature.py` layout.
nlohmann::json neuronpediaFeature(const FeaturePage& p) {
    nlohmann::json f;
    f["feature_index"] = p.stats.index;
    f["frac_nonzero"] = p.stats.density;
    f["max_act_approx"] = p.stats.maxActivation;
    for (const char* side : {"pos", "neg"}) {
        const auto& list = std::string(side) == "pos" ? p.logitsPositive : p.logitsNegative;
        nlohmann::json strs = nlohmann::json::array(), vals = nlohmann::json::array();
        for (const auto& v : list)
            strs.push_back(v.token), vals.push_back(v.value);
        f[std::string(side) + "_str"] = strs;
        f[std::string(side) + "_values"] = vals;
    }
    nlohmann::json heights = nlohmann::json::array(), centers = nlohmann::json::array();
    for (size_t i = 0; i < p.histogram.counts.size(); ++i) {
        heights.push_back(p.histogram.counts[i]);
        centers.push_back(0.5 * (p.histogram.edges[i] + p.histogram.edges[i + 1]));
    }
    f["freq_hist_data_bar_heights"] = heights;
    f["freq_hist_data_bar_values"] = centers;
    nlohmann::json neighbors = nlohmann::json::array(), cos = nlohmann::json::array();
    for (const auto& n : p.neighbors)
        neighbors.push_back(n.index), cos.push_back(n.cosine);
    f["topk_cos_sim_indices"] = neighbors;
    f["topk_cos_sim_values"] = cos;
    nlohmann::json acts = nlohmann::json::array();
    auto addExamples = [&](const std::vector<FeatureExample>& list) {
        for (const auto& e : list)
            acts.push_back({{"bin_min", e.binMin},
                            {"bin_max", e.binMax},
                            {"bin_contains", e.binContains},
                            {"tokens", e.tokens},
                            {"values", e.activations},
                            {"data_index", e.documentId}});
    };
    addExamples(p.topExamples);
    addExamples(p.quantileExamples);
    f["activations"] = acts;
    return f;
}

std::vector<std::string> exportNeuronpedia(const Project& project, int64_t runId,
                                           const std::string& dir, int batchSize) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Exception(ErrorCode::Io, "cannot create the export folder: " + ec.message(), dir,
                        "Choose a writable folder");
    const RunRecord run = project.run(runId);
    const auto all = report::allFeatures(project, runId);
    std::vector<std::string> files;
    nlohmann::json skipped = nlohmann::json::array();
    nlohmann::json batch = nlohmann::json::array();
    auto flush = [&] {
        if (batch.empty())
            return;
        const std::string path =
            (fs::path(dir) / ("batch-" + std::to_string(files.size()) + ".json")).string();
        nlohmann::json doc = {{"layer", run.hook}, {"sae_set", run.name}, {"features", batch}};
        writeFileAtomically(path, doc.dump());
        files.push_back(path);
        batch = nlohmann::json::array();
    };
    for (const auto& f : all) {
        if (f.flags & FeatureDead) { // Neuronpedia skips dashboards of dead features
            skipped.push_back(f.index);
            continue;
        }
        batch.push_back(neuronpediaFeature(project.featurePage(runId, f.index)));
        if (static_cast<int>(batch.size()) >= std::max(1, batchSize))
            flush();
    }
    flush();
    const std::string skippedPath = (fs::path(dir) / "skipped_indexes.json").string();
    writeFileAtomically(skippedPath, nlohmann::json{{"skipped_indexes", skipped}}.dump());
    files.push_back(skippedPath);
    const std::string settingsPath = (fs::path(dir) / "run_settings.json").string();
    writeFileAtomically(settingsPath,
                        nlohmann::json::parse(run.configJson, nullptr, false).dump(2));
    files.push_back(settingsPath);
    return files;
}

/// Copies the run's SAELens folder (cfg.json, sae_weights.safetensors, sparsity.safetensors) to
/// `out` through a temporary folder renamed at the end.
void exportSaeLens(const Project& project, const RunRecord& run, const std::string& out) {
    if (run.saePath.empty())
        throw Exception(ErrorCode::NotFound, "run " + std::to_string(run.id) + " has no saved SAE",
                        project.path(), "Export after training finished (status done)");
    const fs::path source = project.resolveAssetPath(run.saePath);
    if (!fs::is_directory(source))
        throw Exception(ErrorCode::NotFound,
                        "the SAE folder of run " + std::to_string(run.id) + " is missing",
                        source.string(), "The project's assets folder was moved or deleted");
    if (fs::exists(out))
        throw Exception(ErrorCode::InvalidArgument, "the output folder already exists", out,
                        "Choose a new folder name");
    const fs::path tmp = fs::path(out).string() + ".tmp";
    fs::remove_all(tmp);
    fs::copy(source, tmp, fs::copy_options::recursive);
    fs::rename(tmp, out);
}

} // namespace

std::string renderFeaturesCsv(const Project& project, int64_t runId) {
    std::string out =
        "index,density,max_activation,mean_activation,label,flags,top_tokens,notes,tags\n";
    for (const auto& f : report::allFeatures(project, runId)) {
        const FeaturePage page = project.featurePage(runId, f.index);
        std::string tags;
        for (const auto& t : f.tags)
            tags += (tags.empty() ? "" : ";") + t;
        out += std::to_string(f.index) + "," + report::formatNumber(f.density) + "," +
               report::formatNumber(f.maxActivation) + "," +
               report::formatNumber(f.meanActivation) + "," + csvField(f.label) + "," +
               flagNames(f.flags) + "," + csvField(report::joinTokens(page.logitsPositive, 5)) +
               "," + csvField(f.notes) + "," + csvField(tags) + "\n";
    }
    return out;
}

std::string renderFeaturesJson(const Project& project, int64_t runId) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : report::allFeatures(project, runId)) {
        const FeaturePage page = project.featurePage(runId, f.index);
        out.push_back({{"index", f.index},
                       {"density", f.density},
                       {"max_activation", f.maxActivation},
                       {"mean_activation", f.meanActivation},
                       {"label", f.label},
                       {"notes", f.notes},
                       {"tags", f.tags},
                       {"flags", flagNames(f.flags)},
                       {"logits_positive", tokenValues(page.logitsPositive)},
                       {"logits_negative", tokenValues(page.logitsNegative)}});
    }
    return out.dump(1);
}

std::vector<std::string> exportRun(const Project& project, int64_t runId, const std::string& format,
                                   const std::string& outPath, const ReportOptions& options) {
    const RunRecord run = project.run(runId); // NotFound before anything is written
    if (format == "saelens") {
        exportSaeLens(project, run, outPath);
        return {outPath};
    }
    if (format == "neuronpedia")
        return exportNeuronpedia(project, runId, outPath, options.neuronpediaBatchSize);
    std::string content;
    if (format == "html")
        content = renderHtmlReport(project, runId, options);
    else if (format == "csv")
        content = renderFeaturesCsv(project, runId);
    else if (format == "json")
        content = renderFeaturesJson(project, runId);
    else
        throw Exception(ErrorCode::InvalidArgument, "unknown export format '" + format + "'",
                        "--format", "Use saelens, neuronpedia, csv, json or html");
    writeFileAtomically(outPath, content);
    return {outPath};
}

} // namespace mistudio
