#include "sae/metric_names.h"

#include <cmath>

namespace mistudio::sae {

std::vector<std::pair<const char*, double>> namedStepMetrics(const StepMetrics& m) {
    return {{"loss", m.loss},
            {"mse", m.mse},
            {"fvu", m.fvu},
            {"sparsity_loss", m.sparsityLoss},
            {"aux_loss", m.auxLoss},
            {"l0", m.l0},
            {"dead", static_cast<double>(m.deadCount)},
            {"dense", static_cast<double>(m.denseCount)},
            {"lr", m.lr},
            {"sparsity_coefficient", m.sparsityCoefficient},
            {"grad_norm", m.gradNorm},
            {"threshold", m.threshold},
            {"tokens", static_cast<double>(m.tokens)},
            {"tokens_per_s", m.tokensPerSecond}};
}

std::vector<MetricPoint> stepMetricPoints(const StepMetrics& m) {
    std::vector<MetricPoint> out;
    for (const auto& [name, value] : namedStepMetrics(m))
        out.push_back({m.step, name, value});
    return out;
}

std::vector<std::pair<const char*, double>> namedEvalMetrics(const EvalMetrics& e) {
    return {{"eval_tokens", static_cast<double>(e.tokens)},
            {"l0", e.l0},
            {"explained_variance", e.explainedVariance},
            {"mse", e.mse},
            {"cos_sim", e.cosSim},
            {"l2_ratio", e.l2Ratio},
            {"relative_reconstruction_bias", e.relativeReconstructionBias},
            {"ce_clean", e.ceClean},
            {"ce_spliced", e.ceSpliced},
            {"ce_zero", e.ceZero},
            {"delta_ce", e.deltaCe},
            {"ce_loss_recovered", e.ceLossRecovered},
            {"kl", e.kl},
            {"dead_fraction", e.deadFraction},
            {"dense_fraction", e.denseFraction},
            {"ultra_rare_count", static_cast<double>(e.ultraRareCount)}};
}

std::vector<EvalValue> evalValues(const EvalMetrics& e) {
    std::vector<EvalValue> out;
    for (const auto& [name, value] : namedEvalMetrics(e))
        if (std::isfinite(value))
            out.push_back({name, value});
    return out;
}

} // namespace mistudio::sae
