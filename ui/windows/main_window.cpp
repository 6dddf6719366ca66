#include "main_window.h"

#include "bridge/engine_bridge.h"
#include "dialogs/settings_dialog.h"
#include "mistudio/environment.h"
#include "mistudio/memory.h"
#include "windows/dashboard_panel.h"

#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QStatusBar>
#include <QTabWidget>

namespace mistudio::ui {

namespace {
QString formatBytes(qint64 bytes) {
    if (bytes < 0)
        return QStringLiteral("n/a");
    return QString::number(static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0), 'f', 2) +
           QStringLiteral(" GiB");
}
} // namespace

MainWindow::MainWindow(EngineBridge* bridge, QWidget* parent)
    : QMainWindow(parent), m_bridge(bridge) {
    setWindowTitle(QStringLiteral("miStudio"));
    resize(1280, 800);

    auto* tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("centralTabs"));
    setCentralWidget(tabs);
    m_dashboard = new DashboardPanel(m_bridge, tabs);
    tabs->addTab(m_dashboard, tr("Dashboard"));
    connect(m_dashboard, &DashboardPanel::cancelRequested, m_bridge, &EngineBridge::cancel);

    m_log = new QPlainTextEdit(this);
    m_log->setReadOnly(true);
    m_log->setObjectName(QStringLiteral("logPane"));
    auto* dock = new QDockWidget(tr("Log"), this);
    dock->setObjectName(QStringLiteral("logDock"));
    dock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, dock);

    buildMenus();
    buildStatusBar();
    showEnvironment();

    connect(m_bridge, &EngineBridge::jobLog, this, &MainWindow::onJobLog);
    connect(m_bridge, &EngineBridge::jobMemory, this, &MainWindow::onJobMemory);
}

std::vector<std::pair<QString, QWidget*>> MainWindow::extraScreens() {
    std::vector<std::pair<QString, QWidget*>> screens;
    auto* settings = new SettingsDialog(this);
    settings->setAttribute(Qt::WA_DeleteOnClose);
    settings->show();
    screens.emplace_back(QStringLiteral("settings"), settings);
    return screens;
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* settings = file->addAction(tr("&Settings…"), this, [this] {
        SettingsDialog dialog(this);
        dialog.exec();
    });
    settings->setShortcut(QKeySequence::Preferences);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Environment"), this, &MainWindow::showEnvironment);
}

void MainWindow::buildStatusBar() {
    m_deviceLabel = new QLabel(this);
    m_memoryLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    const MemoryEvent mem = sampleMemory();
    onJobMemory(0, mem.cpuRss, mem.gpuUsed, mem.gpuReserved, mem.gpuTotal);
}

void MainWindow::showEnvironment() {
    const EnvironmentInfo env = describeEnvironment();
    const QString device = env.cudaAvailable && !env.cudaDevices.empty()
                               ? QString::fromStdString(env.cudaDevices.front().name)
                               : QStringLiteral("CPU");
    m_deviceLabel->setText(tr("Device: %1").arg(device));
    m_log->appendPlainText(tr("miStudio %1 · LibTorch %2 · BLAS %3 · %4 threads · SQLite %5")
                               .arg(QString::fromStdString(env.version),
                                    QString::fromStdString(env.torchVersion),
                                    QString::fromStdString(env.blas))
                               .arg(env.threads)
                               .arg(QString::fromStdString(env.sqliteVersion)));
}

void MainWindow::onJobLog(quint64 jobId, int level, const QString& text) {
    m_log->appendPlainText(QStringLiteral("[job %1] %2").arg(jobId).arg(text));
    Q_UNUSED(level);
}

void MainWindow::onJobMemory(quint64, qint64 cpuRss, qint64 gpuUsed, qint64 gpuReserved,
                             qint64 gpuTotal) {
    QString text = tr("RAM %1").arg(formatBytes(cpuRss));
    if (gpuTotal > 0)
        text += tr(" · GPU %1 used / %2 reserved / %3")
                    .arg(formatBytes(gpuUsed), formatBytes(gpuReserved), formatBytes(gpuTotal));
    m_memoryLabel->setText(text);
}

} // namespace mistudio::ui
