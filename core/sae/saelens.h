#pragma once
// SAELens-compatible SAE folders: cfg.json + sae_weights.safetensors (+ sparsity.safetensors).
// Saved weights take raw activations (input scaling folded in, normalize_activations "none").

#include "sae/model.h"

#include <optional>
#include <string>
#include <vector>

namespace mistudio::sae {

struct SaeLensMetadata {
    std::string modelName;
    std::string hookName;
    int64_t contextSize = 0;
    std::string datasetPath;
    nlohmann::json extra; // written under cfg["mistudio"] (training record, folded scale...)
};

/// Writes DIR/cfg.json, DIR/sae_weights.safetensors (W_enc [d_in, d_sae], b_enc, W_dec
/// [d_sae, d_in], b_dec, threshold for JumpReLU) and, when given, DIR/sparsity.safetensors
/// ("sparsity": log10 feature density per latent). Each file is written to a temp name and renamed.
void saveSaeLens(const std::string& dir, const SaeModel& model, const SaeLensMetadata& meta,
                 const std::vector<double>& log10Density = {});

/// Reads a SAELens folder: sae_lens 3-5 flat cfgs (architecture "standard" with activation_fn_str
/// "topk" and activation_fn_kwargs.k, "jumprelu", "topk"), sae_lens 6 cfgs (k and metadata at the
/// top), Gemma Scope conversions (apply_b_dec_to_input false, folded into b_enc), log_threshold,
/// finetuning scaling factors. Throws InvalidFormat/Unsupported naming the file and key.
SaeModel loadSaeLens(const std::string& dir);

/// The cfg's hook_name: SAELens keeps it at the top level (v3-5) or under "metadata" (v6).
/// Empty when neither has one.
std::string cfgHookName(const nlohmann::json& cfg);

/// The saved log10 densities, if the folder has sparsity.safetensors.
std::optional<std::vector<double>> loadSparsity(const std::string& dir);

} // namespace mistudio::sae
