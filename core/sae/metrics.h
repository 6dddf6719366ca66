#pragma once
// Evaluation metrics, defined exactly as in docs/METRICS.md (SAE-RECIPES.md section C). Sums are
// accumulated in float64 across batches and combined only at the end, so the result does not
// depend on how the eval set is split into batches.

#include "mistudio/sae.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace mistudio::sae {

class EvalAccumulator {
public:
    explicit EvalAccumulator(int64_t dSae);
    /// x, xhat [B, d] in the same units; codes [B, d_sae] (inference-mode latents).
    void add(const at::Tensor& x, const at::Tensor& xhat, const at::Tensor& codes);
    /// EV = 1 - sum ||x - xhat||^2 / sum ||x - xbar||^2 with xbar the per-dimension mean over all
    /// tokens added; sum ||x - xbar||^2 = sum ||x||^2 - N ||xbar||^2.
    EvalMetrics finish() const;

private:
    int64_t m_tokens = 0;
    double m_sse = 0, m_sumSqX = 0, m_cos = 0, m_l2Ratio = 0, m_sumSqXhat = 0, m_dot = 0, m_l0 = 0;
    at::Tensor m_sumX;  // float64 [d]
    at::Tensor m_fires; // int64 [d_sae]
    int64_t m_dSae;
};

/// Next-token cross-entropy metrics from logits computed three ways at the same positions.
struct CeMetrics {
    double ceClean = 0, ceSpliced = 0, ceZero = 0;
    double deltaCe = 0;         // ceSpliced - ceClean (nats)
    double ceLossRecovered = 0; // (ceZero - ceSpliced) / (ceZero - ceClean)
    double kl = 0;              // mean over tokens of KL(p_clean || p_spliced), nats
    double klZero = 0;          // mean over tokens of KL(p_clean || p_zero)
    double klScore = 0;         // (klZero - kl) / klZero
    int64_t tokens = 0;
};

/// Accumulates CE metrics over batches. Model-free: the caller runs the model clean, with the SAE
/// reconstruction spliced at the hook, and with the hook zero-ablated, and passes the logits.
class CeAccumulator {
public:
    /// Logits [T, V] (or [B, S, V]); targets int64 [T] (or [B, S]): the next token at each
    /// position. Positions whose target is < 0 are skipped (padding, special tokens).
    void add(const at::Tensor& clean, const at::Tensor& spliced, const at::Tensor& zero,
             const at::Tensor& targets);
    CeMetrics finish() const;

private:
    double m_ceClean = 0, m_ceSpliced = 0, m_ceZero = 0, m_kl = 0, m_klZero = 0;
    int64_t m_tokens = 0;
};

/// One-shot form of CeAccumulator.
CeMetrics computeCeMetrics(const at::Tensor& clean, const at::Tensor& spliced,
                           const at::Tensor& zero, const at::Tensor& targets);

/// log10(density + 1e-10) histogram over latents: `bins` equal bins on [-10, 0].
std::vector<int64_t> log10DensityHistogram(const std::vector<double>& log10Density, int bins);

/// The evaluation as the JSON the CLI prints (`train`, `eval`): every metric key of issue 8,
/// NaN (no model wired) written as null.
nlohmann::json evalMetricsJson(const EvalMetrics& e);

} // namespace mistudio::sae
