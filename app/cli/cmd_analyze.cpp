// mistudio-cli analyze: the feature analysis job of a run; import-sae: record a published SAE in
// SAELens format as a run so it can be analysed and browsed like a trained one.
#include "cli.h"
#include "mistudio/analysis.h"
#include "mistudio/engine.h"
#include "mistudio/hub.h"
#include "mistudio/model_info.h"
#include "mistudio/result.h"
#include "project_records.h"
#include "sae/saelens.h"

#include <algorithm>
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

const char* inferenceName(sae::InferenceKind k) {
    switch (k) {
    case sae::InferenceKind::TopK: return "topk";
    case sae::InferenceKind::JumpReLU: return "jumprelu";
    case sae::InferenceKind::ReLU: break;
    }
    return "relu";
}

/// SAELens keeps the hook at the top level (v3-5) or under "metadata" (v6).
std::string cfgHook(const nlohmann::json& cfg) {
    for (const auto* where : {&cfg, cfg.contains("metadata") ? &cfg["metadata"] : nullptr})
        if (where && where->contains("hook_name") && (*where)["hook_name"].is_string())
            return (*where)["hook_name"].get<std::string>();
    return {};
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
    const std::string saeRef = args.required("--sae");
    const std::string modelRef = args.required("--model");
    const std::string hookFlag = args.valueOr("--hook", "");
    const std::string name = args.valueOr("--name", "");
    args.finish();
    // Local folders as they are; hf:REPO[/SUBFOLDER] and Hub model ids through the HF cache.
    const hub::HubSettings hubSettings = hub::HubSettings::fromEnvironment();
    const std::string saeDir = hub::resolveSaeFolder(saeRef, hubSettings, nullptr);
    const std::string modelDir = hub::resolveModelPath(modelRef, hubSettings, nullptr);
    const sae::SaeModel model = sae::loadSaeLens(saeDir);
    const std::string hook = hookFlag.empty() ? cfgHook(model.cfg) : hookFlag;
    if (hook.empty())
        throw Exception(ErrorCode::InvalidFormat, "the SAE's cfg.json names no hook_name",
                        saeDir + "/cfg.json", "pass --hook blocks.L.hook_resid_post");
    const ModelInfo info = inspectModel(modelDir);
    if (std::find(info.hookPoints.begin(), info.hookPoints.end(), hook) == info.hookPoints.end())
        throw Exception(ErrorCode::InvalidArgument, "the model has no hook point '" + hook + "'",
                        modelDir, "run 'mistudio-cli inspect MODEL' for its hook names");
    if (info.dModel != model.dIn())
        throw Exception(ErrorCode::InvalidArgument,
                        "the SAE reads d_in " + std::to_string(model.dIn()) +
                            " but the model's d_model is " + std::to_string(info.dModel),
                        saeDir, "import the SAE with the model it was trained on");
    Project project = Project::openOrCreate(projectPath);
    RunRecord run;
    run.name =
        name.empty() ? std::filesystem::path(saeDir).lexically_normal().filename().string() : name;
    run.modelId = recordModel(project, modelDir);
    run.configJson = nlohmann::json{{"imported_from", saeDir}, {"cfg", model.cfg}}.dump();
    run.hook = hook;
    run.architecture = inferenceName(model.kind);
    run.dIn = model.dIn();
    run.dSae = model.dSae();
    run.device = "cpu";
    run.id = project.createRun(run);
    try {
        run.saePath = copySaeIntoAssets(project, run.id, saeDir);
        project.updateRun(run);
    } catch (const Exception& e) {
        project.setRunStatus(run.id, RunStatus::Failed, e.what());
        throw;
    }
    project.setRunStatus(run.id, RunStatus::Done);
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
        const auto files = hub::resolveDatasetFiles(o.dataset, hub::HubSettings::fromEnvironment(), nullptr);
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
