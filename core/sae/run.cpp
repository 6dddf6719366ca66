#include "sae/run.h"

#include "activations/reader.h"
#include "distributed/communicator.h"
#include "distributed/sharded_source.h"
#include "io/safetensors.h"
#include "mistudio/environment.h"
#include "mistudio/result.h"
#include "sae/config_json.h"
#include "sae/metrics.h"
#include "sae/saelens.h"

#include <filesystem>
#include <set>

namespace mistudio::sae {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void badKey(const std::string& where, const std::string& key, const std::string& why,
                         const std::string& fix) {
    throw Exception(ErrorCode::InvalidArgument, "invalid value for '" + key + "': " + why, where,
                    fix);
}

std::string str(const nlohmann::json& j, const char* key, const std::string& where) {
    if (!j.contains(key))
        return {};
    if (!j[key].is_string())
        badKey(where, key, "expected a string, got " + j[key].dump(), "quote the value");
    return j[key].get<std::string>();
}

int64_t count(const nlohmann::json& j, const char* key, const std::string& where, int64_t fallback,
              int64_t lo) {
    if (!j.contains(key))
        return fallback;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < lo)
        badKey(where, key,
               "expected an integer >= " + std::to_string(lo) + ", got " + j[key].dump(),
               "write a whole number");
    return j[key].get<int64_t>();
}

at::Tensor readActivations(const std::string& path) {
    if (fs::is_directory(path)) {
        // An activation cache (mistudio-cli extract): its rows are read into memory in fp32.
        // Runs that do not fit in memory need a streaming ActivationSource (not yet written).
        auto cache = activations::ActivationCache::open(path);
        std::vector<at::Tensor> shards;
        for (int64_t s = 0; s < cache->shardCount(); ++s)
            shards.push_back(cache->shardTensor(s, "activations").to(at::kFloat));
        return at::cat(shards, 0);
    }
    if (!fs::exists(path))
        throw Exception(ErrorCode::NotFound, "activations file not found", path,
                        "check the 'activations' path in RUN.json");
    auto file = io::SafetensorsFile::open(path);
    const io::TensorInfo* info = file->find("activations");
    if (!info || info->shape.size() != 2)
        throw Exception(ErrorCode::InvalidFormat, "expected a tensor 'activations' of shape [N, d]",
                        path, "save the activations under that name");
    return file->load("activations", at::kFloat);
}

} // namespace

RunConfig parseRunConfig(const nlohmann::json& j, const std::string& where) {
    static const std::set<std::string> keys = {"model",
                                               "hook",
                                               "dataset",
                                               "activations",
                                               "tokens",
                                               "context_length",
                                               "quant",
                                               "device",
                                               "seed",
                                               "out",
                                               "sae",
                                               "eval_tokens",
                                               "log_every",
                                               "checkpoint_minutes",
                                               "normalization_tokens"};
    if (!j.is_object())
        throw Exception(ErrorCode::InvalidArgument, "the run configuration must be a JSON object",
                        where, "");
    for (const auto& [key, value] : j.items())
        if (!keys.count(key))
            badKey(where, key, "unknown key", "remove it; accepted keys are listed in docs/SAE.md");
    RunConfig r;
    r.model = str(j, "model", where);
    r.hook = str(j, "hook", where);
    r.dataset = str(j, "dataset", where);
    r.activations = str(j, "activations", where);
    r.quant = str(j, "quant", where);
    r.out = str(j, "out", where);
    if (j.contains("device"))
        r.device = str(j, "device", where);
    r.tokens = count(j, "tokens", where, 0, 1);
    r.contextLength = count(j, "context_length", where, 0, 1);
    r.seed = static_cast<uint64_t>(count(j, "seed", where, 0, 0));
    r.evalTokens = count(j, "eval_tokens", where, -1, 0);
    r.logEvery = count(j, "log_every", where, 100, 0);
    r.normalizationTokens = count(j, "normalization_tokens", where, 1 << 18, 1);
    if (j.contains("checkpoint_minutes")) {
        if (!j["checkpoint_minutes"].is_number() || j["checkpoint_minutes"].get<double>() < 0)
            badKey(where, "checkpoint_minutes", "expected a number >= 0", "write e.g. 10");
        r.checkpointMinutes = j["checkpoint_minutes"].get<double>();
    }
    if (!j.contains("tokens"))
        badKey(where, "tokens", "missing", "say how many tokens to train on");
    if (r.out.empty())
        badKey(where, "out", "missing", "give a folder for checkpoints and the saved SAE");
    if (r.activations.empty())
        throw Exception(ErrorCode::Unsupported,
                        r.dataset.empty() ? "no 'activations' given"
                                          : "training from 'dataset' through the model is not "
                                            "wired in this build",
                        where, "set 'activations' to a .safetensors file of activations");
    if (!j.contains("sae"))
        badKey(where, "sae", "missing", "add \"sae\": {\"architecture\": \"batchtopk\"}");
    r.sae = j["sae"];
    checkDevice(r.device);
    if (r.device != "cpu")
        badKey(where, "device", "SAE training runs on the CPU in this build", "use \"cpu\"");
    return r;
}

