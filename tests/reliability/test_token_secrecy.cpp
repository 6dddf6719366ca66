// The Hugging Face token never appears in project files, reports or outputs (issue 12): with
// HF_TOKEN set, import an SAE, analyse it, export every report format and list the runs, then
// fail a command on purpose (its error output is what a crash report would carry); the token's
// bytes must be in none of the files written nor in any stdout/stderr.
#include "reliability_support.h"
#include "test_support.h"

#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest>

using namespace mistudio::test;

class TestTokenSecrecy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tokenIsInNoFileOrOutput();
};

void TestTokenSecrecy::tokenIsInNoFileOrOutput() {
    if (cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set to a built mistudio-cli");
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k");
    const QByteArray token = "hf_SecretTokenForTheReliabilityTest0123456789";
    QTemporaryDir dir;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("HF_TOKEN", QString::fromLatin1(token));
    env.insert("HOME", dir.filePath("home"));
    env.insert("MISTUDIO_DATA_DIR", dir.filePath("data")); // logs land here
    env.insert("HF_HUB_OFFLINE", "1");
    const QString model = QString::fromStdString(fixture("fixtures/models/aidreams260k"));
    const QString project = dir.filePath("p.mistudio");
    writeRandomSae(dir.filePath("sae"), "blocks.2.hook_resid_post");

    QList<QStringList> commands{{"--verbose", "import-sae", "--project", project, "--sae",
                                 dir.filePath("sae"), "--model", model},
                                {"--verbose", "analyze", "--project", project, "--run", "1",
                                 "--tokens", "2000", "--dataset", model + "/corpus.jsonl"},
                                {"runs", "--project", project, "--json"}};
    for (const char* format : {"saelens", "neuronpedia", "csv", "json", "html"})
        commands.append({"export", "--project", project, "--run", "1", "--format", format, "--out",
                         dir.filePath(QStringLiteral("export-%1").arg(format))});
    QByteArray outputs;
    for (const QStringList& args : commands) {
        const CliRun r = runCli(args, env);
        QVERIFY2(r.code == 0, qPrintable(args.join(' ') + ": " + r.err));
        outputs += r.out + r.err;
    }
    // Failures print messages and context: still no token.
    const CliRun bad = runCli({"--verbose", "download", "org/not-in-cache"}, env);
    QVERIFY(bad.code != 0);
    outputs += bad.out + bad.err;
    QVERIFY2(!outputs.contains(token), "the token was printed");

    const auto files = readTree(dir.path());
    QVERIFY(files.size() > 8);
    QVERIFY(files.contains("p.mistudio"));
    for (auto it = files.begin(); it != files.end(); ++it)
        QVERIFY2(!it.value().contains(token), qPrintable(it.key() + " holds the token"));
}

QTEST_GUILESS_MAIN(TestTokenSecrecy)
#include "test_token_secrecy.moc"
