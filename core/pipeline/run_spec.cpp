#include "pipeline/run_spec.h"

#include <set>

#include "mistudio/result.h"
#include "quant/quant.h"

namespace mistudio::pipeline {

namespace {
[[noreturn]] void bad(const std::string& where, const std::string& key, const std::string& what) {
    throw Exception(ErrorCode::InvalidArgument, "RUN.json key '" + key + "': " + what, where,
                    "See examples/quick-look.json for a valid run");
}

std::string str(const nlohmann::json& j, const char* key, const std::string& where, const std::string& fallback,
                bool required = false) {
    if (!j.contains(key)) {
        if (required)
            bad(where, key, "missing");
        return fallback;
    }
    if (!j[key].is_string() || j[key].get<std::string>().empty())
        bad(where, key, "expected a non-empty string, got " + j[key].dump());
    return j[key].get<std::string>();
}

int64_t integer(const nlohmann::json& j, const char* key, const std::string& where, int64_t fallback, int64_t lo) {
    if (!j.contains(key))
        return fallback;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < lo)
        bad(where, key, "expected an integer >= " + std::to_string(lo) + ", got " + j[key].dump());
    return j[key].get<int64_t>();
}
}  // namespace

RunSpec parseRunSpec(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object())
        throw Exception(ErrorCode::InvalidFormat, "RUN.json must be a JSON object", where, "");
    static const std::set<std::string> known = {"model", "hook", "dataset", "text_field", "tokens",
                                                "context_length", "quant", "device", "dtype", "seed",
                                                "sae", "eval_tokens", "analysis_tokens", "out"};
    for (const auto& [key, value] : j.items())
        if (!known.count(key))
            bad(where, key, "unknown key (known: model, hook, dataset, text_field, tokens, context_length, "
                            "quant, device, dtype, seed, sae, eval_tokens, analysis_tokens)");
    RunSpec s;
    s.model = str(j, "model", where, "", true);
    s.dataset = str(j, "dataset", where, "", true);
    if (!j.contains("hook"))
        bad(where, "hook", "missing (e.g. \"blocks.2.hook_resid_post\")");
    if (j["hook"].is_string())
        s.hooks = {j["hook"].get<std::string>()};
    else if (j["hook"].is_array() && !j["hook"].empty())
        for (const auto& h : j["hook"]) {
            if (!h.is_string())
                bad(where, "hook", "expected strings");
            s.hooks.push_back(h.get<std::string>());
        }
    else
        bad(where, "hook", "expected a hook name or a list of them");
    s.textField = str(j, "text_field", where, s.textField);
    s.tokens = integer(j, "tokens", where, 0, 1000);
    if (s.tokens == 0)
        bad(where, "tokens", "missing: the number of activation rows to train on (e.g. 200000)");
    s.contextLength = integer(j, "context_length", where, s.contextLength, 8);
    s.quant = str(j, "quant", where, s.quant);
    try {
        quant::parseQuantMode(s.quant);
    } catch (const Exception& e) {
        bad(where, "quant", e.what());
    }
    s.device = str(j, "device", where, s.device);
    s.dtype = str(j, "dtype", where, s.dtype);
    s.seed = static_cast<uint64_t>(integer(j, "seed", where, 0, 0));
    s.evalTokens = integer(j, "eval_tokens", where, s.evalTokens, 128);
    s.analysisTokens = integer(j, "analysis_tokens", where, 0, 0);
    if (!j.contains("sae") || !(j["sae"].is_object() || j["sae"].is_array()))
        bad(where, "sae", "missing: an object like {\"architecture\": \"batchtopk\", \"expansion_factor\": 8, \"k\": 32}");
    s.sae = j["sae"];
    return s;
}

}  // namespace mistudio::pipeline
