#include "analysis/accumulator.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mistudio::analysis {

FeatureAccumulator::FeatureAccumulator(int64_t dSae, AccumulatorOptions options)
    : m_dSae(dSae), m_opt(options), m_count(dSae, 0), m_sum(dSae, 0.0), m_max(dSae, 0.f),
      m_minPositive(dSae, std::numeric_limits<float>::infinity()), m_top(dSae),
      m_hist(dSae * options.histogramBins, 0), m_binSeen(dSae * options.quantileBins, 0),
      m_bins(dSae * options.quantileBins), m_rng(options.seed) {}

FeatureExample FeatureAccumulator::context(const CodeBatch& b,
                                           const at::TensorAccessor<float, 3>& codes, int64_t w,
                                           int64_t t, int64_t f) const {
    const int64_t T = codes.size(1);
    const int64_t start = std::max<int64_t>(0, t - m_opt.contextRadius);
    const int64_t end = std::min<int64_t>(T, t + m_opt.contextRadius + 1);
    FeatureExample e;
    e.tokenIds.reserve(end - start);
    e.activations.reserve(end - start);
    for (int64_t i = start; i < end; ++i) {
        e.tokenIds.push_back(b.tokens[w * T + i]);
        e.activations.push_back(codes[w][i][f]);
    }
    e.maxPosition = static_cast<int>(t - start);
    e.documentId = b.document[w * T + t];
    const int32_t pos = b.position[w * T + t];
    e.documentOffset = pos >= 0 ? pos - (t - start) : 0;
    return e;
}

void FeatureAccumulator::offerTop(int64_t f, float value, int64_t window, const CodeBatch& b,
                                  const at::TensorAccessor<float, 3>& codes, int64_t w, int64_t t) {
    auto& top = m_top[f];
    // Strictly better than the worst kept one: on ties the earlier window stays.
    auto it = std::find_if(top.begin(), top.end(), [&](const Top& x) { return value > x.value; });
    if (it == top.end() && static_cast<int>(top.size()) >= m_opt.topK)
        return;
    top.insert(it, Top{value, window, context(b, codes, w, t, f)});
    if (static_cast<int>(top.size()) > m_opt.topK)
        top.pop_back();
}

void FeatureAccumulator::observeFirst(const CodeBatch& b) {
    const at::Tensor& codes = b.codes;
    const int64_t W = codes.size(0);
    m_tokens += b.includedTokens;
    const at::Tensor flat = codes.view({-1, m_dSae});
    const at::Tensor fires = flat > 0;
    const at::Tensor count = fires.sum(0).to(at::kLong).contiguous();
    const at::Tensor sum = flat.to(at::kDouble).sum(0).contiguous();
    const at::Tensor mx = flat.amax(0).contiguous();
    const at::Tensor mn =
        at::where(fires, flat, at::full({}, std::numeric_limits<float>::infinity())).amin(0);
    const auto* pc = count.data_ptr<int64_t>();
    const auto* ps = sum.data_ptr<double>();
    const auto* pmx = mx.data_ptr<float>();
    const at::Tensor mnc = mn.contiguous();
    const auto* pmn = mnc.data_ptr<float>();
    for (int64_t f = 0; f < m_dSae; ++f) {
        m_count[f] += pc[f];
        m_sum[f] += ps[f];
        m_max[f] = std::max(m_max[f], pmx[f]);
        m_minPositive[f] = std::min(m_minPositive[f], pmn[f]);
    }
    // Top-k windows: each window's peak per feature, then the batch's best k windows.
    const auto [wmax, warg] = codes.max(1); // [W, d_sae]
    const int64_t kk = std::min<int64_t>(m_opt.topK, W);
    const auto [topv, topi] = wmax.topk(kk, 0, true, true);
    const auto tv = topv.accessor<float, 2>();
    const auto ti = topi.accessor<int64_t, 2>();
    const at::Tensor wargc = warg.contiguous();
    const auto wa = wargc.accessor<int64_t, 2>();
    const auto acc = codes.accessor<float, 3>();
    for (int64_t f = 0; f < m_dSae; ++f)
        for (int64_t j = 0; j < kk; ++j) {
            const float v = tv[j][f];
            if (!(v > 0))
                break;
            const auto& top = m_top[f];
            if (static_cast<int>(top.size()) >= m_opt.topK && !(v > top.back().value))
                break;
            const int64_t w = ti[j][f];
            offerTop(f, v, m_windowsFirst + w, b, acc, w, wa[w][f]);
        }
    m_windowsFirst += W;
}

