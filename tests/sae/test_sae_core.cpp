// core/sae building blocks against independent references: sparse autograd vs the dense product,
// pseudo-gradients vs hand-derived values, metrics vs hand-computed numbers, config validation.
#include "mistudio/result.h"
#include "sae/config_json.h"
#include "sae/metrics.h"
#include "sae/sparse_autograd.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <cmath>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeCore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sparseDecodeMatchesDenseForwardAndBackward();
    void sparseEncodeMatchesDenseForwardAndBackward();
    void jumpReluPseudoGradients();
    void evalMetricsMatchHandComputedValues();
    void ceMetricsMatchHandComputedValues();
    void configDefaultsAndValidation();
};

namespace {
double maxDiff(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>();
}
} // namespace

void TestSaeCore::sparseDecodeMatchesDenseForwardAndBackward() {
    at::manual_seed(11);
    const int64_t B = 9, n = 40, d = 12, N = 50; // N > B: several codes per row, some repeated
    at::Tensor rows = at::randint(0, B, {N}, at::kLong);
    at::Tensor cols = at::randint(0, n, {N}, at::kLong);
    at::Tensor vals = at::rand({N}).requires_grad_(true);
    at::Tensor w = at::randn({n, d}).requires_grad_(true);
    at::Tensor upstream = at::randn({B, d});

    at::Tensor out = sparseDecodeCoo(rows, cols, vals, w, B);
    (out * upstream).sum().backward();
    at::Tensor gVals = vals.grad().clone(), gW = w.grad().clone();
    vals.mutable_grad().zero_();
    w.mutable_grad().zero_();

    // Reference: the dense [B, n] code (duplicates add up) times W, differentiated by autograd.
    at::Tensor dense = at::zeros({B, n}).index_put({rows, cols}, vals, /*accumulate=*/true);
    at::Tensor ref = at::matmul(dense, w);
    (ref * upstream).sum().backward();
    QVERIFY(maxDiff(out, ref) < 1e-5);
    QVERIFY(maxDiff(gVals, vals.grad()) < 1e-5);
    QVERIFY(maxDiff(gW, w.grad()) < 1e-5);
}

void TestSaeCore::sparseEncodeMatchesDenseForwardAndBackward() {
    at::manual_seed(12);
    const int64_t B = 7, n = 30, d = 10, N = 25;
    at::Tensor x = at::randn({B, d});
    at::Tensor bDec = at::randn({d}).requires_grad_(true);
    at::Tensor encT = at::randn({n, d}).requires_grad_(true);
    at::Tensor bEnc = at::randn({n}).requires_grad_(true);
    at::Tensor rows = at::randint(0, B, {N}, at::kLong);
    at::Tensor cols = at::randint(0, n, {N}, at::kLong);
    at::Tensor upstream = at::randn({N});

    at::Tensor pre;
    {
        at::NoGradGuard g;
        pre = at::addmm(bEnc, x - bDec, encT.t());
    }
    at::Tensor vals = sparseEncodeCoo(x, bDec, encT, bEnc, rows, cols, pre);
    (vals * upstream).sum().backward();
    at::Tensor g1 = bDec.grad().clone(), g2 = encT.grad().clone(), g3 = bEnc.grad().clone();
    for (auto* t : {&bDec, &encT, &bEnc})
        t->mutable_grad().zero_();

    at::Tensor densePre = at::matmul(x - bDec, encT.t()) + bEnc;
    at::Tensor ref = densePre.index({rows, cols});
    (ref * upstream).sum().backward();
    QVERIFY(maxDiff(vals, ref) < 1e-5);
    QVERIFY(maxDiff(g1, bDec.grad()) < 1e-4);
    QVERIFY(maxDiff(g2, encT.grad()) < 1e-4);
    QVERIFY(maxDiff(g3, bEnc.grad()) < 1e-5);
}

