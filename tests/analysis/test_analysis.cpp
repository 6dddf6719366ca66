// core/analysis against brute force: the streaming accumulator (stats, top-k windows, histograms,
// quantile bins) on random sparse codes fed in several batches, decoder neighbours against a full
// cosine matrix, and logit tokens against a direct matmul.
#include "analysis/accumulator.h"
#include "analysis/decoder_geometry.h"

#include <QtTest>
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace mistudio;
using namespace mistudio::analysis;

namespace {

constexpr int64_t kT = 12, kD = 9;

// Random sparse codes; each token id is its global position, so an example's window is known.
std::vector<CodeBatch> makeBatches(int64_t batches, int64_t windows, uint64_t seed) {
    at::manual_seed(seed);
    std::vector<CodeBatch> out;
    int64_t pos = 0;
    for (int64_t b = 0; b < batches; ++b) {
        CodeBatch c;
        const at::Tensor u = at::rand({windows, kT, kD});
        const at::Tensor keep = at::rand({windows, kT, kD}) < 0.3;
        // Feature 0 never fires (dead); feature 1 fires everywhere (dense).
        c.codes = at::where(keep, u * 5, at::zeros_like(u)).contiguous();
        c.codes.select(2, 0).zero_();
        c.codes.select(2, 1).copy_(u.select(2, 1) + 0.01);
        for (int64_t i = 0; i < windows * kT; ++i, ++pos) {
            c.tokens.push_back(static_cast<int32_t>(pos));
            c.document.push_back(pos / 7);
            c.position.push_back(static_cast<int32_t>(pos % 7));
        }
        c.includedTokens = windows * kT;
        out.push_back(std::move(c));
    }
    return out;
}

at::Tensor allCodes(const std::vector<CodeBatch>& batches) {
    std::vector<at::Tensor> parts;
    for (const auto& b : batches)
        parts.push_back(b.codes);
    return at::cat(parts, 0); // [W, T, D]
}

} // namespace

class TestAnalysis : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void statsAndTopKMatchBruteForce();
    void histogramsAndQuantileBinsMatchBruteForce();
    void neighborsMatchFullCosine();
    void logitTokensMatchDirectMatmul();
};

void TestAnalysis::statsAndTopKMatchBruteForce() {
    const auto batches = makeBatches(5, 6, 1);
    AccumulatorOptions o;
    o.topK = 4;
    o.contextRadius = 2;
    FeatureAccumulator acc(kD, o);
    for (const auto& b : batches)
        acc.observeFirst(b);
    const at::Tensor all = allCodes(batches);
    const auto a = all.accessor<float, 3>();
    const int64_t W = all.size(0), N = W * kT;
    QCOMPARE(acc.tokens(), N);
    for (int64_t f = 0; f < kD; ++f) {
        int64_t count = 0;
        double sum = 0, mx = 0;
        std::vector<std::pair<float, int64_t>> windows; // (peak, -window) to sort best first
        for (int64_t w = 0; w < W; ++w) {
            float peak = 0;
            for (int64_t t = 0; t < kT; ++t) {
                const float v = a[w][t][f];
                if (v > 0) {
                    ++count;
                    sum += v;
                }
                mx = std::max<double>(mx, v);
                peak = std::max(peak, v);
            }
            if (peak > 0)
                windows.push_back({peak, -w});
        }
        const FeatureStats s = acc.stats(f);
        QCOMPARE(acc.firingCount(f), count);
        QVERIFY(std::abs(s.density - double(count) / N) < 1e-12);
        QCOMPARE(float(s.maxActivation), float(mx));
        QVERIFY(std::abs(s.meanActivation - (count ? sum / count : 0)) < 1e-5);
        std::sort(windows.rbegin(), windows.rend());
        const auto top = acc.topExamples(f);
        QCOMPARE(int64_t(top.size()), std::min<int64_t>(4, int64_t(windows.size())));
        for (size_t r = 0; r < top.size(); ++r) {
            const int64_t w = -windows[r].second;
            const auto& e = top[r];
            QCOMPARE(e.activations.at(size_t(e.maxPosition)), windows[r].first);
            // The window around the peak: ids are global positions inside window w.
            const int64_t peakPos = e.tokenIds.at(size_t(e.maxPosition));
            QCOMPARE(peakPos / kT, w);
            for (size_t i = 0; i < e.tokenIds.size(); ++i) {
                const int64_t p = e.tokenIds[i];
                QCOMPARE(p / kT, w);
                QCOMPARE(e.activations[i], a[w][p % kT][f]);
            }
            const int64_t t = peakPos % kT;
            QCOMPARE(int64_t(e.tokenIds.size()), std::min(kT, t + 3) - std::max<int64_t>(0, t - 2));
            QCOMPARE(e.documentId, peakPos / 7);
        }
    }
    QCOMPARE(acc.stats(0).density, 0.0);
    QCOMPARE(acc.stats(1).density, 1.0);
}

