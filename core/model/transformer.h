#pragma once
// The transformer runtime: runs a Hugging Face causal LM folder natively and exposes its internals
// at TransformerLens hook points. This is the API activation extraction and SAE evaluation use:
//
//   auto model = model::Transformer::open(folder, {.device = "cpu"});
//   model::ForwardRequest req;
//   req.capture = {"blocks.6.hook_resid_post"};
//   req.logits = false;                         // early exit: blocks 7.. never run (or load)
//   auto out = model->forward(ids, req);        // out.activations["blocks.6.hook_resid_post"]
//
//   req = {};                                   // splice an SAE reconstruction, keep going
//   req.edit["blocks.6.hook_resid_post"] = [&](const std::string&, const at::Tensor& x) {
//       return sae.reconstruct(x); };
//   auto spliced = model->forward(ids, req);    // spliced.logits
//   auto loss = model::nextTokenLoss(spliced.logits, ids, mask);
//
// Inference only: forward() runs under at::NoGradGuard. Weights are read lazily: a forward loads
// the decoder blocks it needs (all, or up to the deepest hook), and the final norm and the
// unembedding only when it produces logits.

#include "model/config.h"
#include "model/family.h"

#include <ATen/ATen.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mistudio::io {
class SafetensorsModel;
}

namespace mistudio::model {

struct LoadOptions {
    std::string device = "cpu";    // cpu | cuda | cuda:N (checked with mistudio::checkDevice)
    std::string dtype = "float32"; // float32 | bfloat16 | float16 (half types on CUDA only)
    /// none | bf16 | fp16 | int8 | nf4 | int4 (quant/quant.h). Quantized modes quantize the
    /// attention and MLP matrices at load time, one tensor at a time from the mapping, and the
    /// embedding / unembedding to int8; norms and biases stay in the compute dtype. bf16/fp16
    /// set the compute dtype on CUDA and fall back to fp32 on the CPU (see quantPlan().reason).
    std::string quant = "none";
    /// nf4 only: QLoRA double quantization of the block scales (8-bit instead of fp32 absmax,
    /// ~0.37 fewer bits per weight). Ignored by the other modes.
    bool doubleQuant = false;
};

/// Replaces an activation: receives the hook name and the activation, returns the tensor that
/// continues through the model (same shape).
using HookFn = std::function<at::Tensor(const std::string& hook, const at::Tensor& activation)>;

struct ForwardRequest {
    /// [B, T]: 1 for tokens, 0 for padding (left or right). Undefined: no padding. Positions are
    /// counted over real tokens, so a left-padded row computes what the unpadded row computes.
    at::Tensor attentionMask;
    /// Hook names whose activations are returned in ForwardResult::activations ([B, T, d], the
    /// run's dtype and device). A captured hook that is also replaced/edited returns the new value.
    std::vector<std::string> capture;
    /// The activation at a hook is replaced by this tensor ([B, T, d]) and the forward continues.
    std::map<std::string, at::Tensor> replace;
    /// The activation at a hook is replaced by fn(name, activation).
    std::map<std::string, HookFn> edit;
    /// Produce logits. When false the forward stops right after the deepest captured hook.
    bool logits = true;
    /// Only the last position's logits ([B, 1, V]); for generation.
    bool logitsLastPositionOnly = false;
    /// Also return Hugging Face's output_hidden_states (L + 1 tensors, see ForwardResult).
    bool hiddenStates = false;
};

struct ForwardResult {
    at::Tensor logits; // [B, T, V] (final soft-capping applied); undefined when not requested
    std::map<std::string, at::Tensor> activations;
    /// hiddenStates[0] = input of block 0, [k] = output of block k-1 for k < L, [L] = final norm
    /// applied to the output of the last block (transformers' output_hidden_states).
    std::vector<at::Tensor> hiddenStates;
    int64_t layersRun = 0;
};

class Transformer {
public:
    /// Reads config.json and the safetensors headers; no weights yet. Throws mistudio::Exception.
    static std::shared_ptr<Transformer> open(const std::string& folder,
                                             const LoadOptions& options = {});
    ~Transformer();

