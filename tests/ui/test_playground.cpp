// The Playground tab and the GUI thread's responsiveness, on a real run of the aidreams260k
// fixture: initTestCase trains it through the bridge (the pipeline job with the dashboard fed)
// while a QTimer probe measures the event loop's latency; the playground then reads that run's SAE.
#include "bridge/engine_bridge.h"
#include "mistudio/pipeline.h"
#include "mistudio/playground.h"
#include "models/playground_model.h"
#include "models/token_features_model.h"
#include "test_support.h"
#include "widgets/token_heatmap.h"
#include "windows/dashboard_panel.h"
#include "windows/feature_page_widget.h"
#include "windows/features_panel.h"
#include "windows/main_window.h"
#include "windows/playground_panel.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <future>

using namespace mistudio;
using namespace mistudio::ui;

namespace {

const QString kModel = QStringLiteral("fixtures/models/aidreams260k");
const QString kText = QStringLiteral("Once upon a time, Lily saw a big dog in the park.");

/// A small but real run: extract 8k tokens at block 1, train a TopK SAE, evaluate, analyze.
QByteArray runJson(const QString& modelDir) {
    const QJsonObject run{{"model", modelDir},
                          {"hook", "blocks.1.hook_resid_post"},
                          {"dataset", modelDir + "/corpus.jsonl"},
                          {"tokens", 8192},
                          {"context_length", 64},
                          {"seed", 3},
                          {"eval_tokens", 1024},
                          {"analysis_tokens", 2048},
                          {"sae", QJsonObject{{"architecture", "topk"},
                                              {"expansion_factor", 4},
                                              {"k", 8},
                                              {"batch_size", 256}}}};
    return QJsonDocument(run).toJson();
}

/// Runs the event loop until `done` holds or `ms` pass.
template <class Pred> bool waitFor(Pred done, int ms = 60000) {
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < ms)
        QTest::qWait(5);
    return done();
}

/// A point inside token `index` of a laid-out heatmap, or (-1, -1).
QPoint pointOfToken(const TokenHeatmap& heatmap, int index) {
    for (int y = 1; y < heatmap.height(); y += 3)
        for (int x = 1; x < heatmap.width(); x += 3)
            if (heatmap.tokenAt({x, y}) == index)
                return {x, y};
    return {-1, -1};
}

bool close(float a, float b) {
    return std::abs(a - b) <= 1e-4f * (1 + std::abs(b));
}

} // namespace

class TestPlaygroundUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void eventLoopStaysResponsiveDuringTraining();
    void highlightsEqualCoreResults();
    void tokenFeaturesListAndClickOpensThePage();
    void rapidTypingDoesNotBuildABacklog();
    void runWithoutSaeSaysWhy();

private:
    QTemporaryDir m_dir;
    std::string m_modelDir;
    std::shared_ptr<Project> m_project;
    int64_t m_runId = -1;
    qint64 m_maxLatencyMs = -1;
    int m_probes = 0;
    std::unique_ptr<EngineBridge> m_bridge;
};