void TestAnalysis::histogramsAndQuantileBinsMatchBruteForce() {
    const auto batches = makeBatches(4, 5, 2);
    AccumulatorOptions o;
    o.quantileBins = 10;
    o.perBin = 3;
    o.histogramBins = 8;
    o.contextRadius = 1;
    FeatureAccumulator acc(kD, o);
    for (const auto& b : batches)
        acc.observeFirst(b);
    for (const auto& b : batches)
        acc.observeSecond(b);
    const at::Tensor flat = allCodes(batches).reshape({-1, kD});
    const auto a = flat.accessor<float, 2>();
    for (int64_t f = 0; f < kD; ++f) {
        const Histogram h = acc.histogram(f);
        const auto quant = acc.quantileExamples(f);
        if (acc.firingCount(f) == 0) {
            QVERIFY(h.counts.empty());
            QVERIFY(quant.empty());
            continue;
        }
        QCOMPARE(h.edges.size(), h.counts.size() + 1);
        const float mx = float(acc.maxActivation(f));
        std::vector<int64_t> hist(h.counts.size(), 0), bins(10, 0);
        float mn = INFINITY;
        for (int64_t n = 0; n < flat.size(0); ++n)
            if (a[n][f] > 0)
                mn = std::min(mn, a[n][f]);
        QVERIFY(std::abs(h.edges.front() - mn) <= 1e-5f * mn);
        QVERIFY(std::abs(h.edges.back() - mx) <= 1e-5f * mx);
        for (int64_t i = 1; i + 1 < int64_t(h.edges.size()); ++i) // log-spaced: equal ratios
            QVERIFY(std::abs(std::log(h.edges[i + 1] / h.edges[i]) -
                             std::log(h.edges[i] / h.edges[i - 1])) < 1e-4);
        for (int64_t n = 0; n < flat.size(0); ++n) {
            const float v = a[n][f];
            if (!(v > 0))
                continue;
            const auto it = std::upper_bound(h.edges.begin(), h.edges.end(), v);
            ++hist[std::clamp<int64_t>(it - h.edges.begin() - 1, 0, int64_t(hist.size()) - 1)];
            ++bins[std::min(9, int(v / mx * 10))];
        }
        QCOMPARE(h.counts, hist);
        std::map<int, std::set<int32_t>> sampled;
        for (const auto& e : quant) {
            const float v = e.activations.at(size_t(e.maxPosition));
            QVERIFY(v >= e.binMin - 1e-6 && (v < e.binMax || e.bin == 9));
            QCOMPARE(std::min(9, int(v / mx * 10)), e.bin);
            QVERIFY(std::abs(e.binContains * acc.firingCount(f) - bins[e.bin]) < 1e-6);
            QVERIFY(sampled[e.bin].insert(e.tokenIds.at(size_t(e.maxPosition))).second);
        }
        for (int q = 0; q < 10; ++q)
            QCOMPARE(int64_t(sampled[q].size()), std::min<int64_t>(3, bins[q]));
        for (size_t i = 1; i < quant.size(); ++i) // highest bin first
            QVERIFY(quant[i - 1].bin >= quant[i].bin);
    }
}

void TestAnalysis::neighborsMatchFullCosine() {
    at::manual_seed(3);
    const int64_t d = 23;
    const at::Tensor w = at::randn({d, 6});
    const auto nb = decoderNeighbors(w, 4, 19, 5, /*block=*/4);
    QCOMPARE(int64_t(nb.size()), int64_t(15));
    const auto a = w.accessor<float, 2>();
    auto cosine = [&](int64_t i, int64_t j) {
        double dot = 0, ni = 0, nj = 0;
        for (int64_t k = 0; k < 6; ++k) {
            dot += a[i][k] * a[j][k];
            ni += a[i][k] * a[i][k];
            nj += a[j][k] * a[j][k];
        }
        return dot / std::sqrt(ni * nj);
    };
    for (int64_t i = 4; i < 19; ++i) {
        std::vector<std::pair<double, int64_t>> all;
        for (int64_t j = 0; j < d; ++j)
            if (j != i)
                all.push_back({cosine(i, j), j});
        std::sort(all.rbegin(), all.rend());
        const auto& row = nb[i - 4];
        QCOMPARE(row.size(), size_t(5));
        for (size_t r = 0; r < 5; ++r) {
            QCOMPARE(row[r].index, all[r].second);
            QVERIFY(std::abs(row[r].cosine - all[r].first) < 1e-5);
        }
    }
}

void TestAnalysis::logitTokensMatchDirectMatmul() {
    at::manual_seed(4);
    const at::Tensor dirs = at::randn({3, 5}), scale = at::randn({5}), wu = at::randn({40, 5});
    const auto effects = at::matmul(dirs * scale, wu.t());
    const auto top = topLogitTokens(effects, 4);
    const auto da = dirs.accessor<float, 2>();
    const auto sa = scale.accessor<float, 1>();
    const auto ua = wu.accessor<float, 2>();
    for (int64_t r = 0; r < 3; ++r) {
        std::vector<std::pair<double, int32_t>> v;
        for (int32_t t = 0; t < 40; ++t) {
            double s = 0;
            for (int64_t k = 0; k < 5; ++k)
                s += da[r][k] * sa[k] * ua[t][k];
            v.push_back({s, t});
        }
        std::sort(v.begin(), v.end());
        for (size_t j = 0; j < 4; ++j) {
            QCOMPARE(top[r].negative[j].tokenId, v[j].second);
            QVERIFY(std::abs(top[r].negative[j].value - v[j].first) < 1e-4);
            QCOMPARE(top[r].positive[j].tokenId, v[v.size() - 1 - j].second);
            QVERIFY(std::abs(top[r].positive[j].value - v[v.size() - 1 - j].first) < 1e-4);
        }
    }
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "test_analysis.moc"
