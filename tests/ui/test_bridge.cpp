// EngineBridge: engine events reach the GUI thread as queued signals, in order; a bridge
// destroyed while its job runs neither crashes nor delivers late signals.
#include "bridge/engine_bridge.h"

#include <QSignalSpy>
#include <QtTest>
#include <thread>

using namespace mistudio;
using namespace mistudio::ui;

class TestBridge : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void signalsArriveOnGuiThreadInOrder();
    void cancelFromGui();
    void destroyWhileRunning();
};

void TestBridge::signalsArriveOnGuiThreadInOrder() {
    EngineBridge bridge;
    QList<qint64> steps;
    bool allOnGuiThread = true;
    connect(&bridge, &EngineBridge::jobMetric, this,
            [&](quint64, qint64 step, const QString&, double) {
                allOnGuiThread = allOnGuiThread && QThread::currentThread() == qApp->thread();
                steps << step;
            });
    QSignalSpy finished(&bridge, &EngineBridge::jobFinished);
    QSignalSpy progress(&bridge, &EngineBridge::jobProgress);
    const quint64 id = bridge.submit(QStringLiteral("metrics"), [](JobContext& ctx) {
        for (int i = 0; i < 20; ++i) {
            ctx.metric(i, "loss", i);
            ctx.progress("train", i + 1, 20, "steps");
        }
    });
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.first().at(0).toULongLong(), id);
    QVERIFY(finished.first().at(1).toBool());
    QVERIFY(allOnGuiThread);
    QCOMPARE(steps.size(), 20);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(steps[i], qint64(i));
    QCOMPARE(progress.size(), 20);
    QCOMPARE(progress.last().at(2).toDouble(), 20.0);
}

void TestBridge::cancelFromGui() {
    EngineBridge bridge;
    QSignalSpy finished(&bridge, &EngineBridge::jobFinished);
    const quint64 id = bridge.submit(QStringLiteral("long"), [](JobContext& ctx) {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            ctx.throwIfCancelled();
        }
    });
    QTest::qWait(50);
    QVERIFY(bridge.isRunning(id));
    bridge.cancel(id);
    QVERIFY(finished.wait(2000));
    QVERIFY(!finished.first().at(1).toBool());
    QVERIFY(finished.first().at(2).toString().contains(QStringLiteral("cancel")));
}

void TestBridge::destroyWhileRunning() {
    auto* bridge = new EngineBridge;
    int late = 0;
    connect(bridge, &EngineBridge::jobMetric, this,
            [&](quint64, qint64, const QString&, double) { ++late; });
    bridge->submit(QStringLiteral("busy"), [](JobContext& ctx) {
        for (int i = 0;; ++i) {
            ctx.metric(i, "x", i);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            ctx.throwIfCancelled();
        }
    });
    QTest::qWait(30);
    delete bridge; // cancels and joins; queued events for it are discarded
    const int before = late;
    QTest::qWait(50);
    QCOMPARE(late, before);
}

QTEST_MAIN(TestBridge)
#include "test_bridge.moc"
