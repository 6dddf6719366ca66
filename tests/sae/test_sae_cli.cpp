// mistudio-cli train end to end: RUN.json -> JSON lines, final evaluation object, SAELens folder,
// --resume, and config errors that name the key.
#include "io/safetensors.h"
#include "sae/saelens.h"
#include "sae/source.h"
#include "test_support.h"

#include <ATen/ATen.h>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void trainsEvaluatesSavesAndResumes();
    void trainsFromADatasetOnTheFly();
    void rejectsUnknownAndInvalidKeys();

private:
    struct Run {
        int rc;
        QString out, err;
    };
    Run cli(const QStringList& args);
    std::string writeRun(const nlohmann::json& run);
    QTemporaryDir m_dir;
    std::string m_acts;
    at::Tensor m_data;
};

TestSaeCli::Run TestSaeCli::cli(const QStringList& args) {
    QProcess p;
    p.start(test::cliPath(), QStringList{"--quiet", "--threads", "1"} + args);
    p.waitForFinished(300000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

std::string TestSaeCli::writeRun(const nlohmann::json& run) {
    const std::string path = (m_dir.path() + "/RUN.json").toStdString();
    std::ofstream(path) << run.dump(2);
    return path;
}

void TestSaeCli::initTestCase() {
    if (test::cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set");
    SyntheticSource::Options o;
    o.dIn = 16;
    o.nFeatures = 24;
    o.expectedL0 = 3;
    o.offsetNorm = 1;
    SyntheticSource source(o);
    m_data = source.next(6000);
    m_acts = (m_dir.path() + "/acts.safetensors").toStdString();
    io::saveTensors(m_acts, {{"activations", m_data}});
}

void TestSaeCli::trainsEvaluatesSavesAndResumes() {
    const std::string out = (m_dir.path() + "/out").toStdString();
    const nlohmann::json run = {
        {"model", "toy"},
        {"hook", "blocks.0.hook_resid_post"},
        {"activations", m_acts},
        {"tokens", 64 * 150},
        {"seed", 1},
        {"out", out},
        {"log_every", 50},
        {"eval_tokens", 1000},
        {"context_length", 128},
        {"sae",
         {{"architecture", "topk"}, {"k", 3}, {"d_sae", 48}, {"batch_size", 64}, {"lr", 0.003}}}};
    const QString config = QString::fromStdString(writeRun(run));
    const Run r = cli({"train", "--config", config});
    QVERIFY2(r.rc == 0, qPrintable(r.err));
    const QStringList lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 4); // steps 49, 99, 149 and the evaluation
    for (int i = 0; i < 3; ++i) {
        auto j = nlohmann::json::parse(lines[i].toStdString());
        QCOMPARE(j["step"].get<int>(), 49 + 50 * i);
        for (const char* key : {"loss", "mse", "fvu", "l0", "dead", "dense", "lr", "grad_norm",
                                "tokens_per_s", "sparsity_coefficient"})
            QVERIFY2(j.contains(key), key);
    }
    const auto eval = nlohmann::json::parse(lines[3].toStdString());
    for (const char* key : {"l0", "explained_variance", "mse", "cos_sim", "l2_ratio",
                            "dead_fraction", "dense_fraction"})
        QVERIFY2(eval[key].is_number(), key);
    for (const char* key :
         {"ce_clean", "ce_spliced", "ce_zero", "delta_ce", "ce_loss_recovered", "kl"})
        QVERIFY2(eval.contains(key) && eval[key].is_null(), key);
    QVERIFY(r.err.contains("ce_clean"));

    // The saved folder takes raw activations: recompute EV on the held-out tail independently.
    const SaeModel m = loadSaeLens(out);
    QCOMPARE(m.cfg["hook_name"].get<std::string>(), std::string("blocks.0.hook_resid_post"));
    at::Tensor x = m_data.narrow(0, 5000, 1000).to(at::kDouble);
    at::Tensor pre = (at::matmul(x - m.bDec.to(at::kDouble), m.encT.t().to(at::kDouble)) +
                      m.bEnc.to(at::kDouble))
                         .relu();
    auto [v, idx] = pre.topk(3, 1);
    at::Tensor xhat = at::matmul(at::zeros_like(pre).scatter(1, idx, v), m.wDec.to(at::kDouble)) +
                      m.bDec.to(at::kDouble);
    const double ev =
        1 - (x - xhat).pow(2).sum().item<double>() / (x - x.mean(0)).pow(2).sum().item<double>();
    QVERIFY2(std::abs(ev - eval["explained_variance"].get<double>()) < 1e-4,
             qPrintable(QString("%1 vs %2").arg(ev).arg(eval["explained_variance"].get<double>())));
    QVERIFY(ev > 0.5);

    // --resume from the final checkpoint trains no further and gives the same SAE.
    const Run again = cli({"train", "--config", config, "--resume"});
    QVERIFY2(again.rc == 0, qPrintable(again.err));
    const auto eval2 = nlohmann::json::parse(again.out.trimmed().split('\n').last().toStdString());
    QCOMPARE(eval2["explained_variance"].get<double>(), eval["explained_variance"].get<double>());
}

void TestSaeCli::trainsFromADatasetOnTheFly() {
    // No activations: the model runs over the dataset; CE is measured on held-out windows, and
    // `mistudio-cli eval` of the saved folder on the same (first) windows agrees.
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/corpus.jsonl");
    const std::string model = test::fixture("fixtures/models/aidreams260k");
    const std::string out = (m_dir.path() + "/fly").toStdString();
    const nlohmann::json run = {
        {"model", model},
        {"hook", "blocks.1.hook_resid_post"},
        {"dataset", model + "/corpus.jsonl"},
        {"tokens", 150 * 128},
        {"context_length", 64},
        {"eval_tokens", 1500},
        {"seed", 3},
        {"out", out},
        {"log_every", 50},
        {"normalization_tokens", 1024},
        {"shuffle_buffer_tokens", 2048},
        {"sae",
         {{"architecture", "topk"}, {"k", 8}, {"d_sae", 128}, {"batch_size", 128}, {"lr", 0.003}}}};
    const Run r = cli({"train", "--config", QString::fromStdString(writeRun(run))});
    QVERIFY2(r.rc == 0, qPrintable(r.err));
    QVERIFY(!r.err.contains("null"));
    const auto eval = nlohmann::json::parse(r.out.trimmed().split('\n').last().toStdString());
    for (const char* key : {"ce_clean", "ce_spliced", "ce_zero", "delta_ce", "ce_loss_recovered",
                            "kl", "explained_variance", "l0"})
        QVERIFY2(eval[key].is_number() && std::isfinite(eval[key].get<double>()), key);
    QCOMPARE(eval["eval_tokens"].get<int64_t>(), int64_t(1500));
    QVERIFY(eval["ce_zero"].get<double>() > eval["ce_clean"].get<double>());
    QVERIFY(std::abs(eval["delta_ce"].get<double>() -
                     (eval["ce_spliced"].get<double>() - eval["ce_clean"].get<double>())) < 1e-9);
    QVERIFY(eval["kl"].get<double>() >= 0);
    QVERIFY(eval["explained_variance"].get<double>() > 0.3);
    QCOMPARE(eval["dead_window_tokens"].get<int64_t>(), int64_t(150 * 128)); // the whole run
    const int64_t windows = eval["eval_set"]["windows"].get<int64_t>();
    QVERIFY(windows >= 1500 / 63 && windows <= 1500 / 50);

    const SaeModel saved = loadSaeLens(out);
    QCOMPARE(saved.cfg["mistudio"]["eval_set"]["windows"].get<int64_t>(), windows);
    QCOMPARE(saved.cfg["mistudio"]["dead_window_tokens"].get<int64_t>(), int64_t(150 * 128));
    const Run ev =
        cli({"eval", "--sae", QString::fromStdString(out), "--model", QString::fromStdString(model),
             "--dataset", QString::fromStdString(model + "/corpus.jsonl"), "--tokens", "1500",
             "--context-length", "64"});
    QVERIFY2(ev.rc == 0, qPrintable(ev.err));
    const auto again = nlohmann::json::parse(ev.out.trimmed().toStdString());
    for (const char* key : {"ce_clean", "ce_zero", "ce_spliced", "explained_variance"})
        QVERIFY2(std::abs(again[key].get<double>() - eval[key].get<double>()) < 1e-4, key);
}

void TestSaeCli::rejectsUnknownAndInvalidKeys() {
    const std::string out = (m_dir.path() + "/bad").toStdString();
    nlohmann::json base = {{"activations", m_acts},
                           {"tokens", 640},
                           {"out", out},
                           {"sae", {{"architecture", "topk"}, {"k", 3}, {"d_sae", 32}}}};
    auto errorFor = [&](nlohmann::json run) {
        const Run r = cli({"train", "--config", QString::fromStdString(writeRun(run))});
        return r.rc != 0 ? r.err : QString();
    };
    nlohmann::json a = base;
    a["tokenz"] = 5;
    QVERIFY(errorFor(a).contains("'tokenz'"));
    nlohmann::json b = base;
    b["sae"]["kk"] = 1;
    QVERIFY(errorFor(b).contains("'kk'"));
    nlohmann::json c = base;
    c["sae"]["lr"] = "fast";
    QVERIFY(errorFor(c).contains("'lr'"));
    nlohmann::json d = base;
    d["tokens"] = -3;
    QVERIFY(errorFor(d).contains("'tokens'"));
    nlohmann::json e = base;
    e["sae"]["architecture"] = "gated";
    QVERIFY(errorFor(e).contains("'architecture'"));
    nlohmann::json f = base;
    f.erase("activations");
    f["model"] = "m";
    f["hook"] = "blocks.0.hook_resid_post";
    QVERIFY(errorFor(f).contains("'dataset'"));
    if (!torch::cuda::is_available()) {
        nlohmann::json g = base;
        g["device"] = "cuda";
        QVERIFY(errorFor(g).contains("CUDA", Qt::CaseInsensitive));
    }
    const Run noCheckpoint =
        cli({"train", "--config", QString::fromStdString(writeRun(base)), "--resume"});
    QVERIFY(noCheckpoint.rc != 0 && noCheckpoint.err.contains("checkpoint"));
}

QTEST_GUILESS_MAIN(TestSaeCli)
#include "test_sae_cli.moc"
