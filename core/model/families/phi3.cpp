// phi3 (Phi-3, Phi-3.5, Phi-4): the Llama computation with fused qkv_proj and gate_up_proj, and
// longrope ("su") scaling.
#include "model/family.h"

#include <nlohmann/json.hpp>

namespace mistudio::model {

namespace {
void parsePhi3(const nlohmann::json& j, ModelConfig& c) {
    llama_like::Defaults d; // Phi3Config's defaults
    d.vocabSize = 32064;
    d.hiddenSize = 3072;
    d.intermediateSize = 8192;
    d.maxPositions = 4096;
    d.normEps = 1e-5;
    llama_like::parseCommon(j, c, d);
    c.qkvBias = c.oBias = c.mlpBias = false;
    c.slidingWindow = cfg::intOr(j, "sliding_window", 0);
    c.slidingLayers = c.slidingWindow > 0 ? SlidingLayers::All : SlidingLayers::None;
}

LayerWeights loadPhi3Layer(const WeightReader& r, const ModelConfig& c, int64_t layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    const int64_t d = c.dModel, rows = (c.nHeads + 2 * c.nKvHeads) * c.headDim;
    LayerWeights w;
    w.ln1 = r.norm(p + "input_layernorm", d);
    w.ln2 = r.norm(p + "post_attention_layernorm", d);
    w.wqkv = r.get(p + "self_attn.qkv_proj.weight", {rows, d}); // already q | k | v
    w.wo = r.get(p + "self_attn.o_proj.weight", {d, c.nHeads * c.headDim});
    w.wIn = r.get(p + "mlp.gate_up_proj.weight", {2 * c.dMlp, d}); // already gate | up
    w.wOut = r.get(p + "mlp.down_proj.weight", {d, c.dMlp});
    return w;
}
} // namespace

Family phi3Family() {
    Family f;
    f.modelType = "phi3";
    f.basePrefix = "model.";
    f.parseConfig = parsePhi3;
    f.embedName = "model.embed_tokens.weight";
    f.finalNormName = "model.norm";
    f.lmHeadName = "lm_head";
    f.loadLayer = loadPhi3Layer;
    return f;
}

} // namespace mistudio::model
