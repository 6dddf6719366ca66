// qwen2: Qwen2 / Qwen2.5. Llama plus q/k/v biases (always, not configurable); sliding window
// only when use_sliding_window, on layers >= max_window_layers.
#include "model/family.h"

namespace mistudio::model {

namespace {
void parseQwen2(const nlohmann::json& j, ModelConfig& c) {
    llama_like::Defaults d; // Qwen2Config's defaults
    d.vocabSize = 151936;
    d.intermediateSize = 22016;
    d.maxPositions = 32768;
    llama_like::parseCommon(j, c, d);
    c.qkvBias = true;
    c.oBias = false;
    c.mlpBias = false;
    if (cfg::boolOr(j, "use_sliding_window", false)) {
        c.slidingWindow =
            cfg::isNull(j, "sliding_window") ? 0 : cfg::intOr(j, "sliding_window", 4096);
        c.slidingLayers = SlidingLayers::FromLayer;
        c.slidingFromLayer = cfg::intOr(j, "max_window_layers", 28);
    }
}
} // namespace

Family qwen2Family() {
    return llama_like::family("qwen2", parseQwen2);
}

} // namespace mistudio::model
