// Exports: HTML escaping of planted markup, CSV/JSON/Neuronpedia content against the store, SVG
// well-formedness, atomic writes and clear errors.
#include "mistudio/atomic_file.h"
#include "mistudio/report.h"
#include "mistudio/result.h"
#include "report/svg_chart.h"
#include "store_test_data.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

using namespace mistudio;

namespace {
/// RFC 4180 parser for the test (quotes, doubled quotes, embedded newlines).
QList<QStringList> parseCsv(const QString& text) {
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < text.size() && text[i + 1] == QLatin1Char('"'))
                field += c, ++i;
            else if (c == QLatin1Char('"'))
                quoted = false;
            else
                field += c;
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            row << field, field.clear();
        } else if (c == QLatin1Char('\n')) {
            row << field, field.clear(), rows << row, row.clear();
        } else {
            field += c;
        }
    }
    return rows;
}
} // namespace

class TestReport : public QObject {
    Q_OBJECT
    std::unique_ptr<Project> m_project;
    int64_t m_run = 0;

private Q_SLOTS:
    void init();
    void htmlEscapesPlantedScript();
    void htmlHasCurvesEvalsAndDefinitions();
    void csvMatchesTheStore();
    void jsonMatchesTheStore();
    void neuronpediaBatchesAndSkipsDead();
    void svgIsWellFormed();
    void errorsAreClear();
};

void TestReport::init() {
    m_project = std::make_unique<Project>(Project::inMemory());
    RunRecord run;
    run.name = "report <b>test</b>";
    run.hook = "blocks.1.hook_resid_post";
    run.architecture = "topk";
    run.dIn = 64;
    run.dSae = 300;
    run.configJson = R"({"sae":{"architecture":"topk","k":32}})";
    m_run = m_project->createRun(run);
    auto features = test::makeFeatures(0, 300, 7, 3, 8);
    // A dataset can contain markup: it must come out as text.
    features[0].stats.density = 0.9; // the most frequent feature, so the report shows it
    features[0].stats.flags = 0;
    features[0].examples[0].tokenIds[2] = 999;  // token strings are stored per token id
    features[0].examples[0].tokens[2] = "<script>alert('x')</script>";
    features[0].examples[0].activations[2] = 5.f;
    features[0].stats.label = "a \"quoted\", label\nwith newline";
    m_project->writeFeatures(m_run, features);
    m_project->appendMetrics(m_run,
                             {{1, "mse", 2.0}, {2, "mse", 1.0}, {1, "l0", 40}, {2, "l0", 33}});
    m_project->writeEvals(m_run, {{"explained_variance", 0.83}, {"l0", 31.5}});
    m_project->setRunStatus(m_run, RunStatus::Done);
}

