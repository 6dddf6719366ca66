// phi (phi-1/1.5/2): one LayerNorm feeding attention and MLP in parallel, partial rotary,
// biases everywhere including the LM head.
#include "mistudio/result.h"
#include "model/family.h"

#include <nlohmann/json.hpp>

namespace mistudio::model {

namespace {
void parsePhi(const nlohmann::json& j, ModelConfig& c) { // PhiConfig's defaults
    c.vocabSize = cfg::intOr(j, "vocab_size", 51200);
    c.dModel = cfg::intOr(j, "hidden_size", 2048);
    c.dMlp = cfg::intOr(j, "intermediate_size", 8192);
    c.nLayers = cfg::intOr(j, "num_hidden_layers", 24);
    c.nHeads = cfg::intOr(j, "num_attention_heads", 32);
    c.nKvHeads = cfg::intOr(j, "num_key_value_heads", c.nHeads);
    c.headDim = c.nHeads > 0 ? c.dModel / c.nHeads : 0;
    c.maxPositions = cfg::intOr(j, "max_position_embeddings", 2048);
    c.activation =
        cfg::activationFromName(cfg::stringOr(j, "hidden_act", "gelu_new"), "hidden_act");
    c.gatedMlp = false;
    c.norm = NormKind::LayerNorm;
    c.normEps = cfg::numberOr(j, "layer_norm_eps", 1e-5);
    c.residual = ResidualKind::ParallelOneNorm;
    c.position = PositionKind::Rotary;
    c.rope.theta = cfg::numberOr(j, "rope_theta", 10000.0);
    c.rope.rotaryDim =
        static_cast<int64_t>(double(c.headDim) * cfg::numberOr(j, "partial_rotary_factor", 0.5));
    c.tieEmbeddings = cfg::boolOr(j, "tie_word_embeddings", false);
    c.qkvBias = c.oBias = c.mlpBias = c.lmHeadBias = true;
    if (cfg::boolOr(j, "qk_layernorm", false))
        throw Exception(ErrorCode::Unsupported, "phi with qk_layernorm is not supported",
                        "config.json", "Only the phi-2 layout (qk_layernorm false) runs here");
    cfg::parseRopeScaling(j, c);
}

LayerWeights loadPhiLayer(const WeightReader& r, const ModelConfig& c, int64_t layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    const int64_t d = c.dModel, q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
    const std::string a = p + "self_attn.";
    LayerWeights w;
    w.ln1 = r.norm(p + "input_layernorm", d);
    w.wqkv = at::cat({r.get(a + "q_proj.weight", {q, d}), r.get(a + "k_proj.weight", {kv, d}),
                      r.get(a + "v_proj.weight", {kv, d})});
    w.bqkv = at::cat({r.get(a + "q_proj.bias", {q}), r.get(a + "k_proj.bias", {kv}),
                      r.get(a + "v_proj.bias", {kv})});
    w.wo = r.get(a + "dense.weight", {d, q});
    w.bo = r.get(a + "dense.bias", {d});
    w.wIn = r.get(p + "mlp.fc1.weight", {c.dMlp, d});
    w.bIn = r.get(p + "mlp.fc1.bias", {c.dMlp});
    w.wOut = r.get(p + "mlp.fc2.weight", {d, c.dMlp});
    w.bOut = r.get(p + "mlp.fc2.bias", {d});
    return w;
}
} // namespace

Family phiFamily() {
    Family f;
    f.modelType = "phi";
    f.basePrefix = "model.";
    f.parseConfig = parsePhi;
    f.embedName = "model.embed_tokens.weight";
    f.finalNormName = "model.final_layernorm";
    f.lmHeadName = "lm_head";
    f.loadLayer = loadPhiLayer;
    return f;
}

} // namespace mistudio::model
