#pragma once
// What the GUI and the CLI need to know about a model folder without running it: family,
// dimensions, hook points, files. Plain structs, no LibTorch.

#include <cstdint>
#include <string>
#include <vector>

namespace mistudio {

struct ModelInfo {
    std::string folder;
    std::string modelType; // config.json model_type, e.g. "llama"
    std::vector<std::string> architectures;
    int64_t nLayers = 0;
    int64_t dModel = 0;
    int64_t nHeads = 0;
    int64_t nKvHeads = 0;
    int64_t headDim = 0;
    int64_t dMlp = 0;
    int64_t vocabSize = 0;
    int64_t maxPositions = 0;
    bool parallelResidual = false; // no blocks.L.hook_resid_mid
    bool tiedEmbeddings = false;
    int64_t nParams = 0; // counted from the safetensors headers
    std::string dtype;   // of the weights on disk ("float32", "bfloat16"; "mixed" if several)
    std::vector<std::string> files;      // safetensors files (names relative to the folder)
    std::vector<std::string> hookPoints; // TransformerLens names, in forward order
    bool hasTokenizer = false;           // tokenizer.json present
};

/// Reads config.json and the safetensors headers of a local model folder (no weights are read).
/// Throws mistudio::Exception with a sentence when the folder is not a supported model.
ModelInfo inspectModel(const std::string& folder);

/// The hook names of a model with `nLayers` blocks, in forward order: hook_embed, then per block
/// blocks.L.hook_resid_pre, hook_attn_out, [hook_resid_mid,] hook_mlp_out, hook_resid_post, and
/// ln_final.hook_normalized. hook_resid_mid exists only with a sequential residual.
std::vector<std::string> hookPointNames(int64_t nLayers, bool hasResidMid);

/// Model types the runtime can run ("gemma", "gemma2", "gpt2", ...), sorted.
std::vector<std::string> supportedModelTypeNames();

} // namespace mistudio
