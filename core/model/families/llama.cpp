// llama: Llama 2/3, TinyLlama, SmolLM, llama2.c conversions. rope_scaling linear, dynamic, llama3.
#include "model/family.h"

namespace mistudio::model {

namespace {
void parseLlama(const nlohmann::json& j, ModelConfig& c) {
    llama_like::parseCommon(j, c, llama_like::Defaults{}); // LlamaConfig's defaults
}
} // namespace

Family llamaFamily() {
    Family f;
    f.modelType = "llama";
    f.basePrefix = "model.";
    f.parseConfig = parseLlama;
    f.embedName = "model.embed_tokens.weight";
    f.finalNormName = "model.norm";
    f.lmHeadName = "lm_head";
    f.loadLayer = llama_like::loadLayer;
    return f;
}

} // namespace mistudio::model
