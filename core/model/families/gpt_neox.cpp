// gpt_neox (Pythia): LayerNorm, per-head interleaved fused query_key_value, partial rotary
// (rotary_pct), exact GELU, parallel residual by default.
#include "model/family.h"

#include <nlohmann/json.hpp>

namespace mistudio::model {

namespace {
void parseNeox(const nlohmann::json& j, ModelConfig& c) { // GPTNeoXConfig's defaults
    c.vocabSize = cfg::intOr(j, "vocab_size", 50432);
    c.dModel = cfg::intOr(j, "hidden_size", 6144);
    c.nLayers = cfg::intOr(j, "num_hidden_layers", 44);
    c.nHeads = cfg::intOr(j, "num_attention_heads", 64);
    c.nKvHeads = c.nHeads;
    c.headDim = c.nHeads > 0 ? c.dModel / c.nHeads : 0;
    c.dMlp = cfg::intOr(j, "intermediate_size", 24576);
    c.maxPositions = cfg::intOr(j, "max_position_embeddings", 2048);
    c.activation = cfg::activationFromName(cfg::stringOr(j, "hidden_act", "gelu"), "hidden_act");
    c.gatedMlp = false;
    c.norm = NormKind::LayerNorm;
    c.normEps = cfg::numberOr(j, "layer_norm_eps", 1e-5);
    c.residual = cfg::boolOr(j, "use_parallel_residual", true) ? ResidualKind::Parallel
                                                               : ResidualKind::Sequential;
    c.position = PositionKind::Rotary;
    const double pct =
        cfg::numberOr(j, "rotary_pct", cfg::numberOr(j, "partial_rotary_factor", 0.25));
    c.rope.rotaryDim = static_cast<int64_t>(double(c.headDim) * pct);
    c.rope.theta = cfg::numberOr(j, "rotary_emb_base", cfg::numberOr(j, "rope_theta", 10000.0));
    c.tieEmbeddings = cfg::boolOr(j, "tie_word_embeddings", false);
    c.qkvBias = c.oBias = cfg::boolOr(j, "attention_bias", true);
    c.mlpBias = true;
    cfg::parseRopeScaling(j, c);
}

LayerWeights loadNeoxLayer(const WeightReader& r, const ModelConfig& c, int64_t layer) {
    const std::string p = "gpt_neox.layers." + std::to_string(layer) + ".";
    const int64_t d = c.dModel, nh = c.nHeads, hd = c.headDim;
    LayerWeights w;
    w.ln1 = r.norm(p + "input_layernorm", d);
    w.ln2 = r.norm(p + "post_attention_layernorm", d);
    // Rows are grouped per head as [q_h; k_h; v_h]: regroup to [all q; all k; all v].
    w.wqkv = r.get(p + "attention.query_key_value.weight", {3 * d, d})
                 .view({nh, 3, hd, d})
                 .permute({1, 0, 2, 3})
                 .reshape({3 * d, d})
                 .contiguous();
    if (c.qkvBias)
        w.bqkv = r.get(p + "attention.query_key_value.bias", {3 * d})
                     .view({nh, 3, hd})
                     .permute({1, 0, 2})
                     .reshape({3 * d})
                     .contiguous();
    w.wo = r.get(p + "attention.dense.weight", {d, d});
    if (c.oBias)
        w.bo = r.get(p + "attention.dense.bias", {d});
    w.wIn = r.get(p + "mlp.dense_h_to_4h.weight", {c.dMlp, d});
    w.bIn = r.get(p + "mlp.dense_h_to_4h.bias", {c.dMlp});
    w.wOut = r.get(p + "mlp.dense_4h_to_h.weight", {d, c.dMlp});
    w.bOut = r.get(p + "mlp.dense_4h_to_h.bias", {d});
    return w;
}
} // namespace

Family gptNeoxFamily() {
    Family f;
    f.modelType = "gpt_neox";
    f.basePrefix = "gpt_neox.";
    f.parseConfig = parseNeox;
    f.embedName = "gpt_neox.embed_in.weight";
    f.finalNormName = "gpt_neox.final_layer_norm";
    f.lmHeadName = "embed_out";
    f.loadLayer = loadNeoxLayer;
    return f;
}

} // namespace mistudio::model
