// The headline benchmark's code path at CI size: make-synthetic --like phi4 with 2 blocks (Phi-4's
// real matrix and vocabulary shapes, ~3.4 GB on disk) and `bench memory --quant nf4` at
// blocks.1: the JSON keys exist and the measured peak RSS is within 10% of predictMemory. The
// 40-block run (docs/QUANT.md) runs the same code with more blocks.
#include "test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>

using namespace mistudio;

namespace {
struct Run {
    int code = -1;
    QByteArray out, err;
};

Run cli(const QStringList& args) {
    QProcess p;
    p.start(test::cliPath(), args);
    p.waitForFinished(-1); // ctest's TIMEOUT bounds the test
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

/// The last line of a bench's stdout is its JSON object.
nlohmann::json lastLineJson(const QByteArray& out) {
    const QList<QByteArray> lines = out.trimmed().split('\n');
    return nlohmann::json::parse(lines.back().toStdString());
}
} // namespace

class TestBenchMemory : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        if (test::cliPath().isEmpty())
            QSKIP("MISTUDIO_CLI is not set");
    }

    void syntheticPhi4Nf4WithinTenPercent() {
        QTemporaryDir dir; // removed (with the ~3.4 GB checkpoint) when the test ends
        QVERIFY(dir.isValid());
        const QString model = dir.filePath("phi4");
        const Run made = cli({"make-synthetic", "--like", "phi4", "--out", model, "--layers", "2"});
        QVERIFY2(made.code == 0, made.err.constData());
        const auto m = nlohmann::json::parse(made.out.toStdString());
        // 2 blocks of Phi-4 + embedding + unembedding + norms, counted by hand.
        const int64_t block =
            5120 + 7680ll * 5120 + 5120ll * 5120 + 5120 + 35840ll * 5120 + 5120ll * 17920;
        QCOMPARE(m["n_params"].get<int64_t>(), 2 * block + 2 * 100352ll * 5120 + 5120);

        const Run r = cli({"bench", "memory", "--model", model, "--quant", "nf4", "--hook",
                           "blocks.1.hook_resid_post", "--tokens", "256"});
        QVERIFY2(r.code == 0, r.err.constData());
        const auto j = lastLineJson(r.out);
        for (const char* key : {"peak_rss_bytes", "predicted_bytes", "load_s", "tokens_per_s"})
            QVERIFY2(j.contains(key), key);
        const double peak = j["peak_rss_bytes"].get<double>();
        const double predicted = j["predicted_bytes"].get<double>();
        QVERIFY2(
            std::abs(peak - predicted) <= 0.10 * predicted,
            qPrintable(QStringLiteral("peak RSS %1 vs predicted %2").arg(peak).arg(predicted)));
        // nf4 holds 4.5 bits per block weight: 2 blocks are ~0.38 GB, far below their 1.4 GB bf16.
        QVERIFY(j["weight_bytes"].get<double>() < 0.5e9);
        QVERIFY(j["tokens_per_s"].get<double>() > 0 && j["load_s"].get<double>() > 0);
    }
};

QTEST_GUILESS_MAIN(TestBenchMemory)
#include "test_bench_memory.moc"
