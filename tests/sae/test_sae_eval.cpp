// SAE evaluation with the SAE spliced into the model (core/sae/eval_model.h, `mistudio-cli eval`)
// on the aidreams260k fixture: an exact SAE changes nothing (delta CE 0, KL 0, CE recovered 1), a
// zero SAE is the zero ablation, and CE clean equals the runtime's nextTokenLoss averaged over
// the positions the test selects itself.
#include "model/transformer.h"
#include "sae/eval_model.h"
#include "sae/saelens.h"
#include "test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeEval : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void exactSaeChangesNothing();
    void zeroSaeIsZeroAblation();
    void cliPrintsTheMetrics();

private:
    const std::string hook = "blocks.1.hook_resid_post";
    std::string m_model, m_corpus;
    std::shared_ptr<model::Transformer> m_transformer;
    std::vector<data::TokenWindow> m_windows;
};

namespace {

// f = [ReLU(x), ReLU(-x)], x_hat = ReLU(x) - ReLU(-x) = x exactly (one term is always 0).
SaeModel exactSae(int64_t d) {
    SaeModel s;
    s.kind = InferenceKind::ReLU;
    at::Tensor eye = at::eye(d, at::kFloat);
    s.encT = at::cat({eye, -eye}, 0);
    s.wDec = at::cat({eye, -eye}, 0);
    s.bEnc = at::zeros({2 * d});
    s.bDec = at::zeros({d});
    return s;
}

SaeModel zeroSae(int64_t d, int64_t dSae) {
    SaeModel s;
    s.kind = InferenceKind::ReLU;
    s.encT = at::zeros({dSae, d});
    s.wDec = at::zeros({dSae, d});
    s.bEnc = at::zeros({dSae});
    s.bDec = at::zeros({d});
    return s;
}

} // namespace

void TestSaeEval::initTestCase() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/corpus.jsonl");
    m_model = test::fixture("fixtures/models/aidreams260k");
    m_corpus = m_model + "/corpus.jsonl";
    m_transformer = model::Transformer::open(m_model);
    data::DatasetSpec spec;
    spec.path = m_corpus;
    m_windows = evalWindows(m_model, spec, 3000, 64);
}

void TestSaeEval::exactSaeChangesNothing() {
    const EvalMetrics m = evaluateSpliced(exactSae(64), *m_transformer, hook, m_windows, 5);
    QCOMPARE(m.tokens, int64_t(3000));
    QVERIFY2(std::abs(m.deltaCe) < 1e-6, qPrintable(QString::number(m.deltaCe)));
    QVERIFY2(std::abs(m.kl) < 1e-6, qPrintable(QString::number(m.kl)));
    QVERIFY2(std::abs(m.ceLossRecovered - 1) < 1e-5,
             qPrintable(QString::number(m.ceLossRecovered)));
    QVERIFY(m.ceZero > m.ceClean + 0.1); // zeroing the residual stream hurts
    QVERIFY(std::abs(m.explainedVariance - 1) < 1e-9);
    QVERIFY(m.mse < 1e-12);
    QVERIFY(std::abs(m.cosSim - 1) < 1e-6 && std::abs(m.l2Ratio - 1) < 1e-6);

    // CE clean by hand: the runtime's per-position loss over the positions where the input and
    // the target are both document tokens (BOS/EOS excluded), from the windows themselves.
    double sum = 0;
    int64_t count = 0;
    for (const auto& w : m_windows) {
        const auto T = static_cast<int64_t>(w.tokens.size());
        at::Tensor ids = at::empty({1, T}, at::kLong);
        for (int64_t t = 0; t < T; ++t)
            ids[0][t] = w.tokens[t];
        const at::Tensor loss = model::nextTokenLoss(m_transformer->forward(ids).logits, ids);
        for (int64_t t = 0; t + 1 < T; ++t)
            if (w.include[t] && w.include[t + 1]) {
                sum += loss[0][t].item<double>();
                ++count;
            }
    }
    QVERIFY(count > 2500);
    QVERIFY2(std::abs(m.ceClean - sum / count) < 1e-5,
             qPrintable(QStringLiteral("%1 vs %2").arg(m.ceClean).arg(sum / count)));
}

void TestSaeEval::zeroSaeIsZeroAblation() {
    const EvalMetrics m = evaluateSpliced(zeroSae(64, 32), *m_transformer, hook, m_windows);
    QCOMPARE(m.ceSpliced, m.ceZero);
    QVERIFY(std::abs(m.ceLossRecovered) < 1e-12);
    QVERIFY(m.deltaCe > 0.1 && m.kl > 0.01);
    QCOMPARE(m.l0, 0.0);
    QCOMPARE(m.deadFraction, 1.0);
    QVERIFY(m.explainedVariance < 0); // x_hat = 0 is worse than the mean
}

void TestSaeEval::cliPrintsTheMetrics() {
    if (test::cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set");
    QTemporaryDir dir;
    const std::string saeDir = (dir.path() + "/sae").toStdString();
    SaeLensMetadata meta;
    meta.modelName = "aidreams260k";
    meta.hookName = hook;
    meta.contextSize = 64;
    saveSaeLens(saeDir, exactSae(64), meta);
    auto run = [](const QStringList& args) {
        QProcess p;
        p.start(test::cliPath(), QStringList{"--quiet", "--threads", "1", "eval"} + args);
        p.waitForFinished(300000);
        return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()));
    };
    const QStringList base = {"--sae",     QString::fromStdString(saeDir),
                              "--model",   QString::fromStdString(m_model),
                              "--dataset", QString::fromStdString(m_corpus)};
    const auto [rc, out] = run(base + QStringList{"--tokens", "3000"});
    QCOMPARE(rc, 0);
    const auto j = nlohmann::json::parse(out.toStdString());
    for (const char* key :
         {"l0", "explained_variance", "mse", "cos_sim", "l2_ratio", "ce_clean", "ce_spliced",
          "ce_zero", "delta_ce", "ce_loss_recovered", "kl", "dead_fraction", "dense_fraction"})
        QVERIFY2(j.contains(key) && j[key].is_number(), key);
    // Same windows as the in-process run: the same clean CE.
    const EvalMetrics m = evaluateSpliced(exactSae(64), *m_transformer, hook, m_windows);
    QVERIFY(std::abs(j["ce_clean"].get<double>() - m.ceClean) < 1e-6);
    QVERIFY(std::abs(j["delta_ce"].get<double>()) < 1e-6);
    QVERIFY(std::abs(j["l0"].get<double>() - m.l0) < 1e-6);

    QVERIFY(run(base).first != 0); // no --tokens
    QVERIFY(run(base + QStringList{"--tokens", "10", "--hook", "blocks.9.hook_resid_post"}).first !=
            0); // a hook the model does not have
}

QTEST_GUILESS_MAIN(TestSaeEval)
#include "test_sae_eval.moc"
