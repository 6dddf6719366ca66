// Out of memory before it happens (issue 12): `extract` and `run` refuse a plan whose predicted
// memory (mistudio-cli estimate, the same prediction) exceeds the available memory, with both
// figures and what to change, before writing anything; the plan that just fits runs; the
// override flag runs anyway. A small machine is simulated with MISTUDIO_AVAILABLE_MEMORY_BYTES.
#include "reliability_support.h"
#include "test_support.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest>

using namespace mistudio::test;

namespace {

const QString kModel = QStringLiteral("fixtures/models/aidreams260k");
const QString kHook = QStringLiteral("blocks.1.hook_resid_post");

QProcessEnvironment withAvailable(qint64 bytes) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("MISTUDIO_IGNORE_MEMORY_CHECK");
    env.insert("MISTUDIO_AVAILABLE_MEMORY_BYTES", QString::number(bytes));
    return env;
}

} // namespace

class TestMemoryRefusal : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void extractRefusesAPlanThatCannotFit();
    void runRefusesBeforeAnyStage();

private:
    QTemporaryDir m_dir;
    QString m_model;
    qint64 m_predicted = 0;
};

void TestMemoryRefusal::initTestCase() {
    if (cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set to a built mistudio-cli");
    if (sharedDir().isEmpty() || !QFileInfo::exists(sharedDir() + "/" + kModel))
        QSKIP("fixture ../shared/fixtures/models/aidreams260k not found");
    m_model = QString::fromStdString(fixture(kModel));
    const CliRun est = runCli({"estimate", "--model", m_model, "--quant", "none", "--hook", kHook,
                               "--batch", "4", "--seq", "64"});
    QCOMPARE(est.code, 0);
    m_predicted = QJsonDocument::fromJson(est.out).object()["total_bytes"].toInteger();
    QVERIFY(m_predicted > 0);
}

void TestMemoryRefusal::extractRefusesAPlanThatCannotFit() {
    auto args = [&](const QString& out) {
        return QStringList{
            "extract", "--model",      m_model,    "--dataset", m_model + "/corpus.jsonl",
            "--hook",  kHook,          "--tokens", "256",       "--context-length",
            "64",      "--batch-size", "4",        "--out",     out};
    };
    const QString refused = m_dir.filePath("refused");
    const CliRun r = runCli(args(refused), withAvailable(m_predicted - 1));
    QCOMPARE(r.code, 1);
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains(QStringLiteral("predicted %1 bytes > available %2 bytes")
                              .arg(m_predicted)
                              .arg(m_predicted - 1)),
             qPrintable(err));
    for (const char* word : {"batch 4 x 64", "--quant", "--ignore-memory-check", "hook"})
        QVERIFY2(err.contains(word), qPrintable(err));
    QVERIFY2(!QFileInfo::exists(refused), "a refused extraction wrote its output folder");

    // Exactly enough memory: the plan runs.
    CliRun ok = runCli(args(m_dir.filePath("fits")), withAvailable(m_predicted));
    QVERIFY2(ok.code == 0, ok.err.constData());
    // The user insists.
    QStringList forced = args(m_dir.filePath("forced"));
    forced << "--ignore-memory-check";
    ok = runCli(forced, withAvailable(1000));
    QVERIFY2(ok.code == 0, ok.err.constData());
}

void TestMemoryRefusal::runRefusesBeforeAnyStage() {
    const QJsonObject run{{"model", m_model},
                          {"hook", kHook},
                          {"dataset", m_model + "/corpus.jsonl"},
                          {"tokens", 2048},
                          {"context_length", 64},
                          {"sae", QJsonObject{{"architecture", "topk"}, {"k", 4}}}};
    const QString config = m_dir.filePath("RUN.json");
    QFile f(config);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(run).toJson());
    f.close();
    const CliRun r = runCli({"run", "--config", config, "--project", m_dir.filePath("p.mistudio")},
                            withAvailable(1000));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("available 1000 bytes") &&
                 r.err.contains("MISTUDIO_IGNORE_MEMORY_CHECK=1"),
             r.err.constData());
    QVERIFY(partialFiles(m_dir.path()).isEmpty());
}

QTEST_GUILESS_MAIN(TestMemoryRefusal)
#include "test_memory_refusal.moc"
