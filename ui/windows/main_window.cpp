#include "main_window.h"

#include "bridge/engine_bridge.h"
#include "dialogs/new_run_wizard.h"
#include "dialogs/open_sae_dialog.h"
#include "dialogs/settings_dialog.h"
#include "mistudio/atomic_file.h"
#include "mistudio/environment.h"
#include "mistudio/memory.h"
#include "mistudio/pipeline.h"
#include "windows/dashboard_panel.h"
#include "windows/features_panel.h"
#include "windows/first_start.h"
#include "windows/playground_panel.h"
#include "windows/project_navigator.h"
#include "windows/report_panel.h"
#include "windows/screen_gallery.h"

#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonDocument>
#include <QLabel>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QtConcurrent>

namespace mistudio::ui {

namespace {
constexpr int kMaxRecent = 8;

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
    resize(1400, 900);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("centralTabs"));
    setCentralWidget(m_tabs);
    m_dashboard = new DashboardPanel(m_bridge, m_tabs);
    m_features = new FeaturesPanel(m_tabs);
    m_tabs->addTab(m_dashboard, tr("Dashboard"));
    m_tabs->addTab(m_features, tr("Features"));
    m_report = new ReportPanel(m_bridge, m_tabs);
    m_tabs->addTab(m_report, tr("Report"));
    m_playground = new PlaygroundPanel(m_bridge, m_tabs);
    m_tabs->addTab(m_playground, tr("Playground"));
    connect(m_playground, &PlaygroundPanel::featureActivated, this, [this](qint64 index) {
        m_features->openFeature(index);
        m_tabs->setCurrentWidget(m_features);
    });
    connect(m_dashboard, &DashboardPanel::cancelRequested, m_bridge, &EngineBridge::cancel);
    connect(m_dashboard, &DashboardPanel::resumeRequested, this, &MainWindow::resumeRun);

    m_navigator = new ProjectNavigator(this);
    auto* navDock = new QDockWidget(tr("Project"), this);
    navDock->setObjectName(QStringLiteral("projectDock"));
    navDock->setWidget(m_navigator);
    addDockWidget(Qt::LeftDockWidgetArea, navDock);
    connect(m_navigator, &ProjectNavigator::runSelected, this, &MainWindow::showRun);

    m_log = new QPlainTextEdit(this);
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(10000);
    m_log->setObjectName(QStringLiteral("logPane"));
    auto* logDock = new QDockWidget(tr("Log"), this);
    logDock->setObjectName(QStringLiteral("logDock"));
    logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);

    buildMenus();
    buildStatusBar();
    showEnvironment();
    connect(m_bridge, &EngineBridge::jobLog, this, &MainWindow::onJobLog);
    connect(m_bridge, &EngineBridge::jobMemory, this, &MainWindow::onJobMemory);
    connect(m_bridge, &EngineBridge::jobFinished, this,
            [this](quint64 jobId, bool ok, const QString& error) {
                if (m_report->ownsJob(jobId))
                    return; // an export: the Report tab says how it went
                if (!ok)
                    reportError(error);
                m_navigator->refresh(); // new runs and their status
                if (m_project && m_report->runBox()->count() != int(m_project->runs().size()))
                    m_report->setProject(m_project);
                if (m_project && !m_project->runs().empty())
                    showRun(m_project->runs().back().id);
            });
}

bool MainWindow::openProject(const QString& path, bool create) {
    try {
        auto project = std::make_shared<Project>(create ? Project::create(path.toStdString())
                                                        : Project::open(path.toStdString()));
        m_project = std::move(project);
    } catch (const std::exception& e) {
        reportError(tr("Cannot open %1: %2").arg(path, QString::fromStdString(e.what())));
        return false;
    }
    m_navigator->setProject(m_project);
    m_report->setProject(m_project);
    rememberRecent(QFileInfo(path).absoluteFilePath());
    setWindowTitle(QStringLiteral("miStudio — %1").arg(QFileInfo(path).fileName()));
    const auto runs = m_project->runs();
    if (!runs.empty())
        showRun(runs.back().id);
    statusBar()->showMessage(tr("Opened %1").arg(path), 5000);
    return true;
}