int FeatureAccumulator::histogramBin(int64_t f, float v) const {
    const double lo = m_minPositive[f], hi = m_max[f];
    if (!(hi > lo))
        return 0;
    const double x = (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo));
    return std::clamp(static_cast<int>(x * m_opt.histogramBins), 0, m_opt.histogramBins - 1);
}

void FeatureAccumulator::observeSecond(const CodeBatch& b) {
    const at::Tensor& codes = b.codes;
    const int64_t T = codes.size(1);
    const at::Tensor nz = at::nonzero(codes.view({-1, m_dSae}) > 0).contiguous(); // [M, 2]
    const auto idx = nz.accessor<int64_t, 2>();
    const float* data = codes.data_ptr<float>();
    const auto acc = codes.accessor<float, 3>();
    const int Q = m_opt.quantileBins;
    for (int64_t i = 0; i < idx.size(0); ++i) {
        const int64_t n = idx[i][0], f = idx[i][1];
        const float v = data[n * m_dSae + f];
        ++m_hist[f * m_opt.histogramBins + histogramBin(f, v)];
        const int q = std::min(Q - 1, static_cast<int>(v / m_max[f] * Q));
        const int64_t slot = f * Q + q;
        const int64_t seen = ++m_binSeen[slot];
        auto& bin = m_bins[slot];
        // Reservoir sampling (algorithm R): every token of the bin is kept with equal chance.
        if (static_cast<int>(bin.size()) < m_opt.perBin) {
            bin.push_back(context(b, acc, n / T, n % T, f));
        } else {
            const auto j = static_cast<int64_t>(m_rng() % static_cast<uint64_t>(seen));
            if (j < m_opt.perBin)
                bin[j] = context(b, acc, n / T, n % T, f);
        }
    }
    m_windowsSecond += codes.size(0);
}

FeatureStats FeatureAccumulator::stats(int64_t f) const {
    FeatureStats s;
    s.index = f;
    s.density = m_tokens > 0 ? double(m_count[f]) / double(m_tokens) : 0.0;
    s.maxActivation = m_max[f];
    s.meanActivation = m_count[f] > 0 ? m_sum[f] / double(m_count[f]) : 0.0;
    return s;
}

std::vector<FeatureExample> FeatureAccumulator::topExamples(int64_t f) const {
    std::vector<FeatureExample> out;
    for (size_t r = 0; r < m_top[f].size(); ++r) {
        FeatureExample e = m_top[f][r].example;
        e.kind = ExampleKind::Top;
        e.rank = static_cast<int>(r);
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<FeatureExample> FeatureAccumulator::quantileExamples(int64_t f) const {
    std::vector<FeatureExample> out;
    const int Q = m_opt.quantileBins;
    for (int q = Q - 1; q >= 0; --q) {
        const auto& bin = m_bins[f * Q + q];
        for (size_t r = 0; r < bin.size(); ++r) {
            FeatureExample e = bin[r];
            e.kind = ExampleKind::Quantile;
            e.bin = q;
            e.rank = static_cast<int>(r);
            e.binMin = m_max[f] * q / Q;
            e.binMax = m_max[f] * (q + 1) / Q;
            e.binContains = double(m_binSeen[f * Q + q]) / double(std::max<int64_t>(1, m_count[f]));
            out.push_back(std::move(e));
        }
    }
    return out;
}

Histogram FeatureAccumulator::histogram(int64_t f) const {
    Histogram h;
    if (m_count[f] == 0)
        return h;
    const int H = m_opt.histogramBins;
    const double lo = m_minPositive[f], hi = m_max[f];
    for (int i = 0; i <= H; ++i)
        h.edges.push_back(
            hi > lo ? float(std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * i / H))
                    : float(i == 0 ? lo : hi));
    h.counts.assign(m_hist.begin() + f * H, m_hist.begin() + (f + 1) * H);
    return h;
}

void FeatureAccumulator::release(int64_t end) {
    const int Q = m_opt.quantileBins;
    for (int64_t f = 0; f < std::min(end, m_dSae); ++f) {
        std::vector<Top>().swap(m_top[f]);
        for (int q = 0; q < Q; ++q)
            std::vector<FeatureExample>().swap(m_bins[f * Q + q]);
    }
}

} // namespace mistudio::analysis