void TestReport::htmlEscapesPlantedScript() {
    const std::string html = renderHtmlReport(*m_project, m_run, ReportOptions{});
    QVERIFY(html.find("<script>") == std::string::npos);
    QVERIFY(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") != std::string::npos);
    QVERIFY(html.find("report &lt;b&gt;test&lt;/b&gt;") != std::string::npos);
    QVERIFY(html.find("http://") == std::string::npos ||
            html.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    QCOMPARE(QString::fromStdString(htmlEscape("a<b>&\"'")),
             QStringLiteral("a&lt;b&gt;&amp;&quot;&#39;"));
}

void TestReport::htmlHasCurvesEvalsAndDefinitions() {
    ReportOptions o;
    o.featureSelection = "max";
    o.topFeatures = 5;
    const QString html = QString::fromStdString(renderHtmlReport(*m_project, m_run, o));
    QVERIFY(html.contains(QStringLiteral("<svg")));
    QVERIFY(html.contains(QStringLiteral("0.83")));                     // the EV value
    QVERIFY(html.contains(QStringLiteral("x̄ the per-dimension mean"))); // its definition
    QCOMPARE(html.count(QStringLiteral("<div class=\"feature\">")), 5);
}

void TestReport::csvMatchesTheStore() {
    const auto rows = parseCsv(QString::fromStdString(renderFeaturesCsv(*m_project, m_run)));
    QCOMPARE(rows.size(), 301);
    QCOMPARE(rows[0].first(), QStringLiteral("index"));
    QCOMPARE(rows[1][4], QStringLiteral("a \"quoted\", label\nwith newline"));
    for (int i = 1; i < rows.size(); i += 29) {
        const FeaturePage p = m_project->featurePage(m_run, rows[i][0].toLongLong());
        QCOMPARE(rows[i].size(), 9);
        QVERIFY(qAbs(rows[i][1].toDouble() - p.stats.density) <= 1e-3 * (1 + p.stats.density));
        QVERIFY(qAbs(rows[i][2].toDouble() - p.stats.maxActivation) <=
                1e-3 * p.stats.maxActivation);
    }
}

void TestReport::jsonMatchesTheStore() {
    const auto doc =
        QJsonDocument::fromJson(QByteArray::fromStdString(renderFeaturesJson(*m_project, m_run)));
    QVERIFY(doc.isArray());
    QCOMPARE(doc.array().size(), 300);
    const QJsonObject f = doc.array().at(17).toObject();
    const FeaturePage p = m_project->featurePage(m_run, 17);
    QCOMPARE(f.value(QStringLiteral("index")).toInt(), 17);
    QCOMPARE(f.value(QStringLiteral("max_activation")).toDouble(), p.stats.maxActivation);
    QCOMPARE(f.value(QStringLiteral("logits_positive")).toArray().size(),
             int(p.logitsPositive.size()));
}

void TestReport::neuronpediaBatchesAndSkipsDead() {
    QTemporaryDir dir;
    ReportOptions o;
    o.neuronpediaBatchSize = 64;
    const auto files = exportRun(*m_project, m_run, "neuronpedia",
                                 dir.filePath(QStringLiteral("np")).toStdString(), o);
    FeatureQuery dead;
    dead.requireFlags = FeatureDead;
    dead.limit = 1;
    const int64_t nDead = m_project->queryFeatures(m_run, dead).total;
    const int64_t alive = 300 - nDead;
    QCOMPARE(int64_t(files.size()), (alive + 63) / 64 + 2);
    QFile batch(QString::fromStdString(files[0]));
    QVERIFY(batch.open(QIODevice::ReadOnly));
    const QJsonObject doc = QJsonDocument::fromJson(batch.readAll()).object();
    const QJsonObject f0 = doc.value(QStringLiteral("features")).toArray().at(0).toObject();
    for (const char* key : {"feature_index", "frac_nonzero", "pos_str", "pos_values", "neg_str",
                            "neg_values", "freq_hist_data_bar_heights", "activations"})
        QVERIFY2(f0.contains(QLatin1String(key)), key);
    QFile skipped(dir.filePath(QStringLiteral("np/skipped_indexes.json")));
    QVERIFY(skipped.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(skipped.readAll())
                 .object()
                 .value(QStringLiteral("skipped_indexes"))
                 .toArray()
                 .size(),
             int(nDead));
}

void TestReport::svgIsWellFormed() {
    const std::string svg =
        report::svgLineChart("loss <&>", {{"mse", {{0, 1}, {1, 0.5}, {2, 0.25}}}});
    QXmlStreamReader xml(QByteArray::fromStdString(svg));
    while (!xml.atEnd())
        xml.readNext();
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
}

void TestReport::errorsAreClear() {
    QTemporaryDir dir;
    bool threw = false;
    try {
        exportRun(*m_project, m_run, "pdfx", dir.filePath(QStringLiteral("x")).toStdString());
    } catch (const mistudio::Exception& e) {
        threw = e.code() == ErrorCode::InvalidArgument &&
                QString(e.what()).contains(QStringLiteral("--format"));
    }
    QVERIFY(threw);
    // A failed write leaves the previous file intact.
    const QString path = dir.filePath(QStringLiteral("keep.txt"));
    writeFileAtomically(path.toStdString(), "good");
    threw = false;
    try {
        writeFileAtomically(dir.filePath(QStringLiteral("no/such/folder/x")).toStdString(), "bad");
    } catch (const mistudio::Exception& e) {
        threw = e.code() == ErrorCode::Io;
    }
    QVERIFY(threw);
    QFile keep(path);
    QVERIFY(keep.open(QIODevice::ReadOnly));
    QCOMPARE(keep.readAll(), QByteArray("good"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1); // no temp files left behind
}

QTEST_GUILESS_MAIN(TestReport)
#include "test_report.moc"