void TestPlaygroundUi::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    m_modelDir = test::fixture(kModel);
    m_bridge = std::make_unique<EngineBridge>();
    DashboardPanel dashboard(m_bridge.get());
    dashboard.resize(1200, 800);
    dashboard.show();
    const std::string projectPath = m_dir.filePath("p.mistudio").toStdString();
    const PipelineRequest request{runJson(QString::fromStdString(m_modelDir)).toStdString(),
                                  projectPath, "test"};
    QSignalSpy finished(m_bridge.get(), &EngineBridge::jobFinished);
    int metrics = 0;
    const auto counting =
        connect(m_bridge.get(), &EngineBridge::jobMetric, this, [&metrics] { ++metrics; });

    // The probe: a 10 ms timer; any gap beyond its interval is time the GUI thread was blocked.
    QElapsedTimer clock;
    qint64 last = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(10);
    connect(&probe, &QTimer::timeout, this, [&] {
        const qint64 now = clock.elapsed();
        m_maxLatencyMs = std::max(m_maxLatencyMs, now - last - probe.interval());
        last = now;
        ++m_probes;
    });
    clock.start();
    probe.start();
    const quint64 job = m_bridge->submit(QStringLiteral("run"),
                                         [request](JobContext& ctx) { runPipeline(request, ctx); });
    dashboard.followJob(job);
    QVERIFY(finished.wait(600000));
    probe.stop();
    disconnect(counting);
    QVERIFY2(finished.first().at(1).toBool(), qPrintable(finished.first().at(2).toString()));
    QVERIFY2(metrics > 0, "the dashboard was fed no training metrics");
    qInfo("event-loop latency during the training job: max %lld ms over %d probes", m_maxLatencyMs,
          m_probes);

    m_project = std::make_shared<Project>(Project::open(projectPath));
    QCOMPARE(m_project->runs().size(), size_t(1));
    m_runId = m_project->runs().front().id;
    QVERIFY(m_project->featureCount(m_runId) > 0);
}

void TestPlaygroundUi::eventLoopStaysResponsiveDuringTraining() {
    QVERIFY(m_probes > 10);
    QVERIFY2(
        m_maxLatencyMs <= 100,
        qPrintable(QStringLiteral("the GUI thread was blocked for %1 ms").arg(m_maxLatencyMs)));
}

void TestPlaygroundUi::highlightsEqualCoreResults() {
    PlaygroundPanel panel(m_bridge.get());
    panel.resize(1000, 600);
    panel.show();
    panel.setRun(m_project, m_runId);
    panel.input()->setPlainText(kText);
    PlaygroundModel& model = *panel.model();
    QVERIFY2(waitFor([&] { return model.resultIsCurrent() && !model.result().tokens.empty(); }),
             qPrintable(model.status()));

    // The core's answer for the same text, computed here without the bridge.
    auto session = PlaygroundSession::open(PlaygroundSession::sourceForRun(*m_project, m_runId));
    PlaygroundResult direct = session->encode(kText.toStdString());
    const auto& shown = panel.heatmap()->tokens();
    QCOMPARE(shown.size(), direct.tokens.size());
    int64_t feature = -1;
    for (size_t i = 0; i < shown.size(); ++i) {
        QCOMPARE(shown[i].id, direct.tokens[i].id);
        QCOMPARE(shown[i].text, QString::fromStdString(direct.tokens[i].text));
        QVERIFY(close(shown[i].activation, direct.tokens[i].total));
        if (feature < 0 && !direct.tokens[i].special && !direct.tokens[i].top.empty())
            feature = direct.tokens[i].top.front().first;
    }
    QVERIFY(feature >= 0);

    // Highlight by one feature: the values equal the core's activations of that feature.
    auto* mode = panel.findChild<QComboBox*>();
    QVERIFY(mode);
    mode->setCurrentIndex(1);
    panel.findChild<QSpinBox*>()->setValue(int(feature));
    QVERIFY(waitFor([&] { return model.resultIsCurrent() && model.selectedFeature() == feature; }));
    PlaygroundOptions o;
    o.selectedFeature = feature;
    direct = session->encode(kText.toStdString(), o);
    int firing = 0;
    for (size_t i = 0; i < direct.tokens.size(); ++i) {
        QVERIFY(close(panel.heatmap()->tokens()[i].activation, direct.tokens[i].selected));
        firing += direct.tokens[i].selected > 0;
    }
    QVERIFY(firing > 0);
}

