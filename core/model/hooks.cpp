#include "model/hooks.h"

#include "mistudio/model_info.h"
#include "mistudio/result.h"

#include <regex>

namespace mistudio::model {

namespace {
const char* const kBlockHookNames[] = {"hook_resid_pre", "hook_attn_out", "hook_resid_mid",
                                       "hook_mlp_out", "hook_resid_post"};

[[noreturn]] void badHook(const std::string& name, const std::string& why, const ModelConfig& c) {
    throw Exception(ErrorCode::InvalidArgument, "hook point '" + name + "' " + why,
                    "model_type " + c.modelType + ", " + std::to_string(c.nLayers) + " layers",
                    "Use hook_embed, blocks.L.hook_resid_pre|hook_attn_out|" +
                        std::string(c.hasResidMid() ? "hook_resid_mid|" : "") +
                        "hook_mlp_out|hook_resid_post (0 <= L < " + std::to_string(c.nLayers) +
                        ") or ln_final.hook_normalized");
}
} // namespace

int64_t HookPoint::order(int64_t nLayers) const {
    switch (kind) {
    case HookKind::Embed: return 0;
    case HookKind::LnFinal: return 1 + 5 * nLayers;
    default: return 1 + 5 * layer + (static_cast<int64_t>(kind) - 1);
    }
}

int64_t HookPoint::layersNeeded(int64_t nLayers) const {
    switch (kind) {
    case HookKind::Embed: return 0;
    case HookKind::ResidPre: return layer;
    case HookKind::LnFinal: return nLayers;
    default: return layer + 1;
    }
}

std::string HookPoint::name() const {
    switch (kind) {
    case HookKind::Embed: return "hook_embed";
    case HookKind::LnFinal: return "ln_final.hook_normalized";
    default:
        return "blocks." + std::to_string(layer) + "." +
               kBlockHookNames[static_cast<int>(kind) - 1];
    }
}

HookPoint parseHookPoint(const std::string& name, const ModelConfig& c) {
    if (name == "hook_embed")
        return {HookKind::Embed, -1};
    if (name == "ln_final.hook_normalized")
        return {HookKind::LnFinal, -1};
    static const std::regex pattern(R"(^blocks\.([0-9]{1,6})\.(hook_[a-z_]+)$)");
    std::smatch m;
    if (!std::regex_match(name, m, pattern))
        badHook(name, "is not a hook name", c);
    const int64_t layer = std::stoll(m[1].str());
    if (layer >= c.nLayers)
        badHook(name,
                "names layer " + std::to_string(layer) + " but the model has " +
                    std::to_string(c.nLayers),
                c);
    for (int k = 0; k < 5; ++k) {
        if (m[2].str() != kBlockHookNames[k])
            continue;
        const auto kind = static_cast<HookKind>(k + 1);
        if (kind == HookKind::ResidMid && !c.hasResidMid())
            badHook(name, "does not exist: this model adds attention and MLP in parallel", c);
        return {kind, layer};
    }
    badHook(name, "is not a hook name", c);
}

} // namespace mistudio::model

namespace mistudio {

std::vector<std::string> hookPointNames(int64_t nLayers, bool hasResidMid) {
    std::vector<std::string> names = {"hook_embed"};
    for (int64_t l = 0; l < nLayers; ++l)
        for (int k = 0; k < 5; ++k)
            if (k != 2 || hasResidMid)
                names.push_back("blocks." + std::to_string(l) + "." + model::kBlockHookNames[k]);
    names.push_back("ln_final.hook_normalized");
    return names;
}

} // namespace mistudio
