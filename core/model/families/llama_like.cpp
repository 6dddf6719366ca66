// The Llama layout shared by llama, mistral, qwen2, gemma and gemma2: separate q/k/v/o
// projections, gate/up/down MLP, RMSNorm, rotate_half RoPE.
#include "mistudio/result.h"
#include "model/family.h"

#include <nlohmann/json.hpp>

namespace mistudio::model::llama_like {

void parseCommon(const nlohmann::json& j, ModelConfig& c, const Defaults& d) {
    c.vocabSize = cfg::intOr(j, "vocab_size", d.vocabSize);
    c.dModel = cfg::intOr(j, "hidden_size", d.hiddenSize);
    c.dMlp = cfg::intOr(j, "intermediate_size", d.intermediateSize);
    c.nLayers = cfg::intOr(j, "num_hidden_layers", d.nLayers);
    c.nHeads = cfg::intOr(j, "num_attention_heads", d.nHeads);
    c.nKvHeads = cfg::intOr(j, "num_key_value_heads", d.nKvHeads > 0 ? d.nKvHeads : c.nHeads);
    c.maxPositions = cfg::intOr(j, "max_position_embeddings", d.maxPositions);
    if (c.nHeads <= 0 || c.dModel % c.nHeads != 0) {
        if (!j.contains("head_dim") || j["head_dim"].is_null())
            throw Exception(ErrorCode::InvalidFormat,
                            "hidden_size " + std::to_string(c.dModel) +
                                " is not a multiple of num_attention_heads " +
                                std::to_string(c.nHeads) + " and head_dim is not given",
                            "config.json", "Fix hidden_size / num_attention_heads / head_dim");
    }
    // head_dim: explicit in newer configs (Gemma: 256 != hidden/heads), else hidden / heads.
    c.headDim = cfg::intOr(j, "head_dim", c.nHeads > 0 ? c.dModel / c.nHeads : 0);
    c.norm = NormKind::RmsNorm;
    c.normEps = cfg::numberOr(j, "rms_norm_eps", d.normEps);
    c.residual = ResidualKind::Sequential;
    c.activation =
        cfg::activationFromName(cfg::stringOr(j, "hidden_act", d.activation), "hidden_act");
    c.gatedMlp = true;
    c.position = PositionKind::Rotary;
    c.rope.theta = cfg::numberOr(j, "rope_theta", 10000.0);
    // transformers' default rope init honours partial_rotary_factor for every family.
    c.rope.rotaryDim =
        static_cast<int64_t>(double(c.headDim) * cfg::numberOr(j, "partial_rotary_factor", 1.0));
    c.tieEmbeddings = cfg::boolOr(j, "tie_word_embeddings", d.tieEmbeddings);
    c.qkvBias = cfg::boolOr(j, "attention_bias", false);
    c.oBias = c.qkvBias;
    c.mlpBias = cfg::boolOr(j, "mlp_bias", false);
    cfg::parseRopeScaling(j, c);
}

LayerWeights loadLayer(const WeightReader& r, const ModelConfig& c, int64_t layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    const int64_t d = c.dModel, hd = c.headDim, q = c.nHeads * hd, kv = c.nKvHeads * hd;
    LayerWeights w;
    w.ln1 = r.norm(p + "input_layernorm", d);
    w.ln2 = r.norm(p + "post_attention_layernorm", d);
    const std::string a = p + "self_attn.";
    w.wqkv = at::cat({r.get(a + "q_proj.weight", {q, d}), r.get(a + "k_proj.weight", {kv, d}),
                      r.get(a + "v_proj.weight", {kv, d})});
    if (c.qkvBias)
        w.bqkv = at::cat({r.get(a + "q_proj.bias", {q}), r.get(a + "k_proj.bias", {kv}),
                          r.get(a + "v_proj.bias", {kv})});
    w.wo = r.get(a + "o_proj.weight", {d, q});
    if (c.oBias)
        w.bo = r.get(a + "o_proj.bias", {d});
    const std::string m = p + "mlp.";
    w.wIn = at::cat(
        {r.get(m + "gate_proj.weight", {c.dMlp, d}), r.get(m + "up_proj.weight", {c.dMlp, d})});
    w.wOut = r.get(m + "down_proj.weight", {d, c.dMlp});
    if (c.mlpBias) {
        w.bIn =
            at::cat({r.get(m + "gate_proj.bias", {c.dMlp}), r.get(m + "up_proj.bias", {c.dMlp})});
        w.bOut = r.get(m + "down_proj.bias", {d});
    }
    return w;
}

Family family(std::string modelType, void (*parse)(const nlohmann::json&, ModelConfig&),
              LayerWeights (*load)(const WeightReader&, const ModelConfig&, int64_t)) {
    Family f;
    f.modelType = std::move(modelType);
    f.basePrefix = "model.";
    f.parseConfig = parse;
    f.embedName = "model.embed_tokens.weight";
    f.finalNormName = "model.norm";
    f.lmHeadName = "lm_head";
    f.loadLayer = load;
    return f;
}

void parseGemmaCommon(const nlohmann::json& j, ModelConfig& c, const Defaults& d) {
    parseCommon(j, c, d);
    if (!j.contains("head_dim")) { // Gemma's class default is 256, not hidden / heads
        c.headDim = 256;
        c.rope.rotaryDim = 256;
        cfg::parseRopeScaling(j, c);
    }
    c.norm = NormKind::GemmaRmsNorm;
    // transformers ignores hidden_act ("gelu") and uses hidden_activation, defaulting to the tanh
    // approximation when it is absent.
    c.activation = cfg::activationFromName(
        cfg::stringOr(j, "hidden_activation", "gelu_pytorch_tanh"), "hidden_activation");
    c.scaleEmbeddings = true;
}

} // namespace mistudio::model::llama_like
