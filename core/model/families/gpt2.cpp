// gpt2: learned positions, LayerNorm, Conv1D weights stored [in, out] (transposed here once),
// fused c_attn (q | k | v), gelu_new MLP, tied head by default.
#include "mistudio/result.h"
#include "model/family.h"

#include <nlohmann/json.hpp>

namespace mistudio::model {

namespace {
void parseGpt2(const nlohmann::json& j, ModelConfig& c) { // GPT2Config's defaults
    c.vocabSize = cfg::intOr(j, "vocab_size", 50257);
    c.maxPositions = cfg::intOr(j, "n_positions", 1024);
    c.dModel = cfg::intOr(j, "n_embd", 768);
    c.nLayers = cfg::intOr(j, "n_layer", 12);
    c.nHeads = cfg::intOr(j, "n_head", 12);
    c.nKvHeads = c.nHeads;
    c.headDim = c.nHeads > 0 ? c.dModel / c.nHeads : 0;
    c.dMlp = cfg::intOr(j, "n_inner", 4 * c.dModel); // null means 4 * n_embd
    c.activation = cfg::activationFromName(cfg::stringOr(j, "activation_function", "gelu_new"),
                                           "activation_function");
    c.gatedMlp = false;
    c.norm = NormKind::LayerNorm;
    c.normEps = cfg::numberOr(j, "layer_norm_epsilon", 1e-5);
    c.residual = ResidualKind::Sequential;
    c.position = PositionKind::Learned;
    c.tieEmbeddings = cfg::boolOr(j, "tie_word_embeddings", true);
    c.qkvBias = c.oBias = c.mlpBias = true;
    if (!cfg::boolOr(j, "scale_attn_weights", true))
        c.attnScale = 1.0;
    if (cfg::boolOr(j, "scale_attn_by_inverse_layer_idx", false))
        throw Exception(ErrorCode::Unsupported, "scale_attn_by_inverse_layer_idx is not supported",
                        "config.json", "Only standard GPT-2 attention scaling runs here");
}

LayerWeights loadGpt2Layer(const WeightReader& r, const ModelConfig& c, int64_t layer) {
    const std::string p = "transformer.h." + std::to_string(layer) + ".";
    const int64_t d = c.dModel, inner = c.dMlp;
    // Conv1D computes x @ W + b with W [in, out]: transpose to the nn.Linear layout.
    auto conv = [&](const std::string& name, int64_t in, int64_t out) {
        return r.get(name + ".weight", {in, out}).t().contiguous();
    };
    LayerWeights w;
    w.ln1 = r.norm(p + "ln_1", d);
    w.ln2 = r.norm(p + "ln_2", d);
    w.wqkv = conv(p + "attn.c_attn", d, 3 * d);
    w.bqkv = r.get(p + "attn.c_attn.bias", {3 * d});
    w.wo = conv(p + "attn.c_proj", d, d);
    w.bo = r.get(p + "attn.c_proj.bias", {d});
    w.wIn = conv(p + "mlp.c_fc", d, inner);
    w.bIn = r.get(p + "mlp.c_fc.bias", {inner});
    w.wOut = conv(p + "mlp.c_proj", inner, d);
    w.bOut = r.get(p + "mlp.c_proj.bias", {d});
    return w;
}
} // namespace

Family gpt2Family() {
    Family f;
    f.modelType = "gpt2";
    f.basePrefix = "transformer.";
    f.parseConfig = parseGpt2;
    f.embedName = "transformer.wte.weight";
    f.posEmbedName = "transformer.wpe.weight";
    f.finalNormName = "transformer.ln_f";
    f.lmHeadName = "lm_head";
    f.loadLayer = loadGpt2Layer;
    return f;
}

} // namespace mistudio::model
