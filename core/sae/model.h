#pragma once
// An SAE ready for inference on raw activations (input scaling already folded in), as saved in and
// loaded from a SAELens folder. Training-time parameters live in SaeTrainer.

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <string>

namespace mistudio::sae {

/// What the encoder does at inference.
enum class InferenceKind {
    ReLU,     // f = ReLU(pre)
    TopK,     // top k of ReLU(pre) per token
    JumpReLU, // f = ReLU(pre) * H(pre - threshold)   (JumpReLU and BatchTopK after training)
};

/// "relu" | "topk" | "jumprelu": the name a project run records.
const char* inferenceKindName(InferenceKind kind);

struct SaeModel {
    InferenceKind kind = InferenceKind::ReLU;
    int64_t k = 0;
    at::Tensor encT;      // [d_sae, d_in]  (the transpose of SAELens W_enc)
    at::Tensor bEnc;      // [d_sae]
    at::Tensor wDec;      // [d_sae, d_in]
    at::Tensor bDec;      // [d_in]
    at::Tensor threshold; // [d_sae] for JumpReLU, undefined otherwise
    nlohmann::json cfg;   // the cfg.json it was saved with / loaded from

    int64_t dIn() const { return wDec.size(1); }
    int64_t dSae() const { return wDec.size(0); }
    /// pre = (x - b_dec) W_enc + b_enc, [B, d_sae].
    at::Tensor preActivations(const at::Tensor& x) const;
    /// Dense codes [B, d_sae] (zeros where inactive).
    at::Tensor encode(const at::Tensor& x) const;
    /// x_hat = f W_dec + b_dec; TopK codes go through the k-sparse decoder.
    at::Tensor decode(const at::Tensor& f) const;
    /// Both at once: {codes, reconstruction}.
    std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& x) const;
};

} // namespace mistudio::sae
