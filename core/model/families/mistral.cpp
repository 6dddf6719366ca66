// mistral: the Llama computation with a sliding attention window on every layer.
#include "model/family.h"

namespace mistudio::model {

namespace {
void parseMistral(const nlohmann::json& j, ModelConfig& c) {
    llama_like::Defaults d; // MistralConfig's defaults
    d.intermediateSize = 14336;
    d.nKvHeads = 8;
    d.maxPositions = 4096 * 32;
    llama_like::parseCommon(j, c, d);
    c.qkvBias = c.oBias = false; // MistralConfig has no attention_bias
    // Mistral v0.2+ configs write "sliding_window": null: no window.
    c.slidingWindow = cfg::isNull(j, "sliding_window") ? 0 : cfg::intOr(j, "sliding_window", 4096);
    c.slidingLayers = SlidingLayers::All;
}
} // namespace

Family mistralFamily() {
    return llama_like::family("mistral", parseMistral);
}

} // namespace mistudio::model
