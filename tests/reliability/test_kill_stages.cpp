// kill -9 at random points of each long stage (issue 12), at least 10 kills per stage: download
// (loopback fake Hub), extraction (`extract` on aidreams260k), training (`train --config` with
// checkpoints every few tens of ms) and analysis (`analyze`). After the kills the same command
// is run again until it completes; the result must equal an uninterrupted run (byte-identical
// cache, exact SAE on CPU, equal analysis tables), the project must pass PRAGMA integrity_check
// after every kill, and no temporary or partial file may be left where a whole one belongs.
// The random kill points come from a printed seed (MISTUDIO_KILL_SEED reproduces a run).
#include "../hub/fake_hub_server.h"
#include "../hub/hub_test_data.h"
#include "reliability_support.h"
#include "test_support.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace mistudio;
using namespace mistudio::test;

namespace {

constexpr int kMinKills = 10;
const QString kModel = QStringLiteral("fixtures/models/aidreams260k");
const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

QString modelDir() {
    return QString::fromStdString(fixture(kModel));
}

QString corpus() {
    return modelDir() + "/corpus.jsonl";
}

/// Milliseconds an uninterrupted run of `args` takes (and checks that it succeeds).
int timedRun(const QStringList& args, CliRun* result = nullptr,
             const QProcessEnvironment& env = {}) {
    QElapsedTimer t;
    t.start();
    const CliRun r = runCli(args, env);
    if (result)
        *result = r;
    if (r.code != 0)
        qWarning("mistudio-cli %s failed: %s", qPrintable(args.join(' ')), r.err.constData());
    return int(t.elapsed());
}

/// Milliseconds mistudio-cli takes to start (loading LibTorch) before any work: kill points are
/// drawn after it, so that most kills interrupt the work itself.
int startupMs() {
    QElapsedTimer t;
    t.start();
    runCli({"--help"});
    return int(t.elapsed());
}

} // namespace

class TestKillStages : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void killDownload();
    void killExtraction();
    void killTraining();
    void killAnalysis();

private:
    QTemporaryDir m_dir;
};

void TestKillStages::initTestCase() {
    if (cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set to a built mistudio-cli");
}

void TestKillStages::killDownload() {
    FakeHubServer hub;
    const QString repo = hub.root() + "/repos/big";
    const QByteArray weights = patternBytes(1200000, 21); // ~4 s at 320 KB/s
    writeBytes(repo + "/config.json", "{\"model_type\": \"gpt2\"}");
    writeBytes(repo + "/model.safetensors", weights);
    const QString commit(40, QChar('d'));
    hub.writeConfig(QJsonObject{
        {"repos", QJsonObject{{"model/org/big", QJsonObject{{"commit", commit}, {"dir", repo}}}}},
        {"slow", QJsonArray{"org/big/model.safetensors"}}}); // 16 KB every 50 ms
    QVERIFY2(hub.start(), "the fake Hub (python3 tests/hub/fake_hub.py) did not start");

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"HF_TOKEN", "HF_HOME", "HF_HUB_OFFLINE", "HUGGING_FACE_HUB_TOKEN",
                             "HF_TOKEN_PATH", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
        env.remove(name);
    const QString cache = m_dir.filePath("hf-cache");
    env.insert("HF_ENDPOINT", hub.endpoint());
    env.insert("HF_HUB_CACHE", cache);
    env.insert("HOME", m_dir.filePath("home"));
    env.insert("MISTUDIO_DATA_DIR", m_dir.filePath("data"));

    const QStringList args{"download", "org/big"};
    const int ms = timedRun(args, nullptr, env); // kill points span an uninterrupted run
    std::mt19937 rng(killSeed("download"));
    int kills = 0, resumed = 0;
    while (kills < kMinKills) {
        QDir(cache).removeRecursively();
        hub.clearLog();
        const CliRun done = runUntilDone([&] { return args; }, rng, startupMs(), ms, kills, env);
        QVERIFY2(done.code == 0, done.err.constData());
        const QString snapshot = cache + "/models--org--big/snapshots/" + commit;
        QCOMPARE(QString::fromUtf8(done.out).trimmed(), snapshot);
        QVERIFY(readBytes(snapshot + "/model.safetensors") == weights);
        QCOMPARE(partialFiles(cache), QStringList());
        // Killed runs left a partial blob that later runs continued with Range.
        for (const auto& req : hub.fileRequests()) {
            const QString range = req["range"].toString();
            resumed += range.startsWith("bytes=") && !range.startsWith("bytes=0-") ? 1 : 0;
        }
    }
    QVERIFY2(resumed > 0, "no download was resumed with Range after a kill");
}

void TestKillStages::killExtraction() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    auto args = [&](const QString& out) {
        return QStringList{"extract", "--model",          modelDir(), "--dataset",
                           corpus(),  "--hook",           kHook,      "--tokens",
                           "1024",    "--context-length", "64",       "--batch-size",
                           "4",       "--rows-per-shard", "128",      "--out",
                           out};
    };
    const QString ref = m_dir.filePath("extract-ref");
    CliRun first;
    const int ms = timedRun(args(ref), &first);
    QCOMPARE(first.code, 0);
    const auto expected = readTree(ref);
    QVERIFY(expected.size() > 4);

    std::mt19937 rng(killSeed("extraction"));
    const QString out = m_dir.filePath("extract-killed");
    int kills = 0;
    while (kills < kMinKills) {
        QDir(out).removeRecursively();
        const CliRun done = runUntilDone([&] { return args(out); }, rng, startupMs(), ms, kills);
        QVERIFY2(done.code == 0, done.err.constData());
        QCOMPARE(partialFiles(out), QStringList());
        const auto got = readTree(out);
        QCOMPARE(got.keys(), expected.keys());
        for (auto it = expected.begin(); it != expected.end(); ++it)
            QVERIFY2(got.value(it.key()) == it.value(),
                     qPrintable(it.key() + " differs from the uninterrupted extraction"));
    }
}

