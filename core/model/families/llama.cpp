// llama: Llama 2/3, TinyLlama, SmolLM, llama2.c conversions. rope_scaling linear, dynamic, llama3.
#include "model/family.h"

namespace mistudio::model {

namespace {
void parseLlama(const nlohmann::json& j, ModelConfig& c) {
    llama_like::parseCommon(j, c, llama_like::Defaults{}); // LlamaConfig's defaults
}
} // namespace

Family llamaFamily() {
    return llama_like::family("llama", parseLlama);
}

} // namespace mistudio::model