std::vector<SaeConfig> parseSaeConfigs(const nlohmann::json& sae, int64_t dIn) {
    std::vector<SaeConfig> out;
    const bool sweep = sae.is_array();
    const nlohmann::json list = sweep ? sae : nlohmann::json::array({sae});
    if (list.empty())
        throw Exception(ErrorCode::InvalidArgument, "'sae' is an empty list", "RUN.json",
                        "give at least one SAE");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string where =
            sweep ? "RUN.json: sae[" + std::to_string(i) + "]" : "RUN.json: sae";
        SaeConfig c = parseSaeConfig(list[i], dIn, where);
        if (c.name.empty())
            c.name = sweep ? std::string(architectureName(c.architecture)) + "_" + std::to_string(i)
                           : "sae";
        if (!names.insert(c.name).second)
            throw Exception(ErrorCode::InvalidArgument, "two SAEs are named '" + c.name + "'",
                            where, "give each SAE of a sweep its own name");
        out.push_back(c);
    }
    return out;
}

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
    const at::Tensor all = readActivations(run.activations);
    const int64_t n = all.size(0);
    const int64_t evalTokens =
        run.evalTokens >= 0 ? run.evalTokens : std::min<int64_t>(n / 10, 65536);
    if (evalTokens >= n)
        throw Exception(ErrorCode::InvalidArgument,
                        "eval_tokens (" + std::to_string(evalTokens) + ") leaves no training data",
                        run.activations, "lower eval_tokens");
    TensorSource source(all.narrow(0, 0, n - evalTokens), true, run.seed, run.activations);
    dist::Communicator* comm = distributed.comm;
    std::unique_ptr<dist::ShardedSource> shard;
    if (comm && comm->distributed())
        shard = std::make_unique<dist::ShardedSource>(source, comm->rank(), comm->worldSize());
    SweepSettings s;
    s.saes = parseSaeConfigs(run.sae, all.size(1));
    s.tokens = run.tokens;
    s.seed = run.seed;
    s.checkpointDir = (fs::path(run.out) / "checkpoint").string();
    s.logEvery = run.logEvery;
    s.checkpointMinutes = run.checkpointMinutes;
    s.normalizationTokens = run.normalizationTokens;
    s.comm = comm;
    s.allowReshard = distributed.reshard;
    SweepTrainer sweep(s, shard ? static_cast<ActivationSource&>(*shard) : source);
    sweep.run(ctx, resume, [&](size_t i, const StepMetrics& m) {
        if (onLog)
            onLog(s.saes[i].name, m);
    });
    std::vector<RunResult> results;
    if (comm && comm->rank() != 0)
        return results; // rank 0 alone evaluates and writes the SAE folders
    const at::Tensor held = all.narrow(0, n - evalTokens, evalTokens);
    for (size_t i = 0; i < sweep.size(); ++i) {
        ctx.throwIfCancelled();
        RunResult r;
        r.name = s.saes[i].name;
        r.folder = s.saes.size() == 1 ? run.out : (fs::path(run.out) / r.name).string();
        SaeModel model = sweep.model(i);
        if (evalTokens > 0)
            r.eval = evaluateSae(model, held);
        SaeLensMetadata meta{run.model, run.hook, run.contextLength, run.activations, {}};
        const auto& trainer = sweep.trainer(i);
        meta.extra = {{"trained_architecture", architectureName(trainer.config().architecture)},
                      {"training", saeConfigToJson(trainer.config())},
                      {"schedule", trainer.schedule().toJson()},
                      {"input_scaling_folded", sweep.scale(i)},
                      {"training_tokens", run.tokens},
                      {"eval_tokens", evalTokens}};
        if (trainer.config().architecture == Architecture::BatchTopK)
            meta.extra["threshold"] = {{"kind", "global EMA of the smallest selected activation"},
                                       {"value", model.threshold[0].item<double>()},
                                       {"beta", trainer.config().thresholdBeta}};
        saveSaeLens(r.folder, model, meta,
                    evalTokens > 0 ? r.eval.log10Density : std::vector<double>{});
        results.push_back(std::move(r));
    }
    return results;
}

} // namespace mistudio::sae