void TestSaeCore::jumpReluPseudoGradients() {
    // Bandwidth 0.001: only pre = 1.0004 lies within eps/2 of theta = 1.
    at::Tensor pre = at::tensor({0.5f, 1.0004f, 2.0f}).requires_grad_(true);
    at::Tensor theta = at::ones({3}).requires_grad_(true);
    at::Tensor f = jumpRelu(pre, theta, 0.001);
    QVERIFY(maxDiff(f, at::tensor({0.0f, 1.0004f, 2.0f})) < 1e-7);
    f.sum().backward();
    QVERIFY(maxDiff(pre.grad(), at::tensor({0.0f, 1.0f, 1.0f})) < 1e-6);
    // d/dtheta = -(theta/eps) K((pre - theta)/eps) = -1000 inside the window.
    QVERIFY(maxDiff(theta.grad(), at::tensor({0.0f, -1000.0f, 0.0f})) < 1e-2);

    pre.mutable_grad().zero_();
    theta.mutable_grad().zero_();
    at::Tensor h = heavisideStep(pre, theta, 0.001);
    QVERIFY(maxDiff(h, at::tensor({0.0f, 1.0f, 1.0f})) < 1e-7);
    (h * at::tensor({1.0f, 2.0f, 3.0f})).sum().backward();
    QVERIFY(maxDiff(theta.grad(), at::tensor({0.0f, -2000.0f, 0.0f})) < 1e-2);
    QVERIFY(maxDiff(pre.grad(), at::zeros({3})) == 0); // no gradient to pre through the step
}

void TestSaeCore::evalMetricsMatchHandComputedValues() {
    // x = (1,1), (3,3); x_hat = (1,2), (2,2). Mean x_bar = (2,2): sum||x - x_bar||^2 = 4,
    // SSE = 1 + 2 = 3, so EV = 1 - 3/4 = 0.25, while variance about zero gives 1 - 3/20 = 0.85.
    at::Tensor x = at::tensor({1.0f, 1.0f, 3.0f, 3.0f}).view({2, 2});
    at::Tensor xhat = at::tensor({1.0f, 2.0f, 2.0f, 2.0f}).view({2, 2});
    at::Tensor codes = at::tensor({1.0f, 0.0f, 0.0f, 2.0f, 0.5f, 0.0f}).view({2, 3});
    EvalAccumulator acc(3);
    // One token per batch: per-batch variance would be 0; the accumulated definition is not.
    acc.add(x.narrow(0, 0, 1), xhat.narrow(0, 0, 1), codes.narrow(0, 0, 1));
    acc.add(x.narrow(0, 1, 1), xhat.narrow(0, 1, 1), codes.narrow(0, 1, 1));
    const EvalMetrics m = acc.finish();
    QCOMPARE(m.tokens, int64_t(2));
    QVERIFY(std::abs(m.explainedVariance - 0.25) < 1e-9);
    const double aboutZero = 1.0 - 3.0 / 20.0;
    QVERIFY(std::abs(m.explainedVariance - aboutZero) > 0.5);
    QVERIFY(std::abs(m.mse - 1.5) < 1e-9);
    QVERIFY(std::abs(m.cosSim - (3.0 / std::sqrt(10.0) + 1.0) / 2) < 1e-9);
    QVERIFY(std::abs(m.l2Ratio - (std::sqrt(5.0 / 2.0) + 2.0 / 3.0) / 2) < 1e-9);
    QVERIFY(std::abs(m.relativeReconstructionBias - 13.0 / 15.0) < 1e-9);
    QVERIFY(std::abs(m.l0 - 1.5) < 1e-9);
    QCOMPARE(m.deadCount, int64_t(1));
    QCOMPARE(m.ultraRareCount, int64_t(1));
    QCOMPARE(m.denseCount, int64_t(2));
    QVERIFY(std::abs(m.deadFraction - 1.0 / 3) < 1e-12);
    QVERIFY(std::abs(m.log10Density[1] - std::log10(0.5 + 1e-10)) < 1e-9);
    QVERIFY(std::abs(m.log10Density[2] + 10.0) < 1e-9);
    const auto hist = log10DensityHistogram(m.log10Density, 10);
    QCOMPARE(hist[0], int64_t(1)); // the dead latent at -10
    QCOMPARE(hist[9], int64_t(2)); // densities 1 and 0.5
}

