// The run dashboard follows one job through the bridge: stage bars, charts, log, cancel.
#include "bridge/engine_bridge.h"
#include "plots/plot_controller.h"
#include "windows/dashboard_panel.h"

#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
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

QTEST_MAIN(TestDashboard)
#include "test_dashboard.moc"
