#pragma once
// The architecture registry: one Family per Hugging Face model_type, each in its own file under
// core/model/families/, registered explicitly in registry.cpp (no static self-registration).
// A family is a config parser plus a weight-name map; the computation itself is shared
// (core/model/blocks.h) and steered by the ModelConfig fields the parser sets.
// docs/HOWTO-add-a-family.md walks through adding one.

#include "model/config.h"
#include "quant/quant.h"

#include <ATen/ATen.h>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace mistudio::io {
class SafetensorsModel;
}

namespace mistudio::model {

struct NormWeights {
    at::Tensor weight;
    at::Tensor bias; // undefined for RMS norms
};

/// One decoder block's weights in the runtime's normalised layout (nn.Linear [out, in]).
struct LayerWeights {
    NormWeights ln1;          // input norm (attention; both branches for ParallelOneNorm)
    NormWeights ln2;          // MLP input norm (unused for ParallelOneNorm)
    NormWeights postAttnNorm; // sandwich norms (gemma2), else undefined
    NormWeights postMlpNorm;
    at::Tensor wqkv, bqkv; // [(nHeads + 2 nKvHeads) * headDim, d]: rows q | k | v
    at::Tensor wo, bo;     // [d, nHeads * headDim]
    at::Tensor wIn, bIn;   // gated: [2 dMlp, d] rows gate | up; ungated: [dMlp, d]
    at::Tensor wOut, bOut; // [d, dMlp]
    // Quantized runs (--quant int8|nf4|int4): the four matrices above are replaced by these
    // (the float tensor is then undefined) and dequantized just in time in blocks.cpp.
    quant::QuantizedTensor qkvQ, woQ, wInQ, wOutQ;
};

/// Reads checkpoint tensors by Hugging Face name, converted to the run's dtype and device.
/// Checkpoints saved from the base model (GPT2Model, LlamaModel...) lack the family's prefix
/// ("transformer.", "model."): names are tried with and without it, as transformers does.
class WeightReader {
public:
    WeightReader(std::shared_ptr<const io::SafetensorsModel> st, std::string basePrefix,
                 at::ScalarType dtype, at::Device device);
    bool has(const std::string& name) const;
    /// Throws NotFound naming tensor and folder; with `shape`, InvalidFormat when it differs.
    at::Tensor get(const std::string& name, const std::vector<int64_t>& shape = {}) const;
    /// Undefined tensor when absent.
    at::Tensor opt(const std::string& name, const std::vector<int64_t>& shape = {}) const;
    /// `prefix.weight` and, when present, `prefix.bias`, both [d].
    NormWeights norm(const std::string& prefix, int64_t d) const;
    /// The tensor quantized straight from its mmapped bytes (no float copy of the whole tensor),
    /// its file pages released afterwards. Throws like get().
    quant::QuantizedTensor quantized(const std::string& name, const std::vector<int64_t>& shape,
                                     const quant::QuantConfig& config) const;
    /// Zero-copy view of the tensor in its stored dtype on the CPU (pages stay mapped until
    /// release()). Throws like get().
    at::Tensor view(const std::string& name, const std::vector<int64_t>& shape) const;
    /// Quantized runs: get()/opt() of 2-D tensors (the block matrices) return view()s, so a
    /// block is never held as floats; releaseViews() then drops their pages once quantized.
    void setMatrixViews(bool on) { m_matrixViews = on; }
    void releaseViews() const;
    /// Drops the mapped pages of one tensor (no-op for absent names).
    void release(const std::string& name) const;
    /// The dtype the tensor is stored in on disk.
    at::ScalarType savedDtype(const std::string& name) const;
    const io::SafetensorsModel& file() const { return *m_st; }

private:
    std::string resolve(const std::string& name) const; // empty when absent
    /// The stored name after existence (when `required`) and shape checks; empty when absent.
    std::string checked(const std::string& name, const std::vector<int64_t>& shape,
                        bool required) const;
    std::shared_ptr<const io::SafetensorsModel> m_st;
    std::string m_basePrefix;
    at::ScalarType m_dtype;
    at::Device m_device;
    bool m_matrixViews = false;
    mutable std::vector<std::string> m_viewed; // names handed out as views, not yet released
};

struct Family {
    std::string modelType;  // config.json "model_type"
    std::string basePrefix; // prefix of the base model's tensors, e.g. "model."
    /// Fills every ModelConfig field from config.json with transformers' defaults.
    void (*parseConfig)(const nlohmann::json& j, ModelConfig& cfg) = nullptr;
    std::string embedName;     // token embedding matrix [V, d]
    std::string posEmbedName;  // learned positions [P, d], empty for rotary families
    std::string finalNormName; // prefix: ".weight" (and ".bias")
    std::string lmHeadName;    // prefix: ".weight" (and ".bias"); ignored when tied
    LayerWeights (*loadLayer)(const WeightReader& r, const ModelConfig& cfg,
                              int64_t layer) = nullptr;
};

/// Registers the built-in families once (thread-safe); every lookup calls it.
void registerBuiltinFamilies();
/// The family of a model_type; throws Exception(Unsupported) listing the supported ones.
const Family& findFamily(const std::string& modelType);
std::vector<std::string> familyNames();

// Shared pieces the families compose (families/llama_like.cpp).
namespace llama_like {
/// The config class defaults of a Llama-like family (what transformers uses for absent keys).
struct Defaults {
    int64_t vocabSize = 32000;
    int64_t hiddenSize = 4096;
    int64_t intermediateSize = 11008;
    int64_t nLayers = 32;
    int64_t nHeads = 32;
    int64_t nKvHeads = 0; // 0: num_attention_heads
    int64_t maxPositions = 2048;
    double normEps = 1e-6;
    bool tieEmbeddings = false;
    const char* activation = "silu";
};
/// Llama-style keys: hidden_size, num_attention_heads, num_key_value_heads, head_dim,
/// intermediate_size, rms_norm_eps, hidden_act, rope_theta, rope_scaling, tie_word_embeddings.
void parseCommon(const nlohmann::json& j, ModelConfig& cfg, const Defaults& d);
/// model.layers.L.{input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm,
/// mlp.{gate,up,down}_proj}.
LayerWeights loadLayer(const WeightReader& r, const ModelConfig& cfg, int64_t layer);
/// A family with the Llama tensor names (model.embed_tokens, model.norm, lm_head).
Family family(std::string modelType, void (*parse)(const nlohmann::json&, ModelConfig&),
              LayerWeights (*load)(const WeightReader&, const ModelConfig&, int64_t) = loadLayer);
/// What gemma and gemma2 share on top of parseCommon: head_dim 256 by default, (1 + w) RMSNorm,
/// GeGLU from hidden_activation, embeddings scaled by sqrt(hidden_size).
void parseGemmaCommon(const nlohmann::json& j, ModelConfig& cfg, const Defaults& d);
} // namespace llama_like

} // namespace mistudio::model