void TestPlaygroundUi::tokenFeaturesListAndClickOpensThePage() {
    MainWindow window(m_bridge.get());
    QVERIFY(window.openProject(QString::fromStdString(m_project->path())));
    auto* panel = window.findChild<PlaygroundPanel*>();
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("centralTabs"));
    QVERIFY(panel && tabs);
    tabs->setCurrentWidget(panel);
    window.show();
    panel->input()->setPlainText(kText);
    QVERIFY(waitFor([&] { return panel->model()->resultIsCurrent(); }));

    // Click the third token: the list shows its top features as the core computed them.
    const int index = 2;
    const QPoint at = pointOfToken(*panel->heatmap(), index);
    QVERIFY(at.x() >= 0);
    QTest::mouseClick(panel->heatmap(), Qt::LeftButton, {}, at);
    QCOMPARE(panel->heatmap()->currentToken(), index);
    const PlaygroundToken& token = panel->model()->result().tokens[index];
    QVERIFY(!token.top.empty());
    TokenFeaturesModel& list = *panel->tokenFeatures();
    QCOMPARE(list.rowCount(), int(token.top.size()));
    for (int r = 0; r < list.rowCount(); ++r)
        QCOMPARE(list.featureAt(r), qint64(token.top[size_t(r)].first));

    // Clicking a feature opens its page in the Features tab.
    QSignalSpy activated(panel, &PlaygroundPanel::featureActivated);
    QTableView* table = panel->featureTable();
    const QRect cell = table->visualRect(list.index(0, TokenFeaturesModel::FeatureColumn));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.first().at(0).toLongLong(), qint64(token.top.front().first));
    QCOMPARE(tabs->currentWidget(), static_cast<QWidget*>(window.findChild<FeaturesPanel*>()));
    QCOMPARE(window.findChild<FeaturesPanel*>()->page()->featureIndex(), token.top.front().first);
}

void TestPlaygroundUi::rapidTypingDoesNotBuildABacklog() {
    PlaygroundPanel panel(m_bridge.get());
    panel.show();
    panel.setRun(m_project, m_runId);
    PlaygroundModel& model = *panel.model();
    panel.input()->setPlainText(QStringLiteral("The"));
    QVERIFY(waitFor([&] { return model.resultIsCurrent(); }));
    const int before = model.computations();
    const int requestsBefore = model.requests();

    // Hold the engine as a long forward of a big model would, while 50 keystrokes arrive.
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    m_bridge->engine().post([gate] { gate.wait(); });
    panel.input()->moveCursor(QTextCursor::End);
    const QString typed = QStringLiteral(" cat sat on the mat and looked at the little bird!");
    QCOMPARE(typed.size(), qsizetype(50));
    for (QChar c : typed) {
        QTest::keyClicks(panel.input(), QString(c));
        QTest::qWait(1); // the GUI thread runs its loop between keystrokes, as when typing
    }
    release.set_value();
    QVERIFY(waitFor([&] { return model.resultIsCurrent(); }));
    QCOMPARE(model.requests() - requestsBefore, 50);
    const int computed = model.computations() - before;
    qInfo("50 edits -> %d engine computations", computed);
    QCOMPARE(computed, 1); // every queued request was replaced by the next: only the last ran
    QCOMPARE(QString::fromStdString(model.result().text), QStringLiteral("The") + typed);
    auto session = PlaygroundSession::open(PlaygroundSession::sourceForRun(*m_project, m_runId));
    const PlaygroundResult direct = session->encode(model.result().text);
    QCOMPARE(panel.heatmap()->tokens().size(), direct.tokens.size());
    for (size_t i = 0; i < direct.tokens.size(); ++i)
        QVERIFY(close(panel.heatmap()->tokens()[i].activation, direct.tokens[i].total));
}

void TestPlaygroundUi::runWithoutSaeSaysWhy() {
    RunRecord pending;
    pending.hook = "blocks.1.hook_resid_post";
    const int64_t id = m_project->createRun(pending);
    PlaygroundPanel panel(m_bridge.get());
    panel.setRun(m_project, id);
    QVERIFY(panel.model()->failed());
    QVERIFY2(panel.model()->status().contains(QStringLiteral("no SAE")),
             qPrintable(panel.model()->status()));
    panel.input()->setPlainText(kText);
    QTest::qWait(50);
    QCOMPARE(panel.model()->computations(), 0);
}

QTEST_MAIN(TestPlaygroundUi)
#include "test_playground.moc"
