#pragma once
// A training run as described by RUN.json (`mistudio-cli train --config RUN.json`): stream the
// activations, train one SAE or a sweep from one stream, evaluate on held-out tokens, save SAELens
// folders. The GUI's "Train SAE" dialog fills the same RunConfig.
//
// Where the activations come from:
//  - `activations` a .safetensors file: loaded into memory (TensorSource); the last eval_tokens
//    rows are held out.
//  - `activations` a cache folder: streamed (CacheSource); the last eval_tokens rows are held out.
//  - no `activations`: `model` runs over `dataset` to `hook` on the fly (ModelSource); the first
//    windows of the dataset holding eval_tokens document tokens are held out.
// Evaluation: when the run names a model and a dataset, every final metric (CE, KL and the
// reconstruction metrics) comes from evaluateSpliced on held-out windows: the held-out windows
// above, or, with a cache of the same dataset and packing, the windows right after the ones the
// cache was extracted from. Otherwise (activations only) the reconstruction metrics come from the
// held-out rows and the CE/KL fields are null. cfg.json's mistudio.eval_set says which.

#include "mistudio/engine.h"
#include "mistudio/sae.h"
#include "sae/sweep.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mistudio::dist {
class Communicator;
}

namespace mistudio::sae {

struct RunConfig {
    std::string model, hook, dataset, quant = "none", device = "cpu";
    /// A .safetensors file holding `activations` [N, d], or an activation cache folder (streamed).
    /// Empty: activations come on the fly from `model` at `hook` over `dataset`.
    std::string activations;
    std::string textField = "text"; // the dataset's JSON field / CSV column / Parquet column
    int64_t tokens = 0;
    int64_t contextLength = 0; // 0: the cache's, else 128 (capped at the model's positions)
    uint64_t seed = 0;
    std::string out;
    nlohmann::json sae;      // one object, or an array of objects (a sweep)
    int64_t evalTokens = -1; // held-out tokens; -1: min(N/10, 65536), N = cache rows or tokens
    int64_t logEvery = 100;
    double checkpointMinutes = 10;
    int64_t normalizationTokens = 1 << 18;
    int64_t shuffleBufferTokens = 65536; // on-the-fly and cache streaming shuffle buffer (rows)
    int64_t forwardBatchSize = 8;        // windows per model forward (on the fly)
};

/// Validates the top level of RUN.json; unknown keys and wrong types throw InvalidArgument naming
/// the key. The `sae` objects are validated once d_in is known (parseSaeConfigs).
RunConfig parseRunConfig(const nlohmann::json& j, const std::string& where);
std::vector<SaeConfig> parseSaeConfigs(const nlohmann::json& sae, int64_t dIn);

struct RunResult {
    std::string name;   // the SAE's name
    std::string folder; // its SAELens folder
    /// Held-out evaluation. deadCount / deadFraction are issue 8's training definition (not fired
    /// in the last deadWindowTokens training tokens); evalDeadFraction is "never fired on the
    /// held-out tokens". CE fields are NaN when the run names no model and dataset.
    EvalMetrics eval;
    int64_t deadWindowTokens = 0;
    double evalDeadFraction = 0;
    nlohmann::json evalSet; // which tokens were held out (also in cfg.json)
};

/// Data-parallel settings of a run (docs/DISTRIBUTED.md).
struct DistributedRun {
    dist::Communicator* comm = nullptr; // nullptr or world size 1: one process
    bool reshard = false;               // resume a checkpoint of another world size
};

/// Trains, evaluates and saves. `onLog` receives the live metrics (also sent as job metrics).
/// Data parallel, every rank trains on its shard and only rank 0 evaluates and saves (the other
/// ranks return no results).
std::vector<RunResult>
runTraining(JobContext& ctx, const RunConfig& run, bool resume,
            const std::function<void(const std::string& sae, const StepMetrics&)>& onLog,
            const DistributedRun& distributed = {});

/// Held-out evaluation of an SAE on raw activations [N, d] in batches.
EvalMetrics evaluateSae(const SaeModel& model, const at::Tensor& x, int64_t batch = 4096);

} // namespace mistudio::sae
