// gemma: (1 + w) RMSNorm, embeddings scaled by sqrt(hidden_size), GeGLU (tanh GELU), tied head.
#include "model/family.h"

#include <nlohmann/json.hpp>

namespace mistudio::model {

namespace {
void parseGemma(const nlohmann::json& j, ModelConfig& c) {
    llama_like::Defaults d; // GemmaConfig's defaults
    d.vocabSize = 256000;
    d.hiddenSize = 3072;
    d.intermediateSize = 24576;
    d.nLayers = 28;
    d.nHeads = 16;
    d.nKvHeads = 16;
    d.maxPositions = 8192;
    d.tieEmbeddings = true;
    llama_like::parseCommon(j, c, d);
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
} // namespace

Family gemmaFamily() {
    Family f;
    f.modelType = "gemma";
    f.basePrefix = "model.";
    f.parseConfig = parseGemma;
    f.embedName = "model.embed_tokens.weight";
    f.finalNormName = "model.norm";
    f.lmHeadName = "lm_head";
    f.loadLayer = llama_like::loadLayer;
    return f;
}

} // namespace mistudio::model
