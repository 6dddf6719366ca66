// The pipeline job: each stage reads what the previous one left on disk, so a re-run after a kill
// resumes (complete activation shards are kept, training continues from its checkpoint).
#include "mistudio/pipeline.h"

#include "activations/extract.h"
#include "mistudio/analysis.h"
#include "mistudio/environment.h"
#include "mistudio/hub.h"
#include "mistudio/model_info.h"
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "model/transformer.h"
#include "pipeline/run_spec.h"
#include "quant/quant.h"
#include "sae/eval_model.h"
#include "sae/metric_names.h"
#include "sae/metrics.h"
#include "sae/run.h"
#include "sae/saelens.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>

namespace mistudio {

namespace {
namespace fs = std::filesystem;

/// FNV-1a: a hash that stays the same across builds and machines (std::hash does not promise it).
uint64_t fnv1a(const std::string& text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text)
        h = (h ^ c) * 1099511628211ull;
    return h;
}

/// A run of the project with the same configuration and name that did not finish, or a new one.
int64_t findOrCreateRun(Project& project, const std::string& configJson, const std::string& name,
                        const std::string& hook, const std::string& architecture, int64_t modelId,
                        int64_t datasetId, const std::string& device) {
    for (const auto& r : project.runs())
        if (r.configJson == configJson && r.name == name && r.status == RunStatus::Running)
            return r.id; // resumable: it was killed mid-way
    RunRecord run;
    run.name = name;
    run.modelId = modelId;
    run.datasetId = datasetId;
    run.configJson = configJson;
    run.device = device;
    run.hook = hook;
    run.architecture = architecture;
    return project.createRun(run);
}

/// A dataset spec on disk: local paths as they are; hf: specs downloaded into the cache.
std::string localDataset(const std::string& spec, JobContext& ctx) {
    if (!hub::isHubDatasetSpec(spec))
        return spec;
    const auto files = hub::resolveDatasetFiles(spec, hub::HubSettings::fromEnvironment(), &ctx);
    if (files.empty())
        throw Exception(ErrorCode::NotFound, "the dataset has no data files", spec,
                        "Check the config and split");
    return fs::path(files.front()).parent_path().string();
}

int64_t recordModel(Project& project, const std::string& ref, const std::string& folder,
                    const ModelInfo& info, const std::string& quant, const std::string& device) {
    ModelRecord m;
    m.hubId = ref;
    m.localPath = folder;
    m.family = info.modelType;
    m.dModel = info.dModel;
    m.nLayers = info.nLayers;
    m.vocabSize = info.vocabSize;
    m.quantSaved = info.dtype;
    m.quantRequested = quant;
    // What runs: bf16/fp16 fall back to fp32 on the CPU (quant::resolveComputeType).
    m.quantEffective = quant::quantModeName(
        quant::resolveComputeType(quant::parseQuantMode(quant), at::kFloat, device).mode);
    return project.addModel(m);
}

/// Trains the SAE(s) of one hook from its activation cache (a sweep shares the stream), streaming
/// each SAE's live metrics into its run.
std::vector<sae::RunResult> train(Project& project, const std::map<std::string, int64_t>& runIds,
                                  const pipeline::RunSpec& spec, const std::string& hook,
                                  const std::string& folder, const std::string& cache,
                                  const fs::path& out, JobContext& ctx) {
    sae::RunConfig rc;
    rc.model = folder;
    rc.hook = hook;
    // No dataset: runTraining would splice-evaluate it; the pipeline does that in evaluate().
    rc.quant = spec.quant;
    rc.device = spec.device;
    rc.activations = cache;
    rc.tokens = spec.tokens;
    rc.contextLength = spec.contextLength;
    rc.seed = spec.seed;
    rc.out = out.string();
    rc.sae = spec.sae;
    const bool resume = fs::exists(out / "checkpoint");
    std::map<int64_t, std::vector<MetricPoint>> pending;
    auto flush = [&] {
        for (auto& [runId, points] : pending)
            project.appendMetrics(runId, points);
        pending.clear();
    };
    size_t buffered = 0;
    auto results =
        sae::runTraining(ctx, rc, resume, [&](const std::string& name, const sae::StepMetrics& m) {
            auto& points = pending[runIds.at(name)];
            for (auto& p : sae::stepMetricPoints(m))
                points.push_back(std::move(p));
            if (++buffered % 16 == 0)
                flush();
        });
    flush();
    if (results.size() != runIds.size())
        throw Exception(ErrorCode::Internal,
                        "training produced " + std::to_string(results.size()) + " SAEs, expected " +
                            std::to_string(runIds.size()),
                        out.string(), "");
    return results;
}

/// Evaluation with the SAE spliced into the model, on held-out windows shared by every SAE.
nlohmann::json evaluate(Project& project, int64_t runId, model::Transformer& model,
                        const std::string& hook, const std::vector<data::TokenWindow>& windows,
                        const sae::SaeModel& sae) {
    const sae::EvalMetrics e = sae::evaluateSpliced(sae, model, hook, windows);
    project.writeEvals(runId, sae::evalValues(e));
    return sae::evalMetricsJson(e);
}

/// One SAE of the run: a hook and one entry of the `sae` sweep, recorded as its own project run.
struct Target {
    std::string hook, saeName, runName, architecture;
    int64_t runId = 0;
};

std::vector<Target> planTargets(const pipeline::RunSpec& spec, int64_t dModel) {
    const auto saes = sae::parseSaeConfigs(spec.sae, dModel);
    std::vector<Target> out;
    for (const auto& hook : spec.hooks)
        for (const auto& c : saes) {
            Target t{hook, c.name, hook, architectureName(c.architecture), 0};
            if (saes.size() > 1)
                t.runName += "/" + c.name;
            out.push_back(t);
        }
    return out;
}

/// Marks every run of the job that did not finish as failed or cancelled, then rethrows.
[[noreturn]] void failRuns(Project& project, const std::vector<Target>& targets) {
    auto mark = [&](RunStatus status, const std::string& why) {
        for (const auto& t : targets)
            if (project.run(t.runId).status == RunStatus::Running)
                project.setRunStatus(t.runId, status, why);
    };
    try {
        throw;
    } catch (const Exception& e) {
        mark(e.code() == ErrorCode::Cancelled ? RunStatus::Cancelled : RunStatus::Failed, e.what());
        throw;
    } catch (const std::exception& e) {
        mark(RunStatus::Failed, e.what());
        throw;
    }
}

activations::ExtractSummary extract(const pipeline::RunSpec& spec, bool ignoreMemoryCheck,
                                    const std::string& folder, const std::string& dataset,
                                    const fs::path& runDir, JobContext& ctx) {
    activations::ExtractRequest er;
    er.model = folder;
    er.hooks = spec.hooks;
    er.dataset.path = dataset;
    er.dataset.textField = spec.textField;
    er.tokens = spec.tokens;
    er.contextLength = static_cast<int>(spec.contextLength);
    er.quantization = spec.quant;
    er.device = spec.device;
    er.dtype = spec.dtype;
    er.outDir = (runDir / "activations").string();
    er.ignoreMemoryCheck = ignoreMemoryCheck;
    return activations::extractActivations(er, ctx);
}

AnalysisOptions analysisOptions(const pipeline::RunSpec& spec, const std::string& folder,
                                const std::string& dataset) {
    AnalysisOptions ao;
    ao.tokens =
        spec.analysisTokens > 0 ? spec.analysisTokens : std::min<int64_t>(spec.tokens, 200'000);
    ao.dataset = dataset;
    ao.textField = spec.textField;
    ao.modelPath = folder;
    ao.device = spec.device;
    ao.contextLength = static_cast<int>(spec.contextLength);
    return ao;
}
} // namespace

PipelineOutcome runPipeline(const PipelineRequest& req, JobContext& ctx) {
    const nlohmann::json json = nlohmann::json::parse(req.runJson, nullptr, false);
    if (json.is_discarded())
        throw Exception(ErrorCode::InvalidFormat, "RUN.json is not valid JSON", req.source,
                        "Fix the JSON syntax");
    const pipeline::RunSpec spec = pipeline::parseRunSpec(json, req.source);
    checkDevice(spec.device);
    Project project = Project::openOrCreate(req.projectPath);

    ctx.progress("download", 0, 1, "models");
    const std::string folder =
        hub::resolveModelPath(spec.model, hub::HubSettings::fromEnvironment(), &ctx);
    const std::string dataset = localDataset(spec.dataset, ctx);
    ctx.progress("download", 1, 1, "models");
    ctx.progress("load", 0, 1, "models");
    const ModelInfo info = inspectModel(folder);
    std::vector<Target> targets = planTargets(spec, info.dModel);
    const int64_t modelId = recordModel(project, spec.model, folder, info, spec.quant, spec.device);
    const int64_t datasetId = project.addDataset({0, spec.dataset, 0, 0});
    for (size_t i = 0; i < targets.size(); ++i)
        targets[i].runId =
            findOrCreateRun(project, json.dump(), targets[i].runName, targets[i].hook,
                            targets[i].architecture, modelId, datasetId, spec.device);
    ctx.progress("load", 1, 1, "models");
    // Keyed by the configuration, not the run id: a run re-started after a cancel or a failure
    // gets a new record but finds the shards and the checkpoint the earlier attempt left.
    char key[17];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(fnv1a(json.dump())));
    const fs::path runDir = fs::path(project.assetsDir()) / ("pipeline-" + std::string(key));
    PipelineOutcome outcome;
    try {
        const auto extracted = extract(spec, req.ignoreMemoryCheck, folder, dataset, runDir, ctx);
        project.addDataset({datasetId, spec.dataset, extracted.tokensForwarded, 0});

        // Train every hook's SAEs first (the expensive part), then evaluate and analyze them.
        std::vector<sae::RunResult> trained;
        for (size_t h = 0; h < spec.hooks.size(); ++h) {
            std::map<std::string, int64_t> runIds;
            for (const auto& t : targets)
                if (t.hook == spec.hooks[h])
                    runIds[t.saeName] = t.runId;
            const fs::path out =
                spec.hooks.size() == 1 ? runDir / "sae" : runDir / "sae" / spec.hooks[h];
            for (auto& r : train(project, runIds, spec, spec.hooks[h], folder,
                                 extracted.cacheFolders.at(h), out, ctx))
                trained.push_back(std::move(r));
        }
        ctx.progress("evaluate", 0, static_cast<int64_t>(targets.size()), "SAEs");
        // The SAEs are evaluated spliced into the model they were trained on: the same quant.
        auto model = model::Transformer::open(folder, {.device = spec.device, .quant = spec.quant});
        data::DatasetSpec ds;
        ds.path = dataset;
        ds.textField = spec.textField;
        const auto windows =
            sae::evalWindows(folder, ds, spec.evalTokens, static_cast<int>(spec.contextLength));
        for (size_t i = 0; i < targets.size(); ++i) {
            RunRecord run = project.run(targets[i].runId);
            run.saePath = project.toAssetPath(trained[i].folder);
            run.dIn = info.dModel;
            const sae::SaeModel sae = sae::loadSaeLens(trained[i].folder); // read once
            run.dSae = sae.dSae();
            project.updateRun(run);
            const auto eval = evaluate(project, run.id, *model, targets[i].hook, windows, sae);
            outcome.runs.push_back(
                {run.id, targets[i].hook, targets[i].saeName, trained[i].folder, eval.dump()});
            ctx.progress("evaluate", static_cast<int64_t>(i + 1),
                         static_cast<int64_t>(targets.size()), "SAEs");
        }
        for (const auto& t : targets) {
            runAnalysis(project, t.runId, analysisOptions(spec, folder, dataset), ctx);
            project.setRunStatus(t.runId, RunStatus::Done);
        }
    } catch (...) {
        failRuns(project, targets);
    }
    outcome.runId = outcome.runs.front().runId;
    outcome.saeFolder = outcome.runs.front().saeFolder;
    outcome.evalJson = outcome.runs.front().evalJson;
    return outcome;
}

} // namespace mistudio
