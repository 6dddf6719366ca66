#include "sae/metrics.h"

#include "mistudio/result.h"
#include "sae/metric_names.h"

#include <cmath>

namespace mistudio::sae {

EvalAccumulator::EvalAccumulator(int64_t dSae)
    : m_fires(at::zeros({dSae}, at::kLong)), m_dSae(dSae) {}

void EvalAccumulator::add(const at::Tensor& xIn, const at::Tensor& xhatIn,
                          const at::Tensor& codes) {
    at::Tensor x = xIn.to(at::kDouble);
    at::Tensor xhat = xhatIn.to(at::kDouble);
    if (x.sizes() != xhat.sizes() || x.dim() != 2 || codes.size(0) != x.size(0) ||
        codes.size(1) != m_dSae)
        throw Exception(ErrorCode::InvalidArgument, "EvalAccumulator::add: shapes do not match");
    if (!m_sumX.defined())
        m_sumX = at::zeros({x.size(1)}, at::kDouble);
    m_tokens += x.size(0);
    m_sse += (x - xhat).pow(2).sum().item<double>();
    m_sumSqX += x.pow(2).sum().item<double>();
    m_sumX.add_(x.sum(0));
    at::Tensor nx = x.norm(2, {1});
    at::Tensor nxh = xhat.norm(2, {1});
    at::Tensor dot = (x * xhat).sum(1);
    // A zero vector has no direction: cosine 0 and ratio 0 by convention (never NaN).
    m_cos += at::where(nx * nxh > 0, dot / (nx * nxh), at::zeros_like(dot)).sum().item<double>();
    m_l2Ratio += at::where(nx > 0, nxh / nx, at::zeros_like(nx)).sum().item<double>();
    m_sumSqXhat += nxh.pow(2).sum().item<double>();
    m_dot += dot.sum().item<double>();
    at::Tensor active = codes > 0;
    m_l0 += active.sum().item<double>();
    m_fires.add_(active.sum(0).to(at::kLong));
}

EvalMetrics EvalAccumulator::finish() const {
    EvalMetrics m;
    m.tokens = m_tokens;
    m.dSae = m_dSae;
    if (m_tokens == 0)
        throw Exception(ErrorCode::InvalidArgument, "no evaluation tokens", "",
                        "evaluate on at least one token");
    const double n = static_cast<double>(m_tokens);
    const double meanSq = m_sumX.pow(2).sum().item<double>() / n; // N ||xbar||^2
    const double totalVariance = m_sumSqX - meanSq;
    m.explainedVariance = totalVariance > 0 ? 1.0 - m_sse / totalVariance : 0.0;
    m.mse = m_sse / n;
    m.cosSim = m_cos / n;
    m.l2Ratio = m_l2Ratio / n;
    m.relativeReconstructionBias = m_dot != 0 ? m_sumSqXhat / m_dot : 0.0;
    m.l0 = m_l0 / n;
    at::Tensor density = m_fires.to(at::kDouble) / n;
    at::Tensor logd = (density + 1e-10).log10().contiguous();
    m.log10Density.assign(logd.data_ptr<double>(), logd.data_ptr<double>() + m_dSae);
    m.deadCount = (m_fires == 0).sum().item<int64_t>();
    m.ultraRareCount = (density < 1e-6).sum().item<int64_t>();
    m.denseCount = (density > 0.1).sum().item<int64_t>();
    m.deadFraction = static_cast<double>(m.deadCount) / m_dSae;
    m.denseFraction = static_cast<double>(m.denseCount) / m_dSae;
    return m;
}

namespace {
at::Tensor flatLogits(const at::Tensor& t) {
    return t.reshape({-1, t.size(-1)}).to(at::kDouble);
}
} // namespace

void CeAccumulator::add(const at::Tensor& clean, const at::Tensor& spliced, const at::Tensor& zero,
                        const at::Tensor& targets) {
    if (clean.sizes() != spliced.sizes() || clean.sizes() != zero.sizes() ||
        clean.numel() / clean.size(-1) != targets.numel())
        throw Exception(ErrorCode::InvalidArgument,
                        "CE metrics: clean, spliced and zero-ablated logits must have one shape "
                        "[tokens, vocab] and targets one entry per token");
    at::Tensor t = targets.reshape({-1}).to(at::kLong);
    at::Tensor keep = t >= 0;
    at::Tensor idx = keep.nonzero().reshape({-1});
    if (idx.numel() == 0)
        return;
    t = t.index_select(0, idx).unsqueeze(1);
    at::Tensor lpClean = at::log_softmax(flatLogits(clean).index_select(0, idx), 1);
    at::Tensor lpSpliced = at::log_softmax(flatLogits(spliced).index_select(0, idx), 1);
    at::Tensor lpZero = at::log_softmax(flatLogits(zero).index_select(0, idx), 1);
    m_ceClean -= lpClean.gather(1, t).sum().item<double>();
    m_ceSpliced -= lpSpliced.gather(1, t).sum().item<double>();
    m_ceZero -= lpZero.gather(1, t).sum().item<double>();
    at::Tensor pClean = lpClean.exp();
    m_kl += (pClean * (lpClean - lpSpliced)).sum().item<double>();
    m_klZero += (pClean * (lpClean - lpZero)).sum().item<double>();
    m_tokens += idx.numel();
}

CeMetrics CeAccumulator::finish() const {
    CeMetrics m;
    m.tokens = m_tokens;
    if (m_tokens == 0)
        throw Exception(ErrorCode::InvalidArgument, "CE metrics: no scored tokens");
    const double n = static_cast<double>(m_tokens);
    m.ceClean = m_ceClean / n;
    m.ceSpliced = m_ceSpliced / n;
    m.ceZero = m_ceZero / n;
    m.deltaCe = m.ceSpliced - m.ceClean;
    const double gap = m.ceZero - m.ceClean;
    m.ceLossRecovered =
        gap != 0 ? (m.ceZero - m.ceSpliced) / gap : std::numeric_limits<double>::quiet_NaN();
    m.kl = m_kl / n;
    m.klZero = m_klZero / n;
    m.klScore =
        m.klZero != 0 ? (m.klZero - m.kl) / m.klZero : std::numeric_limits<double>::quiet_NaN();
    return m;
}

CeMetrics computeCeMetrics(const at::Tensor& clean, const at::Tensor& spliced,
                           const at::Tensor& zero, const at::Tensor& targets) {
    CeAccumulator acc;
    acc.add(clean, spliced, zero, targets);
    return acc.finish();
}

std::vector<int64_t> log10DensityHistogram(const std::vector<double>& log10Density, int bins) {
    std::vector<int64_t> h(static_cast<size_t>(std::max(1, bins)), 0);
    for (double v : log10Density) {
        int b = static_cast<int>(std::floor((v + 10.0) / 10.0 * bins));
        h[static_cast<size_t>(std::clamp(b, 0, bins - 1))]++;
    }
    return h;
}

nlohmann::json evalMetricsJson(const EvalMetrics& e) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, value] : namedEvalMetrics(e))
        j[name] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
    j["eval_tokens"] = e.tokens; // counts stay integers
    j["ultra_rare_count"] = e.ultraRareCount;
    return j;
}

} // namespace mistudio::sae
