// mistudio-cli eval --sae DIR --model MODEL --dataset SPEC --tokens N [--context-length C]
//                   [--text-field F] [--device D] [--hook HOOK]
// Evaluates a SAELens folder with the SAE spliced into the model at its hook (cfg.json
// hook_name unless --hook) on the first N document tokens of the dataset; prints one JSON object
// (definitions: SAE-RECIPES.md section C, docs/METRICS.md).
#include "cli.h"
#include "mistudio/result.h"
#include "model/transformer.h"
#include "sae/eval_model.h"
#include "sae/metrics.h"
#include "sae/saelens.h"

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

// cfg.json keeps hook_name / context_size at the top (sae_lens <= 5) or under metadata (6).
nlohmann::json cfgValue(const nlohmann::json& cfg, const char* key) {
    if (cfg.contains(key) && !cfg[key].is_null())
        return cfg[key];
    if (cfg.contains("metadata") && cfg["metadata"].is_object() && cfg["metadata"].contains(key))
        return cfg["metadata"][key];
    return nullptr;
}

nlohmann::json metricsJson(const sae::EvalMetrics& e) {
    nlohmann::json j = sae::evalMetricsJson(e);
    j["dead_count"] = e.deadCount;
    j["dense_count"] = e.denseCount;
    j["d_sae"] = e.dSae;
    return j;
}

} // namespace

int runEval(ArgParser& args) {
    const std::string saeDir = args.required("--sae");
    const std::string modelDir = args.required("--model");
    data::DatasetSpec dataset;
    dataset.path = args.required("--dataset");
    dataset.textField = args.valueOr("--text-field", "text");
    const long long tokens = args.intOr("--tokens", 0);
    const long long contextFlag = args.intOr("--context-length", 0);
    const std::string device = args.valueOr("--device", "cpu");
    const std::string hookFlag = args.valueOr("--hook", "");
    args.finish();
    if (tokens <= 0)
        throw UsageError("--tokens N is required and must be positive");
    if (contextFlag < 0)
        throw UsageError("--context-length must be positive");

    const sae::SaeModel sae = sae::loadSaeLens(saeDir);
    std::string hook = hookFlag;
    if (hook.empty()) {
        const auto h = cfgValue(sae.cfg, "hook_name");
        if (!h.is_string() || h.get<std::string>().empty())
            throw Exception(ErrorCode::InvalidFormat, "cfg.json has no hook_name", saeDir,
                            "pass --hook HOOK (e.g. blocks.6.hook_resid_post)");
        hook = h.get<std::string>();
    }
    auto model = model::Transformer::open(modelDir, {device, "float32"});
    int64_t context = contextFlag;
    if (context == 0) {
        const auto c = cfgValue(sae.cfg, "context_size");
        context = c.is_number_integer() && c.get<int64_t>() > 0 ? c.get<int64_t>() : 128;
        if (model->config().maxPositions > 0)
            context = std::min<int64_t>(context, model->config().maxPositions);
    }
    const auto windows = sae::evalWindows(modelDir, dataset, tokens, static_cast<int>(context));
    const sae::EvalMetrics m = sae::evaluateSpliced(sae, *model, hook, windows);
    nlohmann::json out = metricsJson(m);
    out["hook"] = hook;
    out["context_length"] = context;
    std::cout << out.dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
