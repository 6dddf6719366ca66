// runTraining: pick the activation source, train the sweep, evaluate on held-out tokens, save.
#include "sae/run.h"

#include "activations/reader.h"
#include "distributed/communicator.h"
#include "distributed/sharded_source.h"
#include "io/safetensors.h"
#include "mistudio/result.h"
#include "model/transformer.h"
#include "sae/cache_source.h"
#include "sae/config_json.h"
#include "sae/eval_model.h"
#include "sae/metrics.h"
#include "sae/model_source.h"
#include "sae/saelens.h"

#include <filesystem>

namespace mistudio::sae {

namespace fs = std::filesystem;

namespace {

// What training reads and what the evaluation holds out.
struct Prepared {
    std::unique_ptr<ActivationSource> source;
    at::Tensor heldRows;                    // activations-only evaluation rows [n, d]
    std::vector<data::TokenWindow> windows; // spliced evaluation windows (model + dataset)
    std::shared_ptr<model::Transformer> model;
    int64_t contextLength = 128;
    nlohmann::json evalSet;
};

int64_t defaultEvalTokens(const RunConfig& run, int64_t n) {
    return run.evalTokens >= 0 ? run.evalTokens : std::min<int64_t>(n / 10, 65536);
}

data::DatasetSpec datasetSpec(const RunConfig& run) {
    data::DatasetSpec d;
    d.path = run.dataset;
    d.textField = run.textField;
    return d;
}

std::shared_ptr<model::Transformer> openModel(const RunConfig& run) {
    return model::Transformer::open(run.model, {run.device, "float32", run.quant});
}

// RUN.json's context_length, else `fallback` capped at the model's positions.
int contextFor(const RunConfig& run, int64_t fallback, const model::Transformer& m) {
    if (run.contextLength > 0)
        return static_cast<int>(run.contextLength);
    const int64_t maxPositions = m.config().maxPositions;
    return static_cast<int>(maxPositions > 0 ? std::min(fallback, maxPositions) : fallback);
}

// No `activations`: the model runs over the dataset; the first windows are held out.
Prepared onTheFly(const RunConfig& run) {
    Prepared p;
    p.model = openModel(run);
    p.contextLength = contextFor(run, 128, *p.model);
    const int64_t evalTokens = defaultEvalTokens(run, run.tokens);
    if (evalTokens > 0)
        p.windows = evalWindows(run.model, datasetSpec(run), evalTokens, p.contextLength);
    ModelSourceOptions o;
    o.modelFolder = run.model;
    o.hook = run.hook;
    o.dataset = datasetSpec(run);
    o.contextLength = p.contextLength;
    o.forwardBatch = static_cast<int>(run.forwardBatchSize);
    o.heldOutWindows = static_cast<int64_t>(p.windows.size());
    o.bufferTokens = run.shuffleBufferTokens;
    o.seed = run.seed;
    p.source = std::make_unique<ModelSource>(p.model, o);
    p.evalSet = {{"kind", "dataset windows never used for training"},
                 {"first_window", 0},
                 {"windows", p.windows.size()},
                 {"tokens", evalTokens}};
    return p;
}

// With a model and a dataset beside the activations, CE is measured on windows of the dataset:
// after the cache's windows when the cache was extracted from this dataset with these settings.
void spliceWindows(const RunConfig& run, const nlohmann::json& manifest, int64_t cacheRows,
                   int64_t evalTokens, Prepared& p) {
    const auto& ds = manifest.value("dataset", nlohmann::json::object());
    const bool same =
        ds.is_object() &&
        ds.value("path", "") == fs::weakly_canonical(fs::absolute(run.dataset)).string() &&
        manifest.value("text_field", "") == run.textField &&
        manifest.value("context_length", int64_t(0)) == p.contextLength &&
        manifest.value("packing", "") == "concatenate" &&
        !manifest.value("keep_special_tokens", true);
    const int64_t skip =
        same ? windowsHoldingRows(run.model, datasetSpec(run), cacheRows, p.contextLength) : 0;
    p.windows = evalWindows(run.model, datasetSpec(run), evalTokens, p.contextLength, skip);
    p.evalSet = {{"kind", same ? "dataset windows after those the activation cache holds"
                               : "dataset windows (the activations' source is unknown: they may "
                                 "overlap the training tokens)"},
                 {"first_window", skip},
                 {"windows", p.windows.size()},
                 {"tokens", evalTokens}};
}

Prepared fromActivations(const RunConfig& run) {
    Prepared p;
    const std::string& path = run.activations;
    nlohmann::json manifest = nlohmann::json::object();
    int64_t n = 0;
    if (fs::is_directory(path)) {
        auto cache = activations::ActivationCache::open(path);
        manifest = cache->manifest();
        n = cache->rows();
        const int64_t eval = defaultEvalTokens(run, n);
        if (eval >= n)
            throw Exception(ErrorCode::InvalidArgument,
                            "eval_tokens (" + std::to_string(eval) + ") leaves no training data",
                            path, "lower eval_tokens");
        std::vector<int64_t> rows;
        for (int64_t r = n - eval; r < n; ++r)
            rows.push_back(r);
        p.heldRows = cache->gather(rows);
        p.source =
            std::make_unique<CacheSource>(cache, n - eval, run.shuffleBufferTokens, run.seed);
    } else {
        if (!fs::exists(path))
            throw Exception(ErrorCode::NotFound, "activations file not found", path,
                            "check the 'activations' path in RUN.json");
        auto file = io::SafetensorsFile::open(path);
        const io::TensorInfo* info = file->find("activations");
        if (!info || info->shape.size() != 2)
            throw Exception(ErrorCode::InvalidFormat,
                            "expected a tensor 'activations' of shape [N, d]", path,
                            "save the activations under that name (or give a cache folder)");
        const at::Tensor all = file->load("activations", at::kFloat);
        n = all.size(0);
        const int64_t eval = defaultEvalTokens(run, n);
        if (eval >= n)
            throw Exception(ErrorCode::InvalidArgument,
                            "eval_tokens (" + std::to_string(eval) + ") leaves no training data",
                            path, "lower eval_tokens");
        p.heldRows = all.narrow(0, n - eval, eval);
        p.source = std::make_unique<TensorSource>(all.narrow(0, 0, n - eval), true, run.seed, path);
    }
    p.contextLength = static_cast<int>(
        run.contextLength > 0 ? run.contextLength : manifest.value("context_length", int64_t(0)));
    const int64_t eval = p.heldRows.size(0);
    p.evalSet = {{"kind", "the last rows of the activations, never used for training"},
                 {"first_row", n - eval},
                 {"tokens", eval}};
    if (!run.model.empty() && !run.dataset.empty() && eval > 0) {
        p.model = openModel(run); // reads config.json and headers; weights load at evaluation
        p.contextLength = contextFor(run, p.contextLength > 0 ? p.contextLength : 128, *p.model);
        spliceWindows(run, manifest, n, eval, p);
    }
    return p;
}

RunResult evaluateAndSave(const RunConfig& run, const SweepTrainer& sweep, size_t i, Prepared& p) {
    const SaeTrainer& trainer = sweep.trainer(i);
    RunResult r;
    r.name = trainer.config().name;
    r.folder = sweep.size() == 1 ? run.out : (fs::path(run.out) / r.name).string();
    r.evalSet = p.evalSet;
    const SaeModel model = sweep.model(i);
    if (!p.windows.empty()) {
        if (!p.model)
            p.model = openModel(run);
        r.eval = evaluateSpliced(model, *p.model, run.hook, p.windows,
                                 static_cast<int>(run.forwardBatchSize));
    } else if (p.heldRows.defined() && p.heldRows.size(0) > 0) {
        r.eval = evaluateSae(model, p.heldRows);
    }
    r.evalDeadFraction = r.eval.deadFraction;
    const auto [dead, window] = sweep.deadLatents(i);
    r.deadWindowTokens = window;
    r.eval.deadCount = dead;
    r.eval.dSae = model.dSae();
    r.eval.deadFraction = static_cast<double>(dead) / static_cast<double>(model.dSae());

    SaeLensMetadata meta{run.model,
                         run.hook,
                         p.contextLength,
                         run.activations.empty() ? run.dataset : run.activations,
                         {}};
    meta.extra = {{"trained_architecture", architectureName(trainer.config().architecture)},
                  {"training", saeConfigToJson(trainer.config())},
                  {"schedule", trainer.schedule().toJson()},
                  {"input_scaling_folded", sweep.scale(i)},
                  {"training_tokens", run.tokens},
                  {"activation_source", p.source->describe()},
                  {"shuffle_buffer_tokens", run.shuffleBufferTokens},
                  {"device", run.device},
                  {"eval_set", p.evalSet},
                  {"eval_tokens", r.eval.tokens},
                  {"dead_window_tokens", window},
                  {"dead_definition", "not fired in the last dead_window_tokens training tokens "
                                      "(10M, or the whole run when shorter)"}};
    if (trainer.config().architecture == Architecture::BatchTopK)
        meta.extra["threshold"] = {{"kind", "global EMA of the smallest selected activation"},
                                   {"value", model.threshold[0].item<double>()},
                                   {"beta", trainer.config().thresholdBeta}};
    saveSaeLens(r.folder, model, meta,
                r.eval.tokens > 0 ? r.eval.log10Density : std::vector<double>{});
    return r;
}

} // namespace

EvalMetrics evaluateSae(const SaeModel& model, const at::Tensor& x, int64_t batch) {
    at::NoGradGuard noGrad;
    EvalAccumulator acc(model.dSae());
    for (int64_t i = 0; i < x.size(0); i += batch) {
        at::Tensor xb = x.narrow(0, i, std::min(batch, x.size(0) - i));
        auto [codes, xhat] = model.forward(xb);
        acc.add(xb, xhat, codes);
    }
    return acc.finish();
}

std::vector<RunResult>
runTraining(JobContext& ctx, const RunConfig& run, bool resume,
            const std::function<void(const std::string&, const StepMetrics&)>& onLog,
            const DistributedRun& distributed) {
    Prepared p = run.activations.empty() ? onTheFly(run) : fromActivations(run);
    // Data parallel: every rank reads the same global stream and keeps its slice of each batch
    // (docs/DISTRIBUTED.md); the on-the-fly source then runs the model on every rank.
    dist::Communicator* comm = distributed.comm;
    std::unique_ptr<dist::ShardedSource> shard;
    if (comm && comm->distributed())
        shard = std::make_unique<dist::ShardedSource>(*p.source, comm->rank(), comm->worldSize());
    SweepSettings s;
    s.saes = parseSaeConfigs(run.sae, p.source->dim());
    s.tokens = run.tokens;
    s.seed = run.seed;
    s.checkpointDir = (fs::path(run.out) / "checkpoint").string();
    s.logEvery = run.logEvery;
    s.checkpointMinutes = run.checkpointMinutes;
    s.normalizationTokens = run.normalizationTokens;
    s.device = run.device;
    s.comm = comm;
    s.allowReshard = distributed.reshard;
    SweepTrainer sweep(s, shard ? static_cast<ActivationSource&>(*shard) : *p.source);
    sweep.run(ctx, resume, [&](size_t i, const StepMetrics& m) {
        if (onLog)
            onLog(s.saes[i].name, m);
    });
    std::vector<RunResult> results;
    if (comm && comm->rank() != 0)
        return results; // rank 0 alone evaluates and writes the SAE folders
    for (size_t i = 0; i < sweep.size(); ++i) {
        ctx.throwIfCancelled();
        ctx.progress("evaluate", static_cast<double>(i), static_cast<double>(sweep.size()), "SAEs");
        results.push_back(evaluateAndSave(run, sweep, i, p));
    }
    return results;
}

} // namespace mistudio::sae
