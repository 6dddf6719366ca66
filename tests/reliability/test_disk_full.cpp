// Disk full while the analysis writes the project (issue 12). RLIMIT_FSIZE in the child process
// makes writes past a size fail (EFBIG, as ENOSPC on a full disk; SIGXFSZ ignored so the write
// returns an error instead of killing the process). Expected: a clear error naming the project
// and free space, exit code 1 (not a crash), the project passing PRAGMA integrity_check, and,
// once space is "freed" (no limit), the same command completing with the tables of a run that
// never failed.
#include "reliability_support.h"
#include "test_support.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <sys/resource.h>

using namespace mistudio::test;

namespace {

const QString kModel = QStringLiteral("fixtures/models/aidreams260k");
const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

/// Runs mistudio-cli with every file it writes limited to `maxFileBytes`.
CliRun runWithFileLimit(const QStringList& args, qint64 maxFileBytes, const QString& dataDir) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("MISTUDIO_DATA_DIR", dataDir); // a fresh log file: the limit is for the project
    p.setProcessEnvironment(env);
    p.setChildProcessModifier([maxFileBytes] {
        ::signal(SIGXFSZ, SIG_IGN); // ignored signals stay ignored across exec
        rlimit limit{rlim_t(maxFileBytes), rlim_t(maxFileBytes)};
        ::setrlimit(RLIMIT_FSIZE, &limit);
    });
    p.start(cliPath(), QStringList{"--threads", "1"} + args);
    CliRun r;
    if (p.waitForFinished(300000) && p.exitStatus() == QProcess::NormalExit)
        r.code = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

class TestDiskFull : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void analysisOnAFullDiskFailsCleanlyAndResumes();
};

void TestDiskFull::analysisOnAFullDiskFailsCleanlyAndResumes() {
    if (cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set to a built mistudio-cli");
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    QTemporaryDir dir;
    const QString model = QString::fromStdString(fixture(kModel));
    const QString sae = dir.filePath("sae");
    writeRandomSae(sae, kHook);
    auto project = [&](const QString& name) {
        const QString path = dir.filePath(name);
        const CliRun r = runCli({"import-sae", "--project", path, "--sae", sae, "--model", model});
        return r.code == 0 ? path : QString();
    };
    auto analyze = [&](const QString& path) {
        return QStringList{"analyze", "--project", path,
                           "--run",   "1",         "--tokens",
                           "3000",    "--dataset", model + "/corpus.jsonl"};
    };
    const QString ref = project("ref.mistudio");
    QVERIFY(!ref.isEmpty());
    CliRun r = runCli(analyze(ref));
    QVERIFY2(r.code == 0, r.err.constData());

    const QString full = project("full.mistudio");
    QVERIFY(!full.isEmpty());
    const qint64 before = QFileInfo(full).size();
    // Room for a little more than the imported project: the feature batches do not fit.
    r = runWithFileLimit(analyze(full), before + 64 * 1024, dir.filePath("data"));
    QCOMPARE(r.code, 1);
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains("full.mistudio") && err.contains("disk space", Qt::CaseInsensitive),
             qPrintable(err));
    QCOMPARE(integrityCheck(full), QStringLiteral("ok"));

    // Space freed: the same command completes and gives the uninterrupted result.
    r = runCli(analyze(full));
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(integrityCheck(full), QStringLiteral("ok"));
    for (const char* table : {"features", "feature_examples", "logit_effects", "histograms",
                              "neighbors", "run_tokens", "feature_tokens"})
        QVERIFY2(tableRows(full, table) == tableRows(ref, table), table);
    QCOMPARE(partialFiles(dir.path()), QStringList());
}

QTEST_GUILESS_MAIN(TestDiskFull)
#include "test_disk_full.moc"