void TestKillStages::killTraining() {
    const QString acts = m_dir.filePath("train-acts.safetensors");
    writeSafetensors(acts, {{"activations", {8192, 16}, randomValues(8192 * 16, 5)}});
    // One RUN.json (and so one output folder) for the reference and the killed runs: the saved
    // cfg.json and the evaluation line name the folder.
    const QString out = m_dir.filePath("train-out");
    const QString cfg = m_dir.filePath("train.json");
    writeBytes(cfg, QJsonDocument(QJsonObject{{"activations", acts},
                                              {"hook", kHook},
                                              {"tokens", 64 * 200},
                                              {"seed", 3},
                                              {"out", out},
                                              {"log_every", 100},
                                              {"eval_tokens", 512},
                                              {"checkpoint_minutes", 0.0005}, // every 30 ms
                                              {"sae", QJsonObject{{"architecture", "topk"},
                                                                  {"k", 4},
                                                                  {"d_sae", 32},
                                                                  {"batch_size", 64},
                                                                  {"lr", 0.003}}}})
                        .toJson());
    CliRun first;
    const int ms = timedRun({"train", "--config", cfg}, &first);
    QCOMPARE(first.code, 0);
    const QByteArray refWeights = readBytes(out + "/sae_weights.safetensors");
    const QByteArray refCfg = readBytes(out + "/cfg.json");
    QVERIFY(!refWeights.isEmpty());
    const QByteArray refEval = first.out.trimmed().split('\n').last();

    std::mt19937 rng(killSeed("training"));
    int kills = 0;
    while (kills < kMinKills) {
        QDir(out).removeRecursively();
        auto args = [&] {
            // Resume once a checkpoint exists; before that, start afresh.
            return QFileInfo::exists(out + "/checkpoint/checkpoint.safetensors")
                       ? QStringList{"train", "--config", cfg, "--resume"}
                       : QStringList{"train", "--config", cfg};
        };
        const CliRun done = runUntilDone(args, rng, startupMs(), ms, kills);
        QVERIFY2(done.code == 0, done.err.constData());
        QCOMPARE(partialFiles(out), QStringList());
        QVERIFY2(readBytes(out + "/sae_weights.safetensors") == refWeights,
                 "the SAE trained through kills differs from the uninterrupted one");
        QVERIFY(readBytes(out + "/cfg.json") == refCfg);
        QCOMPARE(done.out.trimmed().split('\n').last(), refEval);
    }
}

void TestKillStages::killAnalysis() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    const QString sae = m_dir.filePath("sae");
    writeRandomSae(sae, kHook);
    auto newProject = [&](const QString& name) {
        const QString path = m_dir.filePath(name);
        for (const char* suffix : {"", "-wal", "-shm"})
            QFile::remove(path + suffix);
        QDir(path.chopped(9) + ".assets").removeRecursively(); // NAME.assets beside NAME.mistudio
        const CliRun r =
            runCli({"import-sae", "--project", path, "--sae", sae, "--model", modelDir()});
        return r.code == 0 ? path : QString::fromUtf8("import-sae failed: " + r.err);
    };
    auto args = [&](const QString& project) {
        return QStringList{"analyze",  "--project", project,     "--run", "1",
                           "--tokens", "1500",      "--dataset", corpus()};
    };
    const QString ref = newProject("analysis-ref.mistudio");
    QVERIFY2(QFile::exists(ref), qPrintable(ref));
    CliRun first;
    const int ms = timedRun(args(ref), &first);
    QCOMPARE(first.code, 0);
    const QStringList tables{"features",  "feature_examples", "logit_effects", "histograms",
                             "neighbors", "run_tokens",       "feature_tokens"};

    std::mt19937 rng(killSeed("analysis"));
    int kills = 0;
    while (kills < kMinKills) {
        const QString project = newProject("analysis-killed.mistudio");
        QVERIFY2(QFile::exists(project), qPrintable(project));
        QStringList damaged; // integrity_check after every kill
        const CliRun done =
            runUntilDone([&] { return args(project); }, rng, startupMs(), ms, kills, {},
                         [&] {
                             const QString check = integrityCheck(project);
                             if (check != "ok")
                                 damaged << check;
                         });
        QVERIFY2(damaged.isEmpty(), qPrintable(damaged.join('\n')));
        QCOMPARE(partialFiles(m_dir.path()), QStringList());
        QVERIFY2(done.code == 0, done.err.constData());
        QCOMPARE(integrityCheck(project), QStringLiteral("ok"));
        for (const QString& table : tables)
            QVERIFY2(tableRows(project, table) == tableRows(ref, table),
                     qPrintable(table + " differs from the uninterrupted analysis"));
    }
}

QTEST_GUILESS_MAIN(TestKillStages)
#include "test_kill_stages.moc"
