// Project browsing commands: runs, features, feature. Read-only views of a NAME.mistudio file.
#include "cli.h"
#include "mistudio/project.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

using nlohmann::json;

int64_t runIdFrom(ArgParser& args) {
    const std::string text = args.required("--run");
    try {
        size_t pos = 0;
        const long long id = std::stoll(text, &pos);
        if (pos == text.size() && id > 0)
            return id;
    } catch (const std::exception&) {
    }
    throw UsageError("--run expects a run id (a positive integer from 'mistudio-cli runs'), got '" +
                     text + "'");
}

json flagsJson(uint32_t flags) {
    json out = json::array();
    if (flags & FeatureDead)
        out.push_back("dead");
    if (flags & FeatureDense)
        out.push_back("dense");
    if (flags & FeatureUltraRare)
        out.push_back("ultra_rare");
    return out;
}

json exampleJson(const FeatureExample& e) {
    json j = {{"tokens", e.tokens},
              {"token_ids", e.tokenIds},
              {"activations", e.activations},
              {"max_position", e.maxPosition},
              {"max_activation", e.activations.at(size_t(e.maxPosition))},
              {"document_id", e.documentId},
              {"document_offset", e.documentOffset}};
    if (e.kind == ExampleKind::Quantile) {
        j["bin"] = e.bin;
        j["bin_min"] = e.binMin;
        j["bin_max"] = e.binMax;
        j["bin_contains"] = e.binContains;
    }
    return j;
}

json examplesJson(const std::vector<FeatureExample>& list) {
    json out = json::array();
    for (const auto& e : list)
        out.push_back(exampleJson(e));
    return out;
}

json tokenValuesJson(const std::vector<TokenValue>& list) {
    json out = json::array();
    for (const auto& t : list)
        out.push_back({{"token", t.token}, {"token_id", t.tokenId}, {"value", t.value}});
    return out;
}

json pageJson(const FeaturePage& p) {
    json neighbors = json::array();
    for (const auto& n : p.neighbors)
        neighbors.push_back({{"index", n.index}, {"cosine", n.cosine}});
    return {{"index", p.stats.index},
            {"density", p.stats.density},
            {"max_activation", p.stats.maxActivation},
            {"mean_activation", p.stats.meanActivation},
            {"label", p.stats.label},
            {"notes", p.stats.notes},
            {"tags", p.stats.tags},
            {"flags", flagsJson(p.stats.flags)},
            {"top_examples", examplesJson(p.topExamples)},
            {"quantile_examples", examplesJson(p.quantileExamples)},
            {"random_examples", examplesJson(p.randomExamples)},
            {"logits_positive", tokenValuesJson(p.logitsPositive)},
            {"logits_negative", tokenValuesJson(p.logitsNegative)},
            {"histogram", {{"edges", p.histogram.edges}, {"counts", p.histogram.counts}}},
            {"neighbors", neighbors}};
}

// One example as text, the peak token in [brackets] and other firing tokens marked with '*'.
std::string exampleText(const FeatureExample& e) {
    std::string out;
    for (size_t i = 0; i < e.tokens.size(); ++i) {
        if (int(i) == e.maxPosition)
            out += "[" + e.tokens[i] + "]";
        else
            out += e.activations[i] > 0 ? "*" + e.tokens[i] : e.tokens[i];
    }
    for (char& c : out)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    return out;
}

void printPage(const FeaturePage& p) {
    std::printf("feature %lld  density %.6g  max %.4g  mean %.4g  label '%s'\n",
                static_cast<long long>(p.stats.index), p.stats.density, p.stats.maxActivation,
                p.stats.meanActivation, p.stats.label.c_str());
    std::printf("\ntop examples:\n");
    for (const auto& e : p.topExamples)
        std::printf("  %8.3f  %s\n", e.activations.at(size_t(e.maxPosition)),
                    exampleText(e).c_str());
    std::printf("\npromotes:");
    for (const auto& t : p.logitsPositive)
        std::printf(" '%s' %+.3f", t.token.c_str(), t.value);
    std::printf("\nsuppresses:");
    for (const auto& t : p.logitsNegative)
        std::printf(" '%s' %+.3f", t.token.c_str(), t.value);
    std::printf("\nneighbors:");
    for (const auto& n : p.neighbors)
        std::printf(" %lld (%.3f)", static_cast<long long>(n.index), n.cosine);
    std::printf("\n");
}

