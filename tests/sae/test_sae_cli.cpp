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
#include <fstream>
#include <nlohmann/json.hpp>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void trainsEvaluatesSavesAndResumes();
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
    const Run noCheckpoint =
        cli({"train", "--config", QString::fromStdString(writeRun(base)), "--resume"});
    QVERIFY(noCheckpoint.rc != 0 && noCheckpoint.err.contains("checkpoint"));
}

QTEST_GUILESS_MAIN(TestSaeCli)
#include "test_sae_cli.moc"