void TestSaeCore::ceMetricsMatchHandComputedValues() {
    // Logits are log-probabilities plus a per-row constant (log_softmax ignores it).
    auto logits = [](std::vector<std::vector<double>> probs) {
        at::Tensor t = at::zeros({static_cast<int64_t>(probs.size()), 3}, at::kDouble);
        for (size_t r = 0; r < probs.size(); ++r)
            for (int c = 0; c < 3; ++c)
                t[r][c] = std::log(probs[r][c]) + 7.0 * r - 3.0;
        return t;
    };
    const double third = 1.0 / 3;
    at::Tensor clean = logits({{0.5, 0.25, 0.25}, {0.25, 0.5, 0.25}, {0.2, 0.3, 0.5}});
    at::Tensor spliced = logits({{0.25, 0.5, 0.25}, {0.25, 0.5, 0.25}, {0.9, 0.05, 0.05}});
    at::Tensor zero = logits({{0.125, 0.5, 0.375}, {third, third, third}, {0.1, 0.1, 0.8}});
    at::Tensor targets = at::tensor({0, 1, -1}, at::kLong); // the third position is padding
    const CeMetrics m = computeCeMetrics(clean, spliced, zero, targets);
    const double ln2 = std::log(2.0), ln3 = std::log(3.0);
    QCOMPARE(m.tokens, int64_t(2));
    QVERIFY(std::abs(m.ceClean - ln2) < 1e-9);
    QVERIFY(std::abs(m.ceSpliced - 1.5 * ln2) < 1e-9);
    const double ceZero = (3 * ln2 + ln3) / 2;
    QVERIFY(std::abs(m.ceZero - ceZero) < 1e-9);
    QVERIFY(std::abs(m.deltaCe - 0.5 * ln2) < 1e-9);
    QVERIFY(std::abs(m.ceLossRecovered - (ceZero - 1.5 * ln2) / (ceZero - ln2)) < 1e-9);
    QVERIFY(std::abs(m.kl - 0.125 * ln2) < 1e-9); // token 1: 0.25 ln2, token 2: 0
    const double klZero1 =
        0.5 * std::log(4.0) + 0.25 * std::log(0.5) + 0.25 * std::log(0.25 / 0.375);
    const double klZero2 = 0.25 * std::log(0.75) * 2 + 0.5 * std::log(1.5);
    QVERIFY(std::abs(m.klZero - (klZero1 + klZero2) / 2) < 1e-9);
}

void TestSaeCore::configDefaultsAndValidation() {
    SaeConfig topk = parseSaeConfig({{"architecture", "topk"}, {"expansion_factor", 4}}, 768, "t");
    QCOMPARE(topk.dSae, int64_t(3072));
    QCOMPARE(topk.k, int64_t(64));
    QVERIFY(std::abs(topk.lr - 2e-4 / std::sqrt(3072.0 / 16384)) < 1e-12);
    QCOMPARE(topk.auxK, int64_t(384));
    SaeConfig jump = parseSaeConfig({{"architecture", "jumprelu"}, {"target_l0", 40}}, 64, "t");
    QCOMPARE(jump.beta1, 0.0);
    QCOMPARE(jump.bandwidth, 0.001);
    QCOMPARE(jump.targetL0, 40.0);
    SaeConfig relu = parseSaeConfig({{"architecture", "relu"}}, 64, "t");
    QCOMPARE(relu.sparsityCoefficient, 5.0);
    QCOMPARE(relu.lr, 5e-5);
    QVERIFY(!relu.unitNormDecoder);

    auto errorOf = [](const nlohmann::json& j) -> QString {
        try {
            parseSaeConfig(j, 64, "RUN.json: sae");
        } catch (const Exception& e) {
            return QString::fromStdString(e.what());
        }
        return {};
    };
    QVERIFY(errorOf({{"architecture", "topk"}, {"kk", 3}}).contains("'kk'"));
    QVERIFY(errorOf({{"architecture", "relu"}, {"k", 3}}).contains("'k'"));
    QVERIFY(errorOf({{"lr", -1}}).contains("'lr'"));
    QVERIFY(errorOf({{"k", "many"}}).contains("'k'"));
    QVERIFY(errorOf({{"architecture", "gated"}}).contains("'architecture'"));
    QVERIFY(errorOf({{"d_sae", 128}, {"expansion_factor", 2}}).contains("expansion_factor"));
    QVERIFY(errorOf({{"k", 0}}).contains("RUN.json: sae"));
}

QTEST_GUILESS_MAIN(TestSaeCore)
#include "test_sae_core.moc"