FeatureSort parseSort(const std::string& name) {
    if (name == "index")
        return FeatureSort::Index;
    if (name == "density")
        return FeatureSort::Density;
    if (name == "max")
        return FeatureSort::MaxActivation;
    if (name == "mean")
        return FeatureSort::MeanActivation;
    if (name == "label")
        return FeatureSort::Label;
    throw UsageError("--sort must be one of density, max, mean, index, label; got '" + name + "'");
}

double doubleFlag(const std::string& flag, const std::string& text) {
    try {
        size_t pos = 0;
        const double v = std::stod(text, &pos);
        if (pos == text.size())
            return v;
    } catch (const std::exception&) {
    }
    throw UsageError(flag + " expects a number, got '" + text + "'");
}

FeatureQuery queryFrom(ArgParser& args) {
    FeatureQuery q;
    const std::string sort = args.valueOr("--sort", "index");
    q.sort = parseSort(sort);
    // Statistics read best from the top; the index reads naturally from 0.
    const std::string order =
        args.valueOr("--order", sort == "index" || sort == "label" ? "asc" : "desc");
    if (order != "asc" && order != "desc")
        throw UsageError("--order must be asc or desc");
    q.descending = order == "desc";
    q.limit = args.intOr("--limit", -1);
    if (q.limit == -1)
        q.limit = int64_t(1) << 40; // all
    else if (q.limit < 0)
        throw UsageError("--limit must be >= 0");
    q.offset = args.intOr("--offset", 0);
    if (q.offset < 0)
        throw UsageError("--offset must be >= 0");
    if (auto v = args.value("--min-density"))
        q.minDensity = doubleFlag("--min-density", *v);
    if (auto v = args.value("--max-density"))
        q.maxDensity = doubleFlag("--max-density", *v);
    q.text = args.valueOr("--search", "");
    q.firesOnToken = args.valueOr("--fires-on", "");
    return q;
}

} // namespace

int runRuns(ArgParser& args) {
    const std::string path = args.required("--project");
    const bool asJson = args.flag("--json");
    args.finish();
    const Project project = Project::open(path);
    const auto runs = project.runs();
    if (asJson) {
        json out = json::array();
        for (const auto& r : runs)
            out.push_back({{"id", r.id},
                           {"status", runStatusName(r.status)},
                           {"hook", r.hook},
                           {"architecture", r.architecture},
                           {"d_sae", r.dSae},
                           {"created", r.created},
                           {"name", r.name}});
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::printf("%-6s %-10s %-30s %-10s %-8s %s\n", "id", "status", "hook", "arch", "d_sae",
                "created");
    for (const auto& r : runs)
        std::printf("%-6lld %-10s %-30s %-10s %-8lld %s\n", static_cast<long long>(r.id),
                    runStatusName(r.status), r.hook.c_str(), r.architecture.c_str(),
                    static_cast<long long>(r.dSae), r.created.c_str());
    return 0;
}

int runFeatures(ArgParser& args) {
    const std::string path = args.required("--project");
    const int64_t runId = runIdFrom(args);
    const FeatureQuery q = queryFrom(args);
    const bool asJson = args.flag("--json");
    args.finish();
    const Project project = Project::open(path);
    const FeatureList list = project.queryFeatures(runId, q);
    if (asJson) {
        json out = json::array();
        for (const auto& s : list.rows)
            out.push_back({{"index", s.index},
                           {"density", s.density},
                           {"max_activation", s.maxActivation},
                           {"mean_activation", s.meanActivation},
                           {"label", s.label}});
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::printf("%-8s %-12s %-10s %-10s %s\n", "index", "density", "max", "mean", "label");
    for (const auto& s : list.rows)
        std::printf("%-8lld %-12.6g %-10.4g %-10.4g %s\n", static_cast<long long>(s.index),
                    s.density, s.maxActivation, s.meanActivation, s.label.c_str());
    std::printf("(%zu of %lld matching features)\n", list.rows.size(),
                static_cast<long long>(list.total));
    return 0;
}

int runFeature(ArgParser& args) {
    const std::string path = args.required("--project");
    const int64_t runId = runIdFrom(args);
    const long long index = args.intOr("--index", -1);
    if (index < 0)
        throw UsageError("--index is required and must be >= 0");
    const bool asJson = args.flag("--json");
    args.finish();
    const Project project = Project::open(path);
    const FeaturePage page = project.featurePage(runId, index);
    if (asJson)
        std::cout << pageJson(page).dump(2) << "\n";
    else
        printPage(page);
    return 0;
}

} // namespace mistudio::cli
