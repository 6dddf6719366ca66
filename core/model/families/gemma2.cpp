// gemma2: Gemma plus sandwich norms, attention/final logit soft-capping, sliding window on even
// layers, and query_pre_attn_scalar^-0.5 as the attention scale.
#include "model/family.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace mistudio::model {

namespace {
void parseGemma2(const nlohmann::json& j, ModelConfig& c) {
    llama_like::Defaults d; // Gemma2Config's defaults
    d.vocabSize = 256000;
    d.hiddenSize = 2304;
    d.intermediateSize = 9216;
    d.nLayers = 26;
    d.nHeads = 8;
    d.nKvHeads = 4;
    d.maxPositions = 8192;
    d.tieEmbeddings = true;
    llama_like::parseGemmaCommon(j, c, d);
    c.sandwichNorms = true;
    c.attnScale = 1.0 / std::sqrt(cfg::numberOr(j, "query_pre_attn_scalar", 256));
    // An explicit null turns a feature off (transformers passes it as the kwarg value).
    c.attnSoftcap = cfg::isNull(j, "attn_logit_softcapping")
                        ? 0.0
                        : cfg::numberOr(j, "attn_logit_softcapping", 50.0);
    c.finalSoftcap = cfg::isNull(j, "final_logit_softcapping")
                         ? 0.0
                         : cfg::numberOr(j, "final_logit_softcapping", 30.0);
    c.slidingWindow = cfg::isNull(j, "sliding_window") ? 0 : cfg::intOr(j, "sliding_window", 4096);
    c.slidingLayers = SlidingLayers::Even;
}

LayerWeights loadGemma2Layer(const WeightReader& r, const ModelConfig& c, int64_t layer) {
    LayerWeights w = llama_like::loadLayer(r, c, layer);
    // Gemma2 names: post_attention_layernorm is the norm AFTER attention; the MLP's input norm is
    // pre_feedforward_layernorm.
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    w.postAttnNorm = w.ln2;
    w.ln2 = r.norm(p + "pre_feedforward_layernorm", c.dModel);
    w.postMlpNorm = r.norm(p + "post_feedforward_layernorm", c.dModel);
    return w;
}
} // namespace

Family gemma2Family() {
    return llama_like::family("gemma2", parseGemma2, loadGemma2Layer);
}

} // namespace mistudio::model
