// mistudio-cli runs / features / feature / bench store, end to end on a project built through the
// API; outputs are checked against the data the test wrote.
#include "mistudio/project.h"
#include "store_test_data.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>

using namespace mistudio;

namespace {

using mistudio::test::runCli;

QJsonDocument parse(const mistudio::test::CliRun& r) {
    QJsonParseError e{};
    QJsonDocument doc = QJsonDocument::fromJson(r.out, &e);
    if (e.error != QJsonParseError::NoError)
        qWarning() << "not JSON:" << r.out.left(300) << r.err;
    return doc;
}

} // namespace

class TestStoreCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void runsListsOldestFirst();
    void featuresSortedAndLimited();
    void featurePageHasEverything();
    void readableOutputs();
    void errorsAreReported();
    void benchPrintsItsFigures();

private:
    QTemporaryDir m_dir;
    QString m_project;
    int64_t m_run = 0;
    std::vector<FeatureRecord> m_records;
};

void TestStoreCli::initTestCase() {
    if (test::cliPath().isEmpty() || !QFileInfo(test::cliPath()).isExecutable())
        QSKIP("MISTUDIO_CLI is not set to a built mistudio-cli");
    m_project = m_dir.filePath("cli.mistudio");
    Project p = Project::create(m_project.toStdString());
    RunRecord a;
    a.hook = "blocks.0.hook_resid_post", a.architecture = "relu", a.dSae = 64;
    const int64_t first = p.createRun(a);
    p.setRunStatus(first, RunStatus::Failed, "diverged");
    RunRecord b = a;
    b.hook = "blocks.6.hook_resid_post", b.architecture = "topk", b.dSae = 120;
    m_run = p.createRun(b);
    p.setRunStatus(m_run, RunStatus::Done);
    m_records = test::makeFeatures(0, 120, 11);
    p.writeFeatures(m_run, m_records);
}

void TestStoreCli::runsListsOldestFirst() {
    const mistudio::test::CliRun r = runCli({"runs", "--project", m_project, "--json"});
    QCOMPARE(r.code, 0);
    const QJsonArray runs = parse(r).array();
    QCOMPARE(runs.size(), 2);
    QCOMPARE(runs[0].toObject()["status"].toString(), QString("failed"));
    QCOMPARE(runs[1].toObject()["id"].toInteger(), m_run);
    QCOMPARE(runs[1].toObject()["status"].toString(), QString("done"));
    QCOMPARE(runs[1].toObject()["hook"].toString(), QString("blocks.6.hook_resid_post"));
    QCOMPARE(runs[1].toObject()["architecture"].toString(), QString("topk"));
    QCOMPARE(runs[1].toObject()["d_sae"].toInteger(), 120);
    QVERIFY(runs[1].toObject()["created"].toString().startsWith("20"));
}

void TestStoreCli::featuresSortedAndLimited() {
    const QString run = QString::number(m_run);
    mistudio::test::CliRun r = runCli({"features", "--project", m_project, "--run", run, "--sort",
                                       "max", "--limit", "7", "--json"});
    QCOMPARE(r.code, 0);
    QJsonArray rows = parse(r).array();
    auto expected = m_records;
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
        return a.stats.maxActivation > b.stats.maxActivation;
    });
    QCOMPARE(rows.size(), 7);
    for (int i = 0; i < 7; ++i) {
        QCOMPARE(rows[i].toObject()["index"].toInteger(), expected[size_t(i)].stats.index);
        QCOMPARE(rows[i].toObject()["max_activation"].toDouble(),
                 expected[size_t(i)].stats.maxActivation);
        QCOMPARE(rows[i].toObject()["label"].toString().toStdString(),
                 expected[size_t(i)].stats.label);
        QVERIFY(rows[i].toObject().contains("density"));
        QVERIFY(rows[i].toObject().contains("mean_activation"));
    }
    r = runCli({"features", "--project", m_project, "--run", run, "--json"});
    rows = parse(r).array();
    QCOMPARE(rows.size(), 120); // no --limit: all, by index
    QCOMPARE(rows[119].toObject()["index"].toInteger(), 119);
    r = runCli({"features", "--project", m_project, "--run", run, "--sort", "density", "--json"});
    rows = parse(r).array();
    for (int i = 1; i < rows.size(); ++i)
        QVERIFY(rows[i - 1].toObject()["density"].toDouble() >=
                rows[i].toObject()["density"].toDouble());
}

