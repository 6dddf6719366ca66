// `mistudio-cli download` end to end against the loopback fake Hub: stdout is the snapshot folder,
// progress goes to stderr, errors give exit codes, and the token never shows up in any output.
#include "fake_hub_server.h"
#include "hub_test_data.h"
#include "test_support.h"

#include <QDirIterator>
#include <QProcessEnvironment>
#include <QtTest>
#include <csignal>

using namespace mistudio::test;

namespace {

const char* kToken = "hf_cliSecretToken987";
const QString kCommit(40, QChar('a'));
const QString kDatasetCommit(40, QChar('b'));

struct HubCliRun {
    int exitCode = -1;
    QString out;
    QString err;
};

} // namespace

class TestHubCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void downloadPrintsTheSnapshotAndHidesTheToken();
    void secondRunIsACacheHit();
    void offlineModeAndMissingCache();
    void errorsHaveExitCodesAndWords();
    void datasetRepoType();
    void ctrlCCancelsAndKeepsThePartialFile();

private:
    HubCliRun run(const QStringList& args, const QMap<QString, QString>& env = {});
    QString snapshot() const {
        return m_work.path() + "/cache/models--org--tiny/snapshots/" + kCommit;
    }

    FakeHubServer m_server;
    QTemporaryDir m_work;
};

void TestHubCli::initTestCase() {
    if (cliPath().isEmpty() || !QFileInfo(cliPath()).isExecutable())
        QSKIP("MISTUDIO_CLI is not set (run through ctest)");
    const QString tiny = m_server.root() + "/repos/tiny";
    writeBytes(tiny + "/config.json", "{\"model_type\": \"gpt2\"}");
    writeBytes(tiny + "/model.safetensors", patternBytes(250000, 7));
    writeBytes(tiny + "/pytorch_model.bin", patternBytes(3000, 8));
    writeBytes(m_server.root() + "/repos/slow/model.safetensors", patternBytes(3000000, 10));
    const QString ds = m_server.root() + "/repos/ds";
    writeBytes(ds + "/train.parquet", patternBytes(5000, 9));
    QJsonObject repos;
    repos["model/org/tiny"] = QJsonObject{{"commit", kCommit}, {"dir", tiny}};
    repos["dataset/org/ds"] = QJsonObject{{"commit", kDatasetCommit}, {"dir", ds}};
    repos["model/org/slow"] =
        QJsonObject{{"commit", QString(40, QChar('c'))}, {"dir", m_server.root() + "/repos/slow"}};
    m_server.writeConfig(QJsonObject{
        {"repos", repos}, {"token", kToken}, {"slow", QJsonArray{"org/slow/model.safetensors"}}});
    QVERIFY2(m_server.start(), "the fake Hub (python3 tests/hub/fake_hub.py) did not start");
}

