// Ground truth: activations synthesised from a known dictionary (unit directions, sparse
// non-negative codes); each architecture must recover >= 90% of the true directions with a
// decoder row at cosine >= 0.9.
#include "mistudio/engine.h"
#include "sae/config_json.h"
#include "sae/sweep.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QtTest>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeRecovery : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recoversDictionary_data();
    void recoversDictionary();
};

namespace {

FinishedEvent runSweep(SweepTrainer& sweep) {
    Engine engine;
    JobHandle job = engine.submit([&](JobContext& ctx) {
        at::set_num_threads(1); // tiny matrices: avoid OpenMP barriers on a loaded machine
        sweep.run(ctx, false);
    });
    return job.wait();
}

// Share of true directions whose best decoder row has cosine >= 0.9.
double recovered(const at::Tensor& truth, const at::Tensor& wDec) {
    at::Tensor rows = wDec / wDec.norm(2, {1}, true).clamp_min(1e-12);
    at::Tensor cos = at::matmul(truth, rows.t()); // [n_true, d_sae]
    return std::get<0>(cos.max(1)).ge(0.9).to(at::kDouble).mean().item<double>();
}

SaeConfig config(const nlohmann::json& j, int64_t dIn) {
    return parseSaeConfig(j, dIn, "test");
}

} // namespace

void TestSaeRecovery::recoversDictionary_data() {
    QTest::addColumn<QString>("settings");
    // A short run (3000 steps of 256 tokens) needs a larger LR than the recipes' billion-token
    // defaults; the sparsity settings match the true L0 of about 3.
    QTest::newRow("batchtopk") << R"({"architecture":"batchtopk","k":4,"lr":0.003})";
    QTest::newRow("topk") << R"({"architecture":"topk","k":3,"lr":0.003})";
    QTest::newRow("jumprelu")
        << R"({"architecture":"jumprelu","lr":0.003,"target_l0":3,"l0_coefficient":0.1,
              "threshold_init":0.1,"bandwidth":0.05})";
    QTest::newRow("relu") << R"({"architecture":"relu","lr":0.003,"l1_coefficient":1.0})";
}

void TestSaeRecovery::recoversDictionary() {
    QFETCH(QString, settings);
    SyntheticSource::Options o;
    o.dIn = 32;
    o.nFeatures = 48;
    o.expectedL0 = 3;
    o.offsetNorm = 1.0;
    o.seed = 5;
    SyntheticSource source(o);
    nlohmann::json j = nlohmann::json::parse(settings.toStdString());
    j["d_sae"] = 96;
    j["batch_size"] = 256;
    SweepSettings s;
    s.saes = {config(j, o.dIn)};
    s.tokens = 3000 * 256;
    s.seed = 1;
    s.logEvery = 0;
    SweepTrainer sweep(s, source);
    const FinishedEvent fin = runSweep(sweep);
    QVERIFY2(fin.ok, fin.error.message.c_str());
    const SaeModel model = sweep.model(0);
    const double share = recovered(source.dictionary(), model.wDec);
    // Evaluate on fresh tokens: the code must also reconstruct.
    at::Tensor x = source.next(4096);
    auto [codes, xhat] = model.forward(x);
    const double ev =
        1 - (x - xhat).pow(2).sum().item<double>() / (x - x.mean(0)).pow(2).sum().item<double>();
    const double l0 = (codes > 0).sum(1).to(at::kDouble).mean().item<double>();
    qInfo("recovered %.3f of the true directions, EV %.3f, L0 %.2f", share, ev, l0);
    QVERIFY2(share >= 0.9, qPrintable(QString::number(share)));
}

QTEST_GUILESS_MAIN(TestSaeRecovery)
#include "test_sae_recovery.moc"
