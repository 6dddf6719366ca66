#pragma once
// Hook point names (TransformerLens convention) parsed into a kind and a layer, ordered the way a
// forward meets them so "the deepest requested hook" is a comparison.

#include "model/config.h"

#include <cstdint>
#include <string>

namespace mistudio::model {

enum class HookKind { Embed, ResidPre, AttnOut, ResidMid, MlpOut, ResidPost, LnFinal };

struct HookPoint {
    HookKind kind = HookKind::Embed;
    int64_t layer = -1; // -1 for hook_embed and ln_final.hook_normalized

    /// Position in forward order: hook_embed 0, blocks.L.* 1 + 5L + k, ln_final last.
    int64_t order(int64_t nLayers) const;
    /// Decoder blocks that must run before this hook fires (0 .. nLayers).
    int64_t layersNeeded(int64_t nLayers) const;
    std::string name() const;
};

/// Parses "blocks.3.hook_resid_post" etc. Throws Exception(InvalidArgument) for unknown names,
/// out-of-range layers and hook_resid_mid on parallel-residual models, listing valid forms.
HookPoint parseHookPoint(const std::string& name, const ModelConfig& c);

} // namespace mistudio::model