HubCliRun TestHubCli::run(const QStringList& args, const QMap<QString, QString>& env) {
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"HF_TOKEN", "HF_HOME", "HF_HUB_OFFLINE", "HUGGING_FACE_HUB_TOKEN",
                             "HF_TOKEN_PATH", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
        e.remove(name);
    e.insert("HF_ENDPOINT", m_server.endpoint());
    e.insert("HF_HUB_CACHE", m_work.path() + "/cache");
    e.insert("HOME", m_work.path() + "/home"); // no token file from the real home
    e.insert("MISTUDIO_DATA_DIR", m_work.path() + "/data");
    e.insert("HF_TOKEN", kToken);
    for (auto it = env.begin(); it != env.end(); ++it) {
        if (it.value().isNull())
            e.remove(it.key());
        else
            e.insert(it.key(), it.value());
    }
    QProcess p;
    p.setProcessEnvironment(e);
    p.start(cliPath(), args);
    HubCliRun r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

void TestHubCli::downloadPrintsTheSnapshotAndHidesTheToken() {
    const HubCliRun r = run({"--verbose", "download", "org/tiny"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(r.out, snapshot() + "\n");
    QVERIFY2(r.err.contains("download: "), qPrintable(r.err));
    QCOMPARE(readBytes(snapshot() + "/model.safetensors"), patternBytes(250000, 7));
    QVERIFY(QFileInfo(snapshot() + "/config.json").isSymLink());
    QVERIFY(!QFileInfo::exists(snapshot() + "/pytorch_model.bin"));

    int bearer = 0;
    for (const auto& req : m_server.requests())
        bearer += req["auth"].toString() == QStringLiteral("Bearer ") + kToken ? 1 : 0;
    QVERIFY(bearer >= 3); // listing + two files
    QVERIFY(!r.out.contains(kToken));
    QVERIFY(!r.err.contains(kToken));
    QDirIterator logs(m_work.path() + "/data", QDir::Files, QDirIterator::Subdirectories);
    int logFiles = 0;
    while (logs.hasNext()) {
        const QString f = logs.next();
        ++logFiles;
        QVERIFY2(!readBytes(f).contains(kToken), qPrintable(f));
    }
    QVERIFY(logFiles > 0); // the log file exists, and was checked
}

void TestHubCli::secondRunIsACacheHit() {
    QCOMPARE(run({"download", "org/tiny"}).exitCode, 0); // a no-op when the test above ran
    m_server.clearLog();
    const HubCliRun r = run({"download", "org/tiny"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(r.out, snapshot() + "\n");
    QCOMPARE(m_server.fileRequests().size(), 0);
}

void TestHubCli::offlineModeAndMissingCache() {
    QCOMPARE(run({"download", "org/tiny"}).exitCode, 0);
    m_server.clearLog();
    HubCliRun r = run({"download", "org/tiny"}, {{"HF_HUB_OFFLINE", "1"}});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(r.out, snapshot() + "\n");
    QCOMPARE(m_server.requests().size(), 0);

    QTemporaryDir empty;
    r = run({"download", "org/tiny"}, {{"HF_HUB_OFFLINE", "1"}, {"HF_HUB_CACHE", empty.path()}});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("HF_HUB_OFFLINE=1"), qPrintable(r.err));
    // Printed once by the CLI, not a second time by the job log.
    QVERIFY2(r.err.count("is not in the Hugging Face cache") == 1, qPrintable(r.err));
    QVERIFY(r.out.isEmpty());
}

void TestHubCli::errorsHaveExitCodesAndWords() {
    HubCliRun r = run({"download", "org/tiny"}, {{"HF_TOKEN", QString()}});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("accept the license on the model page"), qPrintable(r.err));
    r = run({"download", "org/tiny", "--revision", "v9"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("no revision 'v9'"), qPrintable(r.err));
    r = run({"download", "org/nothing"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.count("no repository org/nothing") == 1, qPrintable(r.err));
    r = run({"download", "org/tiny", "--repo-type", "space"});
    QCOMPARE(r.exitCode, 2);
    r = run({"download"});
    QCOMPARE(r.exitCode, 2);
    r = run({"download", "../etc/passwd"});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("not a valid Hugging Face repo id"), qPrintable(r.err));
    for (const QString& out : {r.out, r.err})
        QVERIFY(!out.contains(kToken));
}

void TestHubCli::datasetRepoType() {
    const HubCliRun r = run({"download", "org/ds", "--repo-type", "dataset"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QString snap = m_work.path() + "/cache/datasets--org--ds/snapshots/" + kDatasetCommit;
    QCOMPARE(r.out, snap + "\n");
    QCOMPARE(readBytes(snap + "/train.parquet"), patternBytes(5000, 9));
}

void TestHubCli::ctrlCCancelsAndKeepsThePartialFile() {
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (const char* name :
         {"HF_HUB_OFFLINE", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
        e.remove(name);
    e.insert("HF_ENDPOINT", m_server.endpoint());
    e.insert("HF_HUB_CACHE", m_work.path() + "/cache");
    e.insert("HOME", m_work.path() + "/home");
    e.insert("MISTUDIO_DATA_DIR", m_work.path() + "/data");
    e.insert("HF_TOKEN", kToken);
    QProcess p;
    p.setProcessEnvironment(e);
    p.start(cliPath(), {"download", "org/slow"});
    QVERIFY(p.waitForStarted(10000));
    p.setReadChannel(QProcess::StandardError); // progress lines come on stderr
    QByteArray err;
    for (int i = 0; i < 300 && err.count("download: ") < 3; ++i)
        if (p.waitForReadyRead(100))
            err += p.readAllStandardError();
    QVERIFY2(err.count("download: ") >= 3, err.constData()); // bytes are flowing
    ::kill(pid_t(p.processId()), SIGINT);
    QVERIFY(p.waitForFinished(30000));
    err += p.readAllStandardError();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit, err.constData());
    QCOMPARE(p.exitCode(), 1);
    QVERIFY2(err.contains("cancelled"), err.constData());
    QVERIFY(p.readAllStandardOutput().isEmpty());
    const QString blob = sha256Of(patternBytes(3000000, 10));
    const QString incomplete =
        m_work.path() + "/cache/models--org--slow/blobs/" + blob + ".incomplete";
    QVERIFY(QFileInfo(incomplete).size() > 0);
    QVERIFY(QFileInfo(incomplete).size() < 3000000);
}

QTEST_GUILESS_MAIN(TestHubCli)
#include "test_hub_cli.moc"