void TestStoreCli::featurePageHasEverything() {
    const FeatureRecord& want = m_records[42];
    const mistudio::test::CliRun r = runCli({"feature", "--project", m_project, "--run",
                                             QString::number(m_run), "--index", "42", "--json"});
    QCOMPARE(r.code, 0);
    const QJsonObject page = parse(r).object();
    QCOMPARE(page["index"].toInteger(), 42);
    QCOMPARE(page["density"].toDouble(), want.stats.density);
    QCOMPARE(page["max_activation"].toDouble(), want.stats.maxActivation);
    const QJsonArray top = page["top_examples"].toArray();
    QCOMPARE(top.size(), 5);
    for (int k = 0; k < top.size(); ++k) {
        const FeatureExample& e = want.examples[size_t(k)]; // top examples were written first
        const QJsonArray tokens = top[k].toObject()["tokens"].toArray();
        const QJsonArray acts = top[k].toObject()["activations"].toArray();
        QCOMPARE(tokens.size(), int(e.tokens.size()));
        for (int t = 0; t < tokens.size(); ++t) {
            QCOMPARE(tokens[t].toString().toStdString(), e.tokens[size_t(t)]);
            QCOMPARE(float(acts[t].toDouble()), e.activations[size_t(t)]);
        }
    }
    QCOMPARE(page["quantile_examples"].toArray().size(), 4);
    const QJsonArray pos = page["logits_positive"].toArray();
    QCOMPARE(pos.size(), 3);
    QCOMPARE(pos[0].toObject()["token"].toString().toStdString(), want.logitsPositive[0].token);
    QCOMPARE(float(pos[0].toObject()["value"].toDouble()), want.logitsPositive[0].value);
    QCOMPARE(float(page["logits_negative"].toArray()[2].toObject()["value"].toDouble()),
             want.logitsNegative[2].value);
    QCOMPARE(page["histogram"].toObject()["counts"].toArray()[1].toInteger(),
             want.histogram.counts[1]);
    QCOMPARE(page["neighbors"].toArray()[0].toObject()["index"].toInteger(),
             want.neighbors[0].index);
}

void TestStoreCli::readableOutputs() {
    const QString run = QString::number(m_run);
    mistudio::test::CliRun r =
        runCli({"features", "--project", m_project, "--run", run, "--limit", "3"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("index") && r.out.contains("(3 of 120 matching features)"));
    r = runCli({"feature", "--project", m_project, "--run", run, "--index", "3"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("top examples"));
    r = runCli({"runs", "--project", m_project});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("blocks.6.hook_resid_post"));
}

void TestStoreCli::errorsAreReported() {
    const QString run = QString::number(m_run);
    mistudio::test::CliRun r =
        runCli({"runs", "--project", m_dir.filePath("nope.mistudio"), "--json"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("does not exist"));
    r = runCli({"feature", "--project", m_project, "--run", run, "--index", "500", "--json"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("no feature 500"));
    r = runCli({"features", "--project", m_project, "--run", "abc", "--json"});
    QCOMPARE(r.code, 2);
    r = runCli({"features", "--project", m_project, "--run", run, "--sort", "loudness"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("--sort"));
    r = runCli({"features", "--project", m_project, "--run", "99", "--json"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("no run 99"));
}

void TestStoreCli::benchPrintsItsFigures() {
    const mistudio::test::CliRun r =
        runCli({"bench", "store", "--features", "64", "--examples", "4"});
    QCOMPARE(r.code, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    const QJsonObject figures = QJsonDocument::fromJson(lines.last()).object();
    QVERIFY(figures.contains("page_ms") && figures.contains("feature_ms"));
    QVERIFY(figures["page_ms"].toDouble() > 0);
    QCOMPARE(figures["features"].toInteger(), 64);
    QVERIFY(lines.size() > 5); // the readable table comes first
}

QTEST_GUILESS_MAIN(TestStoreCli)
#include "test_store_cli.moc"
