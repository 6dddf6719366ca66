// RUN.json -> RunConfig (top level) and the `sae` objects -> SaeConfigs.
#include "mistudio/environment.h"
#include "mistudio/result.h"
#include "sae/config_json.h"
#include "sae/run.h"

#include <set>

namespace mistudio::sae {

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

} // namespace

RunConfig parseRunConfig(const nlohmann::json& j, const std::string& where) {
    static const std::set<std::string> keys = {"model",
                                               "hook",
                                               "dataset",
                                               "activations",
                                               "text_field",
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
                                               "normalization_tokens",
                                               "shuffle_buffer_tokens",
                                               "forward_batch_size"};
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
    r.out = str(j, "out", where);
    if (j.contains("quant"))
        r.quant = str(j, "quant", where);
    if (j.contains("device"))
        r.device = str(j, "device", where);
    if (j.contains("text_field"))
        r.textField = str(j, "text_field", where);
    r.tokens = count(j, "tokens", where, 0, 1);
    r.contextLength = count(j, "context_length", where, 0, 2);
    r.seed = static_cast<uint64_t>(count(j, "seed", where, 0, 0));
    r.evalTokens = count(j, "eval_tokens", where, -1, 0);
    r.logEvery = count(j, "log_every", where, 100, 0);
    r.normalizationTokens = count(j, "normalization_tokens", where, 1 << 18, 1);
    r.shuffleBufferTokens = count(j, "shuffle_buffer_tokens", where, 65536, 0);
    r.forwardBatchSize = count(j, "forward_batch_size", where, 8, 1);
    if (j.contains("checkpoint_minutes")) {
        if (!j["checkpoint_minutes"].is_number() || j["checkpoint_minutes"].get<double>() < 0)
            badKey(where, "checkpoint_minutes", "expected a number >= 0", "write e.g. 10");
        r.checkpointMinutes = j["checkpoint_minutes"].get<double>();
    }
    if (!j.contains("tokens"))
        badKey(where, "tokens", "missing", "say how many tokens to train on");
    if (r.out.empty())
        badKey(where, "out", "missing", "give a folder for checkpoints and the saved SAE");
    if (r.activations.empty()) {
        for (const char* key : {"model", "hook", "dataset"})
            if (!j.contains(key) || j[key].get<std::string>().empty())
                badKey(where, key,
                       "missing (no 'activations' given, so the model runs over the "
                       "dataset to the hook on the fly)",
                       "give 'model', 'hook' and 'dataset', or 'activations' (a cache folder or "
                       "a .safetensors file)");
    }
    if (!j.contains("sae"))
        badKey(where, "sae", "missing", "add \"sae\": {\"architecture\": \"batchtopk\"}");
    r.sae = j["sae"];
    try {
        checkDevice(r.device);
    } catch (const Exception& e) {
        throw Exception(e.code(), std::string("RUN.json 'device': ") + e.what());
    }
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

} // namespace mistudio::sae
