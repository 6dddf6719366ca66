#include "mistudio/report.h"

#include <string>
#include <utility>
#include <vector>

namespace mistudio {

// Exact definitions, as in the field's corrected formulas (shared/design/SAE-RECIPES.md §C).
const std::vector<std::pair<std::string, std::string>>& metricDefinitions() {
    static const std::vector<std::pair<std::string, std::string>> defs = {
        {"l0", "Mean over evaluation tokens of the number of latents with f_i > 0 (inference mode: "
               "BatchTopK uses its learned threshold, not the training k)."},
        {"explained_variance",
         "EV = 1 − Σ_t ‖x_t − x̂_t‖² / Σ_t ‖x_t − x̄‖², x̄ the per-dimension mean over the whole "
         "evaluation set; numerator and denominator accumulated across batches. FVU = 1 − EV."},
        {"mse", "Mean over tokens of ‖x − x̂‖² (summed over dimensions)."},
        {"cos_sim", "Mean over tokens of cos(x, x̂)."},
        {"l2_ratio", "Mean over tokens of ‖x̂‖ / ‖x‖."},
        {"relative_reconstruction_bias", "γ = E‖x̂‖² / E[x·x̂]; γ < 1 means shrinkage."},
        {"ce_clean",
         "Next-token cross-entropy (nats) of the unmodified model, averaged over tokens."},
        {"ce_spliced", "The same with the hooked activation replaced by the SAE reconstruction x̂."},
        {"ce_zero", "The same with the hooked activation set to zero."},
        {"delta_ce", "ΔCE = CE_spliced − CE_clean, in nats (the downstream loss the SAE costs)."},
        {"ce_loss_recovered", "(CE_zero − CE_spliced) / (CE_zero − CE_clean)."},
        {"kl", "Mean over tokens of KL(p_clean ‖ p_spliced), summed over the vocabulary."},
        {"dead_fraction",
         "Share of latents that never fired in the window (10M tokens, or the whole "
         "run when shorter)."},
        {"dense_fraction", "Share of latents with density > 0.1."},
        {"density",
         "Per latent: tokens with f_i > 0 / tokens seen. Histograms use log10(density + 1e-10)."},
    };
    return defs;
}

} // namespace mistudio
