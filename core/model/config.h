#pragma once
// A Hugging Face config.json normalised into one typed description that the runtime executes.
// Every supported family (gpt2, gpt_neox, llama, mistral, qwen2, phi, phi3, gemma, gemma2) is
// described with the same fields: which norm, which residual layout, which MLP, which positions.
// The per-family parsers (core/model/families/*.cpp) fill them with transformers' defaults.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace mistudio::model {

enum class NormKind {
    LayerNorm,    // (x - mean) / sqrt(var + eps) * w + b
    RmsNorm,      // Llama: (x * rsqrt(mean(x^2) + eps)).to(dtype) * w
    GemmaRmsNorm, // Gemma: (x * rsqrt(mean(x^2) + eps) * (1 + w)).to(dtype)
};

enum class ResidualKind {
    Sequential,      // x += attn(ln1(x)); x += mlp(ln2(x))
    Parallel,        // x += attn(ln1(x)) + mlp(ln2(x))   (gpt_neox use_parallel_residual)
    ParallelOneNorm, // h = ln1(x); x += attn(h) + mlp(h)  (phi)
};

enum class Activation { Gelu, GeluTanh, Silu, Relu };

enum class PositionKind { Learned, Rotary };

/// Which layers use the sliding window (when slidingWindow > 0).
enum class SlidingLayers { None, All, Even, FromLayer };

struct RopeConfig {
    double theta = 10000.0;
    int64_t rotaryDim = 0;        // dims of each head that rotate (partial rotary: < headDim)
    std::string type = "default"; // default | linear | dynamic | llama3 | longrope
    double factor = 1.0;
    double lowFreqFactor = 1.0;                  // llama3
    double highFreqFactor = 4.0;                 // llama3
    int64_t originalMaxPositions = 0;            // llama3, longrope
    std::vector<double> shortFactor, longFactor; // longrope, rotaryDim/2 values each
    double attentionFactor = 1.0;                // longrope: cos/sin multiplier
};

struct ModelConfig {
    std::string modelType;
    std::vector<std::string> architectures;

    int64_t nLayers = 0;
    int64_t dModel = 0;
    int64_t nHeads = 0;
    int64_t nKvHeads = 0;
    int64_t headDim = 0;
    int64_t dMlp = 0;
    int64_t vocabSize = 0;
    int64_t maxPositions = 0;

    NormKind norm = NormKind::RmsNorm;
    double normEps = 1e-5;
    bool sandwichNorms = false; // gemma2: post-attention and post-feedforward norms
    ResidualKind residual = ResidualKind::Sequential;

    Activation activation = Activation::Silu;
    bool gatedMlp = true; // down(act(gate(x)) * up(x)) vs fc2(act(fc1(x)))

    PositionKind position = PositionKind::Rotary;
    RopeConfig rope;

    bool tieEmbeddings = false;
    bool scaleEmbeddings = false; // gemma: embeddings * sqrt(dModel)
    double attnScale = 0;         // multiplier of q.k (head_dim^-0.5 unless the family says)
    double attnSoftcap = 0;       // 0: none
    double finalSoftcap = 0;      // 0: none
    int64_t slidingWindow = 0;    // 0: none
    SlidingLayers slidingLayers = SlidingLayers::None;
    int64_t slidingFromLayer = 0; // FromLayer (qwen2 max_window_layers)

    bool qkvBias = false;
    bool oBias = false;
    bool mlpBias = false;
    bool lmHeadBias = false;

    std::string torchDtype; // as written in config.json ("float32", "bfloat16"...), may be empty
    int64_t bosTokenId = -1;
    std::vector<int64_t> eosTokenIds;

    /// True when the family has a `blocks.L.hook_resid_mid` (sequential residual).
    bool hasResidMid() const { return residual == ResidualKind::Sequential; }
    /// Whether layer `layer` attends through the sliding window.
    bool layerIsSliding(int64_t layer) const;
    /// Parameter count implied by the dimensions (checked against absurd sizes before loading).
    double estimatedParameters() const;
};

/// Parses a config.json document. Throws Exception(Unsupported) for an unknown model_type (the
/// message lists the supported ones) and InvalidFormat for missing/absurd values; `where` names
/// the file in messages.
ModelConfig parseModelConfig(const nlohmann::json& j, const std::string& where);

/// Reads and parses FOLDER/config.json.
ModelConfig loadModelConfig(const std::string& folder);

/// The model_type values parseModelConfig accepts, sorted.
std::vector<std::string> supportedModelTypes();

// Helpers for the family parsers: a key that is absent or null takes `fallback`; a present key
// of the wrong type is an InvalidFormat error naming the key.
namespace cfg {
int64_t intOr(const nlohmann::json& j, const char* key, int64_t fallback);
double numberOr(const nlohmann::json& j, const char* key, double fallback);
bool boolOr(const nlohmann::json& j, const char* key, bool fallback);
std::string stringOr(const nlohmann::json& j, const char* key, const std::string& fallback);
int64_t requiredInt(const nlohmann::json& j, const char* key);
/// True when the key is present with a JSON null. transformers passes config.json values as
/// constructor kwargs, so null overrides the class default: for optional features
/// (sliding_window, soft-capping) null means "off", not "default".
bool isNull(const nlohmann::json& j, const char* key);
Activation activationFromName(const std::string& name, const char* key);
/// Reads rope_theta / rope_scaling (linear, dynamic, llama3, longrope/su) into cfg.rope.
void parseRopeScaling(const nlohmann::json& j, ModelConfig& cfg);
} // namespace cfg

} // namespace mistudio::model
