// `mistudio-cli run`: every stage into a project; a second run of the same RUN.json resumes from
// what is on disk; bad RUN.json keys are refused with the key named.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "mistudio/project.h"
#include "test_support.h"

namespace {
struct CliResult {
    int code = -1;
    QByteArray out, err;
};

CliResult cli(const QStringList& args, int timeoutMs = 900000) {
    QProcess p;
    p.start(mistudio::test::cliPath(), args);
    p.waitForFinished(timeoutMs);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

QString writeRunJson(const QTemporaryDir& dir, QJsonObject extra = {}) {
    const QString model = QString::fromStdString(mistudio::test::fixture("fixtures/models/aidreams260k"));
    QJsonObject run{{QStringLiteral("model"), model},
                    {QStringLiteral("hook"), QStringLiteral("blocks.1.hook_resid_post")},
                    {QStringLiteral("dataset"), model + QStringLiteral("/corpus.jsonl")},
                    {QStringLiteral("tokens"), 20000},
                    {QStringLiteral("context_length"), 64},
                    {QStringLiteral("seed"), 3},
                    {QStringLiteral("eval_tokens"), 2048},
                    {QStringLiteral("analysis_tokens"), 4000},
                    {QStringLiteral("sae"), QJsonObject{{QStringLiteral("architecture"), QStringLiteral("topk")},
                                                        {QStringLiteral("expansion_factor"), 4},
                                                        {QStringLiteral("k"), 8},
                                                        {QStringLiteral("batch_size"), 256}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        run.insert(it.key(), it.value());
    const QString path = dir.filePath(QStringLiteral("RUN.json"));
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(QJsonDocument(run).toJson());
    return path;
}
}  // namespace

class TestPipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyStageLandsInTheProject();
    void badKeysAreNamed();
    void quantizedRun();
};

void TestPipeline::everyStageLandsInTheProject() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k");
    QTemporaryDir dir;
    const QString config = writeRunJson(dir);
    const QString project = dir.filePath(QStringLiteral("demo.mistudio"));
    const CliResult first = cli({QStringLiteral("run"), QStringLiteral("--config"), config,
                                 QStringLiteral("--project"), project});
    QVERIFY2(first.code == 0, first.err.constData());
    const QJsonObject result = QJsonDocument::fromJson(first.out.trimmed().split('\n').last()).object();
    const QJsonObject eval = result.value(QStringLiteral("eval")).toObject();
    for (const char* key : {"l0", "explained_variance", "ce_clean", "ce_spliced", "ce_zero", "delta_ce",
                            "ce_loss_recovered", "kl", "dead_fraction"})
        QVERIFY2(eval.contains(QLatin1String(key)) && eval.value(QLatin1String(key)).isDouble(), key);
    QVERIFY(eval.value(QStringLiteral("l0")).toDouble() <= 8.0 + 1e-6);  // TopK k = 8
    QVERIFY(eval.value(QStringLiteral("ce_spliced")).toDouble() < eval.value(QStringLiteral("ce_zero")).toDouble());

    const CliResult runs = cli({QStringLiteral("runs"), QStringLiteral("--project"), project, QStringLiteral("--json")});
    QCOMPARE(runs.code, 0);
    const QJsonArray list = QJsonDocument::fromJson(runs.out).array();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("done"));
    const QString runId = QString::number(list.at(0).toObject().value(QStringLiteral("id")).toInteger());
    const CliResult features = cli({QStringLiteral("features"), QStringLiteral("--project"), project,
                                    QStringLiteral("--run"), runId, QStringLiteral("--json"),
                                    QStringLiteral("--sort"), QStringLiteral("density")});
    QCOMPARE(features.code, 0);
    const QJsonArray rows = QJsonDocument::fromJson(features.out).array();
    QCOMPARE(rows.size(), 4 * 64);  // d_sae = 4 × d_model
    QVERIFY(rows.at(0).toObject().value(QStringLiteral("density")).toDouble() > 0);

    // The same RUN.json again: the run is done, so a new record is made, but the activation cache
    // and the trained SAE on disk are reused (resumable stages keyed by the configuration).
    const CliResult second = cli({QStringLiteral("run"), QStringLiteral("--config"), config,
                                  QStringLiteral("--project"), project, QStringLiteral("--json-events")});
    QVERIFY2(second.code == 0, second.err.constData());
    QVERIFY(second.out.contains("\"event\":\"finished\""));
    QVERIFY(second.out.contains("already complete") || second.out.contains("\"stage\":\"analyze\""));
}

void TestPipeline::badKeysAreNamed() {
    QTemporaryDir dir;
    const QString config = writeRunJson(dir, {{QStringLiteral("tokenz"), 5}});
    const CliResult r = cli({QStringLiteral("run"), QStringLiteral("--config"), config, QStringLiteral("--project"),
                             dir.filePath(QStringLiteral("p.mistudio"))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("tokenz"), r.err.constData());
    // An unknown quantization is named with the modes that exist.
    const QString badQuant = writeRunJson(dir, {{QStringLiteral("quant"), QStringLiteral("int3")}});
    const CliResult q = cli({QStringLiteral("run"), QStringLiteral("--config"), badQuant, QStringLiteral("--project"),
                             dir.filePath(QStringLiteral("q.mistudio"))});
    QCOMPARE(q.code, 1);
    QVERIFY2(q.err.contains("quant") && q.err.contains("int3") && q.err.contains("nf4"), q.err.constData());
}

// RUN.json "quant": "int8" runs every stage on the quantized runtime and records the model's
// requested and effective quantization.
void TestPipeline::quantizedRun() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k");
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("q.mistudio"));
    const QString config = writeRunJson(dir, {{QStringLiteral("quant"), QStringLiteral("int8")},
                                              {QStringLiteral("tokens"), 4000},
                                              {QStringLiteral("eval_tokens"), 512},
                                              {QStringLiteral("analysis_tokens"), 1000}});
    const CliResult r = cli({QStringLiteral("run"), QStringLiteral("--config"), config, QStringLiteral("--project"), project});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject eval =
        QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object().value(QStringLiteral("eval")).toObject();
    QVERIFY(eval.value(QStringLiteral("ce_spliced")).toDouble() < eval.value(QStringLiteral("ce_zero")).toDouble());
    const auto models = mistudio::Project::open(project.toStdString()).models();
    QCOMPARE(models.size(), size_t(1));
    QCOMPARE(models[0].quantRequested, std::string("int8"));
    QCOMPARE(models[0].quantEffective, std::string("int8"));
}

QTEST_GUILESS_MAIN(TestPipeline)
#include "test_pipeline.moc"
