#pragma once
// The studio's main window: project navigator, central tabs (Dashboard, Features,
// Playground), log dock,
// status bar, menus and recent projects. Panels live in their own classes; this class only
// assembles them and owns the open project.

#include "mistudio/pipeline.h"
#include "mistudio/project.h"

#include <QHash>
#include <QJsonObject>
#include <QMainWindow>
#include <memory>
#include <utility>
#include <vector>

class QLabel;
class QPlainTextEdit;
class QTabWidget;
class QMenu;

namespace mistudio::ui {

class EngineBridge;
class DashboardPanel;
class FeaturesPanel;
class PlaygroundPanel;
class ProjectNavigator;
class ReportPanel;
struct OpenSaeRequest;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(EngineBridge* bridge, QWidget* parent = nullptr);

    /// Opens (or, with create, creates) a project; on failure shows why in the log and status
    /// bar and returns false, keeping the current project.
    bool openProject(const QString& path, bool create = false);
    void closeProject();
    std::shared_ptr<Project> project() const { return m_project; }
    /// Shows a run's features (and its live dashboard when it is running).
    void showRun(int64_t runId);
    /// Plots a run that another process is writing, from the project file.
    void followElsewhere(int64_t runId);
    /// Opens the new-run wizard (a project must be open).
    void newRun();
    /// Writes RUN.json into the project's assets and runs the pipeline as an engine job; returns
    /// the job id (0 when no project is open or the file cannot be written).
    quint64 startRun(const QJsonObject& runJson);
    /// Runs a stopped (cancelled or failed) job's RUN.json again; the pipeline continues where it
    /// stopped. Returns the new job id, 0 when the job is unknown.
    quint64 resumeRun(quint64 jobId);
    /// Opens the "Open published SAE" dialog (a project must be open).
    void openPublishedSae();
    /// Imports and analyses a published SAE as an engine job followed by the dashboard; returns
    /// the job id (0 when no project is open).
    quint64 importPublishedSae(const OpenSaeRequest& request);
    /// The default a new user meets: probes the Hub off the GUI thread, then opens the wizard
    /// pre-filled with the Quick look demo (online) or offering local and cached sources
    /// (offline). `firstStartFinished` fires once the wizard is shown.
    void firstStart();
    ReportPanel* reportPanel() const { return m_report; }

    /// Screens that are not tabs (dialogs, wizard pages), opened for screenshots by name.
    std::vector<std::pair<QString, QWidget*>> extraScreens();

    static QStringList recentProjects();

Q_SIGNALS:
    void firstStartFinished(bool online);

private:
    void buildMenus();
    void buildStatusBar();
    void showEnvironment();
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();
    void reportError(const QString& text);
    quint64 submitPipeline(const PipelineRequest& request);
    void onJobLog(quint64 jobId, int level, const QString& text);
    void onJobMemory(quint64 jobId, qint64 cpuRss, qint64 gpuUsed, qint64 gpuReserved,
                     qint64 gpuTotal);

    EngineBridge* m_bridge;
    std::shared_ptr<Project> m_project;
    QTabWidget* m_tabs = nullptr;
    ProjectNavigator* m_navigator = nullptr;
    DashboardPanel* m_dashboard = nullptr;
    FeaturesPanel* m_features = nullptr;
    ReportPanel* m_report = nullptr;
    PlaygroundPanel* m_playground = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_deviceLabel = nullptr;
    QLabel* m_memoryLabel = nullptr;
    QHash<quint64, PipelineRequest> m_pipelineRequests; // by job id, for Resume
};

} // namespace mistudio::ui
