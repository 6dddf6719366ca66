// The pipeline job: each stage reads what the previous one left on disk, so a re-run after a kill
// resumes (complete activation shards are kept, training continues from its checkpoint).
#include "mistudio/pipeline.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "activations/extract.h"
#include "mistudio/analysis.h"
#include "mistudio/environment.h"
#include "mistudio/hub.h"
#include "mistudio/model_info.h"
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "model/transformer.h"
#include "pipeline/run_spec.h"
#include "sae/eval_model.h"
#include "sae/run.h"
#include "sae/saelens.h"

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

/// A run of the project with the same configuration that did not finish, or a new one.
int64_t findOrCreateRun(Project& project, const std::string& configJson, const pipeline::RunSpec& spec,
                        int64_t modelId, int64_t datasetId, const std::string& device) {
    for (const auto& r : project.runs())
        if (r.configJson == configJson && r.status == RunStatus::Running)
            return r.id;  // resumable: it was killed mid-way
    RunRecord run;
    run.name = spec.hooks.front();
    run.modelId = modelId;
    run.datasetId = datasetId;
    run.configJson = configJson;
    run.device = device;
    run.hook = spec.hooks.front();
    run.architecture = spec.sae.value("architecture", "batchtopk");
    return project.createRun(run);
}

/// A dataset spec on disk: local paths as they are; hf: specs downloaded into the cache.
std::string localDataset(const std::string& spec, JobContext& ctx) {
    if (!hub::isHubDatasetSpec(spec))
        return spec;
    const auto files = hub::resolveDatasetFiles(spec, hub::HubSettings::fromEnvironment(), &ctx);
    if (files.empty())
        throw Exception(ErrorCode::NotFound, "the dataset has no data files", spec, "Check the config and split");
    return fs::path(files.front()).parent_path().string();
}

int64_t recordModel(Project& project, const std::string& ref, const std::string& folder, const ModelInfo& info,
                    const std::string& quant) {
    ModelRecord m;
    m.hubId = ref;
    m.localPath = folder;
    m.family = info.modelType;
    m.dModel = info.dModel;
    m.nLayers = info.nLayers;
    m.vocabSize = info.vocabSize;
    m.quantSaved = info.dtype;
    m.quantRequested = quant;
    m.quantEffective = quant;
    return project.addModel(m);
}

/// Trains the run's SAE from the activation cache, streaming live metrics into the project.
sae::RunResult train(Project& project, int64_t runId, const pipeline::RunSpec& spec, const std::string& folder,
                     const std::string& cache, const fs::path& out, JobContext& ctx) {
    sae::RunConfig rc;
    rc.model = folder;
    rc.hook = spec.hooks.front();
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
    std::vector<MetricPoint> pending;
    auto flush = [&] {
        project.appendMetrics(runId, pending);
        pending.clear();
    };
    auto results = sae::runTraining(ctx, rc, resume, [&](const std::string&, const sae::StepMetrics& m) {
        for (auto [name, value] : {std::pair{"loss", m.loss}, {"mse", m.mse}, {"fvu", m.fvu}, {"l0", m.l0},
                                   {"aux_loss", m.auxLoss}, {"sparsity_loss", m.sparsityLoss},
                                   {"dead_count", double(m.deadCount)}, {"dense_count", double(m.denseCount)},
                                   {"lr", m.lr}, {"tokens_per_s", m.tokensPerSecond}})
            pending.push_back({m.step, name, value});
        if (pending.size() >= 200)
            flush();
    });
    flush();
    if (results.empty())
        throw Exception(ErrorCode::Internal, "training produced no SAE", out.string(), "");
    return results.front();
}

