#pragma once
// A training run as described by RUN.json (`mistudio-cli train --config RUN.json`): read the
// activations, train one SAE or a sweep from one stream, evaluate on held-out tokens, save SAELens
// folders. The GUI's "Train SAE" dialog fills the same RunConfig.

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
    std::string model, hook, dataset, quant, device = "cpu";
    std::string activations; // a .safetensors file holding `activations` [N, d]
    int64_t tokens = 0;
    int64_t contextLength = 0;
    uint64_t seed = 0;
    std::string out;
    nlohmann::json sae;      // one object, or an array of objects (a sweep)
    int64_t evalTokens = -1; // held out from the end of the activations; -1: min(N/10, 65536)
    int64_t logEvery = 100;
    double checkpointMinutes = 10;
    int64_t normalizationTokens = 1 << 18;
};

/// Validates the top level of RUN.json; unknown keys and wrong types throw InvalidArgument naming
/// the key. The `sae` objects are validated once d_in is known (parseSaeConfigs).
RunConfig parseRunConfig(const nlohmann::json& j, const std::string& where);
std::vector<SaeConfig> parseSaeConfigs(const nlohmann::json& sae, int64_t dIn);

struct RunResult {
    std::string name;   // the SAE's name
    std::string folder; // its SAELens folder
    EvalMetrics eval;
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
