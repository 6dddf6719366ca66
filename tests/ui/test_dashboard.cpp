// The run dashboard follows one job through the bridge: stage bars, charts, log, cancel.
#include "bridge/engine_bridge.h"
#include "mistudio/project.h"
#include "models/run_follower.h"
#include "plots/plot_controller.h"
#include "windows/dashboard_panel.h"

#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <thread>

using namespace mistudio;
using namespace mistudio::ui;

class TestDashboard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void metricsLandOnTheirCharts();
    void followsOnlyItsJob();
    void cancelButtonCancelsTheJob();
    void followsARunWrittenByAnotherProcess();
};

void TestDashboard::metricsLandOnTheirCharts() {
    QCOMPARE(DashboardPanel::chartForMetric(QStringLiteral("l0")), QStringLiteral("l0"));
    QCOMPARE(DashboardPanel::chartForMetric(QStringLiteral("mse")), QStringLiteral("loss"));
    QCOMPARE(DashboardPanel::chartForMetric(QStringLiteral("dead_fraction")),
             QStringLiteral("dead"));
    QCOMPARE(DashboardPanel::chartForMetric(QStringLiteral("tokens_per_s")),
             QStringLiteral("speed"));
    // Schedule values are not drawn on the loss chart (a learning rate or a token count there
    // would flatten the loss curves), also under a sweep's "name/" prefix.
    QVERIFY(DashboardPanel::chartForMetric(QStringLiteral("lr")).isEmpty());
    QVERIFY(DashboardPanel::chartForMetric(QStringLiteral("topk_1/tokens")).isEmpty());
    QCOMPARE(DashboardPanel::chartForMetric(QStringLiteral("topk_1/aux_loss")),
             QStringLiteral("loss"));

    EngineBridge bridge;
    DashboardPanel panel(&bridge);
    QSignalSpy finished(&bridge, &EngineBridge::jobFinished);
    const quint64 id = bridge.submit(QStringLiteral("fake run"), [](JobContext& ctx) {
        ctx.progress("extract", 1000, 1000, "tokens");
        for (int step = 1; step <= 300; ++step) {
            ctx.metric(step, "mse", 1.0 / step);
            ctx.metric(step, "l0", 64.0 - step * 0.1);
            ctx.progress("train", step, 600, "steps");
        }
        ctx.log(LogLevel::Info, "halfway there");
    });
    panel.followJob(id);
    QVERIFY(finished.wait(5000));
    QTRY_VERIFY(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse")) != nullptr);
    QTRY_COMPARE(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse"))->size(),
                 size_t(300));
    QCOMPARE(panel.chart(QStringLiteral("l0"))->series(QStringLiteral("l0"))->lastY(), 64.0 - 30.0);
    QCOMPARE(panel.stageBar(QStringLiteral("extract"))->value(), 1000);
    QCOMPARE(panel.stageBar(QStringLiteral("train"))->value(), 500);
    QCOMPARE(panel.stageBar(QStringLiteral("analyze"))->value(), 0);
}

void TestDashboard::followsOnlyItsJob() {
    EngineBridge bridge;
    DashboardPanel panel(&bridge);
    QSignalSpy finished(&bridge, &EngineBridge::jobFinished);
    const quint64 other =
        bridge.submit(QStringLiteral("other"), [](JobContext& ctx) { ctx.metric(1, "mse", 5.0); });
    panel.followJob(other + 1000); // a job that is not this one
    QVERIFY(finished.wait(5000));
    QTest::qWait(100);
    const BoundedSeries* s = panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse"));
    QVERIFY(s == nullptr || s->size() == 0);
}

void TestDashboard::cancelButtonCancelsTheJob() {
    EngineBridge bridge;
    DashboardPanel panel(&bridge);
    connect(&panel, &DashboardPanel::cancelRequested, &bridge, &EngineBridge::cancel);
    QSignalSpy finished(&bridge, &EngineBridge::jobFinished);
    const quint64 id = bridge.submit(QStringLiteral("long"), [](JobContext& ctx) {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            ctx.throwIfCancelled();
        }
    });
    panel.followJob(id);
    auto* cancel = panel.findChild<QPushButton*>();
    QVERIFY(cancel && cancel->isEnabled());
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(finished.wait(2000));
    QVERIFY(!finished.first().at(1).toBool());
}

void TestDashboard::followsARunWrittenByAnotherProcess() {
    // The writer is a second connection to the same file, as a headless `mistudio-cli run` would
    // be; the panel reads through its own connection.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("elsewhere.mistudio"));
    Project writer = Project::create(path.toStdString());
    RunRecord r;
    r.name = "remote";
    const int64_t runId = writer.createRun(r);
    auto steps = [&](int from, int to) {
        std::vector<MetricPoint> points;
        for (int step = from; step <= to; ++step) {
            points.push_back({step, "mse", 1.0 / step});
            points.push_back({step, "lr", 1e-4}); // recorded, not plotted
        }
        writer.appendMetrics(runId, points);
    };
    steps(1, 50);

    EngineBridge bridge;
    DashboardPanel panel(&bridge);
    QSignalSpy status(panel.follower(), &RunFollower::statusChanged);
    QString error;
    QVERIFY2(panel.followProjectRun(path, runId, &error), qPrintable(error));
    QVERIFY(panel.follower()->isFollowing());
    QTRY_VERIFY(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse")) != nullptr);
    QTRY_COMPARE(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse"))->size(),
                 size_t(50));
    QCOMPARE(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("lr")), nullptr);

    steps(51, 80); // only the new points arrive, once each
    panel.follower()->poll();
    QTRY_COMPARE(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse"))->size(),
                 size_t(80));
    QCOMPARE(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse"))->lastY(), 1.0 / 80);

    steps(81, 90);
    writer.setRunStatus(runId, RunStatus::Done);
    panel.follower()->poll(); // the last points and the final status in one poll; then it stops
    QTRY_COMPARE(panel.chart(QStringLiteral("loss"))->series(QStringLiteral("mse"))->size(),
                 size_t(90));
    QVERIFY(!panel.follower()->isFollowing());
    QCOMPARE(status.last().at(0).toString(), QStringLiteral("done"));

    QVERIFY(!panel.followProjectRun(dir.filePath(QStringLiteral("missing.mistudio")), 1, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!panel.followProjectRun(path, runId + 7, &error)); // no such run
}

QTEST_MAIN(TestDashboard)
#include "test_dashboard.moc"
