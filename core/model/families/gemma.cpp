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
    llama_like::parseGemmaCommon(j, c, d);
}
} // namespace

Family gemmaFamily() {
    return llama_like::family("gemma", parseGemma);
}

} // namespace mistudio::model
