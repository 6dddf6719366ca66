// mistudio-cli analyze: the feature analysis job of a run; import-sae: record a published SAE in
// SAELens format as a run so it can be analysed and browsed like a trained one.
#include "cli.h"
#include "mistudio/analysis.h"
#include "mistudio/engine.h"
#include "mistudio/hub.h"
#include "mistudio/import_sae.h"
#include "mistudio/result.h"
#include "project_records.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void onInterrupt(int) {
    g_interrupted = true;
}

long long positive(ArgParser& args, const std::string& flag, long long fallback) {
    const long long v = args.intOr(flag, fallback);
    if (v <= 0)
        throw UsageError(flag + " must be a positive integer");
    return v;
}

} // namespace

int runImportSae(ArgParser& args) {
    const std::string projectPath = args.required("--project");
    SaeImportRequest request;
    request.sae = args.required("--sae");
    request.model = args.required("--model");
    request.hook = args.valueOr("--hook", "");
    request.name = args.valueOr("--name", "");
    args.finish();
    // Everything is checked before the project is opened (or created).
    const ResolvedSaeImport resolved =
        resolveSaeImport(request, hub::HubSettings::fromEnvironment(), nullptr);
    Project project = Project::openOrCreate(projectPath);
    const RunRecord run = recordSaeImport(project, resolved);
    std::cout << nlohmann::json{{"id", run.id},
                                {"hook", run.hook},
                                {"architecture", run.architecture},
                                {"d_sae", run.dSae},
                                {"sae_path", run.saePath}}
                     .dump()
              << std::endl;
    return 0;
}

int runAnalyze(ArgParser& args) {
    const std::string projectPath = args.required("--project");
    const int64_t runId = parseRunId(args.required("--run"));
    AnalysisOptions o;
    o.tokens = positive(args, "--tokens", o.tokens);
    o.dataset = args.valueOr("--dataset", "");
    o.textField = args.valueOr("--text-field", o.textField);
    o.device = args.valueOr("--device", o.device);
    o.modelPath = args.valueOr("--model", "");
    o.contextLength = static_cast<int>(positive(args, "--context-length", o.contextLength));
    o.batchTokens = args.intOr("--batch-tokens", 0);
    if (o.batchTokens < 0)
        throw UsageError("--batch-tokens must be >= 0 (0 picks it from d_sae)");
    args.finish();
    if (hub::isHubDatasetSpec(o.dataset)) {
        // The split's files (downloaded into the HF cache when missing) share one folder.
        const auto files =
            hub::resolveDatasetFiles(o.dataset, hub::HubSettings::fromEnvironment(), nullptr);
        o.dataset = std::filesystem::path(files.front()).parent_path().string();
    }
    Project project = Project::open(projectPath);
    if (!o.dataset.empty()) {
        DatasetRecord d;
        d.spec = std::filesystem::absolute(o.dataset).lexically_normal().string();
        o.dataset = d.spec;
        project.addDataset(d);
    }
    AnalysisSummary summary;
    Engine engine;
    JobOptions jo;
    jo.name = "analyze";
    jo.queueEvents = false;
    jo.onEvent = [](uint64_t, const JobEvent& ev) {
        if (const auto* p = std::get_if<ProgressEvent>(&ev))
            std::cerr << "\r" << p->stage << ": " << int64_t(p->done) << " / " << int64_t(p->total)
                      << " " << p->unit << "   " << std::flush;
    };
    JobHandle job =
        engine.submit([&](JobContext& ctx) { summary = runAnalysis(project, runId, o, ctx); }, jo);
    g_interrupted = false;
    auto previous = std::signal(SIGINT, onInterrupt);
    std::optional<FinishedEvent> fin;
    while (!(fin = job.waitFor(std::chrono::milliseconds(100))))
        if (g_interrupted)
            job.cancel();
    std::signal(SIGINT, previous);
    std::cerr << "\n";
    if (!fin->ok) {
        std::cerr << (fin->error.code == ErrorCode::Cancelled ? "cancelled" : "error: ")
                  << (fin->error.code == ErrorCode::Cancelled ? "" : fin->error.message) << "\n";
        return 1;
    }
    std::cout << nlohmann::json{{"run", runId},
                                {"tokens", summary.tokens},
                                {"features", summary.features},
                                {"dead", summary.dead},
                                {"dense", summary.dense},
                                {"ultra_rare", summary.ultraRare}}
                     .dump()
              << std::endl;
    return 0;
}

} // namespace mistudio::cli
