// Live plots: bounded memory with the whole run's shape kept, and coalesced replots.
#include "plots/bounded_series.h"
#include "plots/plot_controller.h"

#include <QtTest>
#include <qcustomplot.h>

using namespace mistudio::ui;

class TestPlots : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boundedSeriesNeverExceedsCapacity();
    void boundedSeriesKeepsEndsAndOrder();
    void controllerCoalescesReplots();
};

void TestPlots::boundedSeriesNeverExceedsCapacity() {
    BoundedSeries s(100);
    for (int i = 0; i < 100000; ++i) {
        s.append(i, i * 0.5);
        QVERIFY(s.size() <= 100);
    }
    QVERIFY(s.size() >= 50); // thinning halves only the older half
}

void TestPlots::boundedSeriesKeepsEndsAndOrder() {
    BoundedSeries s(64);
    for (int i = 0; i < 10000; ++i)
        s.append(i, 2.0 * i);
    QCOMPARE(s.xs().front(), 0.0);   // the start of the run stays
    QCOMPARE(s.xs().back(), 9999.0); // and the newest point
    for (size_t i = 1; i < s.size(); ++i) {
        QVERIFY(s.xs()[i] > s.xs()[i - 1]);
        QCOMPARE(s.ys()[i], 2.0 * s.xs()[i]); // x and y stay paired through thinning
    }
    // The recent points are at full resolution.
    QCOMPARE(s.xs()[s.size() - 2], 9998.0);
}

void TestPlots::controllerCoalescesReplots() {
    QCustomPlot plot;
    PlotController controller(&plot, 40);
    controller.addSeries(QStringLiteral("loss"), QStringLiteral("Loss"), Qt::red);
    for (int i = 0; i < 5000; ++i)
        controller.append(QStringLiteral("loss"), i, 1.0 / (i + 1));
    QCOMPARE(controller.replotCount(), 0); // nothing drawn synchronously
    QTRY_COMPARE_WITH_TIMEOUT(controller.replotCount(), 1, 2000);
    QCOMPARE(controller.series(QStringLiteral("loss"))->lastX(), 4999.0);
    QCOMPARE(plot.graph(0)->dataCount(), int(controller.series(QStringLiteral("loss"))->size()));
    // A new point after the flush schedules exactly one more replot.
    controller.append(QStringLiteral("l0"), 1, 32); // unknown series: created on the fly
    QTRY_COMPARE_WITH_TIMEOUT(controller.replotCount(), 2, 2000);
    QCOMPARE(plot.graphCount(), 2);
}

QTEST_MAIN(TestPlots)
#include "test_plots.moc"
