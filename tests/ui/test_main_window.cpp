// The main window's run lifecycle: Start writes RUN.json beside the project and runs the pipeline;
// a stopped run's Resume button runs the same RUN.json again (the pipeline continues from disk).
#include "bridge/engine_bridge.h"
#include "windows/dashboard_panel.h"
#include "windows/main_window.h"

#include <QDir>
#include <QJsonObject>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace mistudio;
using namespace mistudio::ui;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void resumeRunsTheSameRunJsonAgain();
};

namespace {
QPushButton* button(QWidget* root, const QString& text) {
    for (auto* b : root->findChildren<QPushButton*>())
        if (b->text() == text)
            return b;
    return nullptr;
}
} // namespace

void TestMainWindow::resumeRunsTheSameRunJsonAgain() {
    QTemporaryDir dir;
    EngineBridge bridge;
    MainWindow window(&bridge);
    QVERIFY(window.openProject(dir.filePath(QStringLiteral("p.mistudio")), true));
    // A model folder that does not exist: the job fails at once, as a run stopped by a missing
    // download would; what matters here is that Resume submits the same request again.
    const QString missing = dir.filePath(QStringLiteral("no-model"));
    const QJsonObject run{{QStringLiteral("model"), missing},
                          {QStringLiteral("hook"), QStringLiteral("blocks.0.hook_resid_post")},
                          {QStringLiteral("dataset"), dir.filePath(QStringLiteral("d.jsonl"))},
                          {QStringLiteral("tokens"), 2000},
                          {QStringLiteral("sae"),
                           QJsonObject{{QStringLiteral("architecture"), QStringLiteral("topk")}}}};
    QSignalSpy finished(&bridge, &EngineBridge::jobFinished);
    const quint64 first = window.startRun(run);
    QVERIFY(first != 0);
    QVERIFY(finished.wait(20000));
    QCOMPARE(finished.last().at(1).toBool(), false);
    QVERIFY(finished.last().at(2).toString().contains(missing));
    const QStringList written =
        QDir(dir.filePath(QStringLiteral("p.assets"))).entryList({QStringLiteral("RUN-*.json")});
    QCOMPARE(written.size(), 1);

    auto* dashboard = window.findChild<DashboardPanel*>();
    QVERIFY(dashboard);
    QPushButton* resume = button(dashboard, QStringLiteral("Resume"));
    QVERIFY(resume && resume->isEnabled());
    resume->click();
    const quint64 second = dashboard->followedJob();
    QVERIFY(second != first && second != 0);
    QVERIFY(finished.wait(20000));
    QCOMPARE(finished.last().at(0).toULongLong(), second);
    QVERIFY(finished.last().at(2).toString().contains(missing)); // the same RUN.json ran again
    QCOMPARE(window.resumeRun(second + 100), quint64(0));        // unknown job: refused
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