void MainWindow::closeProject() {
    m_features->setRun(nullptr, -1);
    m_playground->setRun(nullptr, -1);
    m_navigator->setProject(nullptr);
    m_report->setProject(nullptr);
    m_project.reset(); // every write is committed as it happens: nothing unsaved to lose
    setWindowTitle(QStringLiteral("miStudio"));
}

void MainWindow::showRun(int64_t runId) {
    if (!m_project)
        return;
    m_features->setRun(m_project, runId);
    m_report->selectRun(runId);
    m_playground->setRun(m_project, runId);
    if (m_project->featureCount(runId) > 0)
        m_tabs->setCurrentWidget(m_features);
    else if (m_project->run(runId).status == RunStatus::Running &&
             !m_bridge->isRunning(m_dashboard->followedJob()))
        followElsewhere(runId);
}

void MainWindow::followElsewhere(int64_t runId) {
    // Running, but not by this window's engine: another process (a headless `mistudio-cli run`,
    // a cluster job on shared storage) is writing it. Plot what it records.
    QString error;
    if (!m_dashboard->followProjectRun(QString::fromStdString(m_project->path()), runId, &error)) {
        reportError(error);
        return;
    }
    m_tabs->setCurrentWidget(m_dashboard);
}

void MainWindow::newRun() {
    if (!m_project) {
        reportError(
            tr("Open or create a project first (File → New project): a run is recorded in it."));
        return;
    }
    auto* wizard = new NewRunWizard(QString::fromStdString(m_project->path()), this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    connect(wizard, &NewRunWizard::runRequested, this, &MainWindow::startRun);
    wizard->show();
}

quint64 MainWindow::startRun(const QJsonObject& runJson) {
    if (!m_project)
        return 0;
    const QByteArray text = QJsonDocument(runJson).toJson(QJsonDocument::Indented);
    // Keep the RUN.json beside the project: the same file runs headless with `mistudio-cli run`.
    const QString dir = QString::fromStdString(m_project->assetsDir());
    QDir().mkpath(dir);
    const QString path =
        dir + QStringLiteral("/RUN-%1.json")
                  .arg(QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    try {
        writeFileAtomically(path.toStdString(), text.toStdString());
    } catch (const std::exception& e) {
        reportError(QString::fromStdString(e.what()));
        return 0;
    }
    const quint64 id = submitPipeline({text.toStdString(), m_project->path(), path.toStdString()});
    m_log->appendPlainText(tr("Started run %1 from %2").arg(id).arg(path));
    return id;
}

quint64 MainWindow::submitPipeline(const PipelineRequest& request) {
    const quint64 id =
        m_bridge->submit(tr("run"), [request](JobContext& ctx) { runPipeline(request, ctx); });
    m_pipelineRequests.insert(id, request);
    m_dashboard->followJob(id);
    m_tabs->setCurrentWidget(m_dashboard);
    return id;
}

quint64 MainWindow::resumeRun(quint64 jobId) {
    // The pipeline keys its stage work by the configuration: the same RUN.json again continues
    // from the complete activation shards and the last training checkpoint.
    const auto it = m_pipelineRequests.constFind(jobId);
    if (it == m_pipelineRequests.constEnd()) {
        reportError(tr("Nothing to resume: job %1 was not started from this window.").arg(jobId));
        return 0;
    }
    const PipelineRequest request = it.value();
    const quint64 id = submitPipeline(request);
    m_log->appendPlainText(
        tr("Resumed as run %1 from %2").arg(id).arg(QString::fromStdString(request.source)));
    return id;
}

void MainWindow::openPublishedSae() {
    if (!m_project) {
        reportError(
            tr("Open or create a project first (File → New project): the SAE is recorded in it."));
        return;
    }
    auto* dialog = new OpenSaeDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &OpenSaeDialog::importRequested, this, &MainWindow::importPublishedSae);
    dialog->show();
}

quint64 MainWindow::importPublishedSae(const OpenSaeRequest& request) {
    if (!m_project)
        return 0;
    const quint64 id = m_bridge->submit(
        tr("open SAE"), openSaeJob(QString::fromStdString(m_project->path()), request));
    m_dashboard->followJob(id);
    m_tabs->setCurrentWidget(m_dashboard);
    m_log->appendPlainText(tr("Importing %1 (model %2) and analysing it: job %3")
                               .arg(request.sae, request.model)
                               .arg(id));
    return id;
}

void MainWindow::firstStart() {
    const RunPlan demo = quickLookPlan();
    auto* watcher = new QFutureWatcher<FirstStartState>(this);
    connect(watcher, &QFutureWatcher<FirstStartState>::finished, this, [this, watcher, demo] {
        watcher->deleteLater();
        const FirstStartState state = watcher->result();
        statusBar()->showMessage(state.message(), 30000);
        m_log->appendPlainText(state.message());
        if (!m_project)
            return;
        RunPlan plan = demo;
        if (!state.online) { // the demo needs the Hub: start empty, from local or cached sources
            plan = RunPlan();
            plan.applyPreset(QStringLiteral("quick"));
        }
        auto* wizard = new NewRunWizard(QString::fromStdString(m_project->path()), this, &plan);
        wizard->setAttribute(Qt::WA_DeleteOnClose);
        wizard->setObjectName(QStringLiteral("firstStartWizard"));
        wizard->showHubState(state);
        connect(wizard, &NewRunWizard::runRequested, this, &MainWindow::startRun);
        wizard->show();
        Q_EMIT firstStartFinished(state.online);
    });
    statusBar()->showMessage(tr("Checking whether the Hugging Face Hub is reachable…"));
    watcher->setFuture(QtConcurrent::run(probeFirstStart, demo.model, 4));
}

QStringList MainWindow::recentProjects() {
    return QSettings().value(QStringLiteral("ui/recentProjects")).toStringList();
}

void MainWindow::rememberRecent(const QString& path) {
    QStringList recent = recentProjects();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    QSettings().setValue(QStringLiteral("ui/recentProjects"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    for (const QString& path : recentProjects())
        m_recentMenu->addAction(path, this, [this, path] { openProject(path); });
    m_recentMenu->setEnabled(!m_recentMenu->isEmpty());
}

void MainWindow::reportError(const QString& text) {
    m_log->appendPlainText(text);
    statusBar()->showMessage(text, 15000);
}

std::vector<std::pair<QString, QWidget*>> MainWindow::extraScreens() {
    std::vector<std::pair<QString, QWidget*>> screens;
    appendGalleryScreens(screens, this, m_project);
    auto* settings = new SettingsDialog(this);
    settings->setAttribute(Qt::WA_DeleteOnClose);
    settings->show();
    screens.emplace_back(QStringLiteral("settings"), settings);
    return screens;
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    const QString filter = tr("miStudio projects (*.mistudio)");
    file->addAction(tr("&New project…"), QKeySequence::New, this, [this, filter] {
        const QString path =
            QFileDialog::getSaveFileName(this, tr("New project"), QString(), filter);
        if (!path.isEmpty())
            openProject(path.endsWith(QLatin1String(".mistudio"))
                            ? path
                            : path + QStringLiteral(".mistudio"),
                        true);
    });
    file->addAction(tr("&Open project…"), QKeySequence::Open, this, [this, filter] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open project"), QString(), filter);
        if (!path.isEmpty())
            openProject(path);
    });
    m_recentMenu = file->addMenu(tr("Open &recent"));
    rebuildRecentMenu();
    file->addAction(tr("&Close project"), QKeySequence::Close, this, &MainWindow::closeProject);
    file->addSeparator();
    file->addAction(tr("New &run…"), QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainWindow::newRun);
    file->addAction(tr("Open &published SAE…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O),
                    this, &MainWindow::openPublishedSae);
    file->addSeparator();
    file->addAction(tr("&Settings…"), QKeySequence::Preferences, this, [this] {
        SettingsDialog dialog(this);
        dialog.exec();
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
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

void MainWindow::onJobLog(quint64 jobId, int, const QString& text) {
    m_log->appendPlainText(QStringLiteral("[job %1] %2").arg(jobId).arg(text));
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
