// `mistudio-cli run`: every stage into a project; a second run of the same RUN.json resumes from
// what is on disk; bad RUN.json keys are refused with the key named.
#include "mistudio/project.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

namespace {
using CliResult = mistudio::test::CliRun;

CliResult cli(const QStringList& args) {
    return mistudio::test::runCli(args, {}, 900000);
}

QString writeRunJson(const QTemporaryDir& dir, QJsonObject extra = {}) {
    const QString model =
        QString::fromStdString(mistudio::test::fixture("fixtures/models/aidreams260k"));
    QJsonObject run{{QStringLiteral("model"), model},
                    {QStringLiteral("hook"), QStringLiteral("blocks.1.hook_resid_post")},
                    {QStringLiteral("dataset"), model + QStringLiteral("/corpus.jsonl")},
                    {QStringLiteral("tokens"), 20000},
                    {QStringLiteral("context_length"), 64},
                    {QStringLiteral("seed"), 3},
                    {QStringLiteral("eval_tokens"), 2048},
                    {QStringLiteral("analysis_tokens"), 4000},
                    {QStringLiteral("sae"),
                     QJsonObject{{QStringLiteral("architecture"), QStringLiteral("topk")},
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
} // namespace

class TestPipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyStageLandsInTheProject();
    void severalHooksAndASweepShareOneForward();
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
    const QJsonObject result =
        QJsonDocument::fromJson(first.out.trimmed().split('\n').last()).object();
    const QJsonObject eval = result.value(QStringLiteral("eval")).toObject();
    for (const char* key : {"l0", "explained_variance", "ce_clean", "ce_spliced", "ce_zero",
                            "delta_ce", "ce_loss_recovered", "kl", "dead_fraction"})
        QVERIFY2(eval.contains(QLatin1String(key)) && eval.value(QLatin1String(key)).isDouble(),
                 key);
    QVERIFY(eval.value(QStringLiteral("l0")).toDouble() <= 8.0 + 1e-6); // TopK k = 8
    QVERIFY(eval.value(QStringLiteral("ce_spliced")).toDouble() <
            eval.value(QStringLiteral("ce_zero")).toDouble());

    const CliResult runs = cli(
        {QStringLiteral("runs"), QStringLiteral("--project"), project, QStringLiteral("--json")});
    QCOMPARE(runs.code, 0);
    const QJsonArray list = QJsonDocument::fromJson(runs.out).array();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.at(0).toObject().value(QStringLiteral("status")).toString(),
             QStringLiteral("done"));
    const QString runId =
        QString::number(list.at(0).toObject().value(QStringLiteral("id")).toInteger());
    const CliResult features = cli(
        {QStringLiteral("features"), QStringLiteral("--project"), project, QStringLiteral("--run"),
         runId, QStringLiteral("--json"), QStringLiteral("--sort"), QStringLiteral("density")});
    QCOMPARE(features.code, 0);
    const QJsonArray rows = QJsonDocument::fromJson(features.out).array();
    QCOMPARE(rows.size(), 4 * 64); // d_sae = 4 × d_model
    QVERIFY(rows.at(0).toObject().value(QStringLiteral("density")).toDouble() > 0);

    // The same RUN.json again: the run is done, so a new record is made, but the activation cache
    // and the trained SAE on disk are reused (resumable stages keyed by the configuration).
    const CliResult second =
        cli({QStringLiteral("run"), QStringLiteral("--config"), config, QStringLiteral("--project"),
             project, QStringLiteral("--json-events")});
    QVERIFY2(second.code == 0, second.err.constData());
    QVERIFY(second.out.contains("\"event\":\"finished\""));
    QVERIFY(second.out.contains("already complete") ||
            second.out.contains("\"stage\":\"analyze\""));
}

void TestPipeline::severalHooksAndASweepShareOneForward() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k");
    QTemporaryDir dir;
    auto sae = [](const char* name, int k) {
        return QJsonObject{{QStringLiteral("name"), QLatin1String(name)},
                           {QStringLiteral("architecture"), QStringLiteral("topk")},
                           {QStringLiteral("expansion_factor"), 2},
                           {QStringLiteral("k"), k},
                           {QStringLiteral("batch_size"), 256}};
    };
    const QString config = writeRunJson(
        dir, {{QStringLiteral("hook"), QJsonArray{QStringLiteral("blocks.0.hook_resid_post"),
                                                  QStringLiteral("blocks.2.hook_mlp_out")}},
              {QStringLiteral("tokens"), 8000},
              {QStringLiteral("analysis_tokens"), 1000},
              {QStringLiteral("sae"), QJsonArray{sae("k4", 4), sae("k12", 12)}}});
    const QString project = dir.filePath(QStringLiteral("sweep.mistudio"));
    const CliResult r = cli({QStringLiteral("run"), QStringLiteral("--config"), config,
                             QStringLiteral("--project"), project});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject result = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
    const QJsonArray runs = result.value(QStringLiteral("runs")).toArray();
    QCOMPARE(runs.size(), 4); // 2 hooks x 2 SAEs, hooks outer
    const QStringList expected = {QStringLiteral("blocks.0.hook_resid_post/k4"),
                                  QStringLiteral("blocks.0.hook_resid_post/k12"),
                                  QStringLiteral("blocks.2.hook_mlp_out/k4"),
                                  QStringLiteral("blocks.2.hook_mlp_out/k12")};
    QSet<QString> folders;
    for (int i = 0; i < runs.size(); ++i) {
        const QJsonObject run = runs.at(i).toObject();
        QCOMPARE(run.value(QStringLiteral("hook")).toString() + QLatin1Char('/') +
                     run.value(QStringLiteral("name")).toString(),
                 expected.at(i));
        const QJsonObject eval = run.value(QStringLiteral("eval")).toObject();
        const double k =
            run.value(QStringLiteral("name")).toString() == QLatin1String("k4") ? 4 : 12;
        QVERIFY(eval.value(QStringLiteral("l0")).toDouble() <= k + 1e-6);
        QVERIFY(eval.value(QStringLiteral("ce_spliced")).isDouble());
        folders.insert(run.value(QStringLiteral("sae")).toString());
        // Each SAE's cfg.json names its own hook.
        QFile cfg(run.value(QStringLiteral("sae")).toString() + QStringLiteral("/cfg.json"));
        QVERIFY(cfg.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(cfg.readAll())
                     .object()
                     .value(QStringLiteral("hook_name"))
                     .toString(),
                 run.value(QStringLiteral("hook")).toString());
    }
    QCOMPARE(folders.size(), 4);
    // The wider k reconstructs at least as well at the same hook.
    auto ev = [&](int i) {
        return runs.at(i)
            .toObject()
            .value(QStringLiteral("eval"))
            .toObject()
            .value(QStringLiteral("explained_variance"))
            .toDouble();
    };
    QVERIFY2(ev(1) >= ev(0) - 0.02, qPrintable(QStringLiteral("%1 vs %2").arg(ev(1)).arg(ev(0))));

    const CliResult list = cli(
        {QStringLiteral("runs"), QStringLiteral("--project"), project, QStringLiteral("--json")});
    const QJsonArray recorded = QJsonDocument::fromJson(list.out).array();
    QCOMPARE(recorded.size(), 4);
    for (const auto& v : recorded) {
        QCOMPARE(v.toObject().value(QStringLiteral("status")).toString(), QStringLiteral("done"));
        QVERIFY(expected.contains(v.toObject().value(QStringLiteral("name")).toString()));
    }
}

void TestPipeline::badKeysAreNamed() {
    QTemporaryDir dir;
    const QString config = writeRunJson(dir, {{QStringLiteral("tokenz"), 5}});
    const CliResult r =
        cli({QStringLiteral("run"), QStringLiteral("--config"), config, QStringLiteral("--project"),
             dir.filePath(QStringLiteral("p.mistudio"))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("tokenz"), r.err.constData());
    // An unknown quantization is named with the modes that exist.
    const QString badQuant = writeRunJson(dir, {{QStringLiteral("quant"), QStringLiteral("int3")}});
    const CliResult q =
        cli({QStringLiteral("run"), QStringLiteral("--config"), badQuant,
             QStringLiteral("--project"), dir.filePath(QStringLiteral("q.mistudio"))});
    QCOMPARE(q.code, 1);
    QVERIFY2(q.err.contains("quant") && q.err.contains("int3") && q.err.contains("nf4"),
             q.err.constData());
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
    const CliResult r = cli({QStringLiteral("run"), QStringLiteral("--config"), config,
                             QStringLiteral("--project"), project});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject eval = QJsonDocument::fromJson(r.out.trimmed().split('\n').last())
                                 .object()
                                 .value(QStringLiteral("eval"))
                                 .toObject();
    QVERIFY(eval.value(QStringLiteral("ce_spliced")).toDouble() <
            eval.value(QStringLiteral("ce_zero")).toDouble());
    const auto models = mistudio::Project::open(project.toStdString()).models();
    QCOMPARE(models.size(), size_t(1));
    QCOMPARE(models[0].quantRequested, std::string("int8"));
    QCOMPARE(models[0].quantEffective, std::string("int8"));
}

QTEST_GUILESS_MAIN(TestPipeline)
#include "test_pipeline.moc"