    const ModelConfig& config() const { return m_cfg; }
    const std::string& folder() const { return m_folder; }
    at::Device device() const { return m_device; }
    at::ScalarType dtype() const { return m_dtype; }
    /// What --quant resolved to (weight format, compute dtype, fallback reason).
    const quant::ComputePlan& quantPlan() const { return m_plan; }
    /// Bytes held by the loaded weights (float tensors + quantized codes and scales).
    int64_t weightBytes() const;
    /// All hook names of this model, in forward order.
    std::vector<std::string> hookPoints() const;

    /// input ids [B, T] (int64, any device). Throws InvalidArgument for bad ids/hooks/shapes.
    ForwardResult forward(const at::Tensor& inputIds, const ForwardRequest& request = {});

    /// Loads blocks 0..layers-1 (and the final norm + unembedding when `head`) now.
    void preload(int64_t layers, bool head);
    int64_t layersLoaded() const;
    /// Parameters of decoder blocks 0..layers-1, plus the unembedding when `head` (embedding
    /// lookups and norms are not matrix products and are not counted). For FLOP estimates.
    int64_t matmulParameters(int64_t layers, bool head) const;

    /// Direct logit effects of residual-stream directions [N, d_model]: each direction scaled by
    /// the final norm's elementwise weight ((1 + w) for Gemma norms; the norm's centring and
    /// bias are ignored, as in SAELens / Neuronpedia) and multiplied by the unembedding.
    /// Returns fp32 [N, vocab] on the directions' device.
    at::Tensor directLogitEffects(const at::Tensor& directions);

private:
    Transformer() = default;
    void ensureLayers(int64_t n);
    void ensureHead(bool unembedding);
    void quantizeLayer(LayerWeights& w) const;
    at::Tensor embed(const at::Tensor& ids) const;
    at::Tensor unembedding() const; // [V, d] in the compute dtype
    at::Tensor unembed(const at::Tensor& x) const; // logits before soft-capping
    bool quantized() const { return quant::traits(m_plan.mode).quantized; }

    std::string m_folder;
    ModelConfig m_cfg;
    const Family* m_family = nullptr;
    at::Device m_device = at::kCPU;
    at::ScalarType m_dtype = at::kFloat;
    std::shared_ptr<const io::SafetensorsModel> m_st;
    std::unique_ptr<WeightReader> m_reader;
    at::Tensor m_embed, m_posEmbed;
    NormWeights m_finalNorm;
    at::Tensor m_lmHead, m_lmHeadBias;
    quant::ComputePlan m_plan;
    quant::QuantizedTensor m_lmHeadQ; // int8 in quantized runs
    bool m_embedMapped = false;       // quantized runs: m_embed is a view of the file
    bool m_doubleQuant = false;       // nf4 with 8-bit scales (LoadOptions::doubleQuant)
    bool m_finalNormLoaded = false;
    bool m_headLoaded = false;
    std::vector<LayerWeights> m_layers;
    std::mutex m_loadMutex;
};

/// Next-token cross-entropy per position, [B, T-1] fp32: entry t is -log p(ids[t+1] | ids[..t]).
/// Entries where token t or t+1 is padding (mask 0) are 0.
at::Tensor nextTokenLoss(const at::Tensor& logits, const at::Tensor& inputIds,
                         const at::Tensor& attentionMask = {});

/// Greedy decoding of up to `maxNewTokens` ids after `prompt` (stops early at an eos id when
/// `stopAtEos`). Returns only the new ids.
std::vector<int64_t> generateGreedy(Transformer& model, const std::vector<int64_t>& prompt,
                                    int64_t maxNewTokens, bool stopAtEos = true);

/// Parses "float32" | "bfloat16" | "float16" (also "fp32", "bf16", "fp16").
at::ScalarType parseDtype(const std::string& name);

} // namespace mistudio::model