nlohmann::json evaluate(Project& project, int64_t runId, const pipeline::RunSpec& spec, const std::string& folder,
                        const std::string& dataset, const std::string& saeFolder, JobContext& ctx) {
    ctx.progress("evaluate", 0, 1, "runs");
    auto model = model::Transformer::open(folder, {.device = spec.device});
    data::DatasetSpec ds;
    ds.path = dataset;
    ds.textField = spec.textField;
    const auto windows = sae::evalWindows(folder, ds, spec.evalTokens, static_cast<int>(spec.contextLength));
    const sae::SaeModel sae = sae::loadSaeLens(saeFolder);
    const sae::EvalMetrics e = sae::evaluateSpliced(sae, *model, spec.hooks.front(), windows);
    const std::vector<EvalValue> evals = {
        {"l0", e.l0}, {"explained_variance", e.explainedVariance}, {"mse", e.mse}, {"cos_sim", e.cosSim},
        {"l2_ratio", e.l2Ratio}, {"relative_reconstruction_bias", e.relativeReconstructionBias},
        {"ce_clean", e.ceClean}, {"ce_spliced", e.ceSpliced}, {"ce_zero", e.ceZero}, {"delta_ce", e.deltaCe},
        {"ce_loss_recovered", e.ceLossRecovered}, {"kl", e.kl}, {"dead_fraction", e.deadFraction},
        {"dense_fraction", e.denseFraction}};
    project.writeEvals(runId, evals);
    nlohmann::json j;
    for (const auto& v : evals)
        j[v.metric] = std::isfinite(v.value) ? nlohmann::json(v.value) : nlohmann::json(nullptr);
    ctx.progress("evaluate", 1, 1, "runs");
    return j;
}
}  // namespace

PipelineOutcome runPipeline(const PipelineRequest& req, JobContext& ctx) {
    const nlohmann::json json = nlohmann::json::parse(req.runJson, nullptr, false);
    if (json.is_discarded())
        throw Exception(ErrorCode::InvalidFormat, "RUN.json is not valid JSON", req.source, "Fix the JSON syntax");
    const pipeline::RunSpec spec = pipeline::parseRunSpec(json, req.source);
    if (spec.hooks.size() != 1 || spec.sae.is_array())
        throw Exception(ErrorCode::Unsupported, "the pipeline trains one SAE at one hook per run", req.source,
                        "Give one hook and one sae object, or use extract + train for sweeps");
    checkDevice(spec.device);
    Project project = Project::openOrCreate(req.projectPath);

    ctx.progress("download", 0, 1, "models");
    const std::string folder = hub::resolveModelPath(spec.model, hub::HubSettings::fromEnvironment(), &ctx);
    const std::string dataset = localDataset(spec.dataset, ctx);
    ctx.progress("download", 1, 1, "models");
    ctx.progress("load", 0, 1, "models");
    const ModelInfo info = inspectModel(folder);
    const int64_t modelId = recordModel(project, spec.model, folder, info, spec.quant);
    const int64_t datasetId = project.addDataset({0, spec.dataset, 0, 0});
    const int64_t runId = findOrCreateRun(project, json.dump(), spec, modelId, datasetId, spec.device);
    ctx.progress("load", 1, 1, "models");
    // Keyed by the configuration, not the run id: a run re-started after a cancel or a failure
    // gets a new record but finds the shards and the checkpoint the earlier attempt left.
    char key[17];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(fnv1a(json.dump())));
    const fs::path runDir = fs::path(project.assetsDir()) / ("pipeline-" + std::string(key));
    PipelineOutcome outcome;
    outcome.runId = runId;
    try {
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
        const auto extracted = activations::extractActivations(er, ctx);
        project.addDataset({datasetId, spec.dataset, extracted.tokensForwarded, 0});

        const sae::RunResult trained = train(project, runId, spec, folder, extracted.cacheFolders.front(),
                                             runDir / "sae", ctx);
        outcome.saeFolder = trained.folder;
        RunRecord run = project.run(runId);
        run.saePath = project.toAssetPath(trained.folder);
        const sae::SaeModel sae = sae::loadSaeLens(trained.folder);
        run.dIn = info.dModel;
        run.dSae = sae.dSae();
        project.updateRun(run);

        outcome.evalJson = evaluate(project, runId, spec, folder, dataset, trained.folder, ctx).dump();
        AnalysisOptions ao;
        ao.tokens = spec.analysisTokens > 0 ? spec.analysisTokens : std::min<int64_t>(spec.tokens, 200'000);
        ao.dataset = dataset;
        ao.textField = spec.textField;
        ao.modelPath = folder;
        ao.device = spec.device;
        ao.contextLength = static_cast<int>(spec.contextLength);
        runAnalysis(project, runId, ao, ctx);
        project.setRunStatus(runId, RunStatus::Done);
    } catch (const Exception& e) {
        project.setRunStatus(runId, e.code() == ErrorCode::Cancelled ? RunStatus::Cancelled : RunStatus::Failed,
                             e.what());
        throw;
    } catch (const std::exception& e) {
        project.setRunStatus(runId, RunStatus::Failed, e.what());
        throw;
    }
    return outcome;
}

}  // namespace mistudio
