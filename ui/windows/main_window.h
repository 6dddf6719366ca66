#pragma once
// The studio's main window. Panels live in their own classes; this class only assembles them.

#include <QMainWindow>
#include <utility>
#include <vector>

class QLabel;
class QPlainTextEdit;

namespace mistudio::ui {

class EngineBridge;
class DashboardPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(EngineBridge* bridge, QWidget* parent = nullptr);

    /// Screens that are not tabs (dialogs, wizard pages), opened for screenshots by name.
    std::vector<std::pair<QString, QWidget*>> extraScreens();

private:
    void buildMenus();
    void buildStatusBar();
    void showEnvironment();
    void onJobLog(quint64 jobId, int level, const QString& text);
    void onJobMemory(quint64 jobId, qint64 cpuRss, qint64 gpuUsed, qint64 gpuReserved,
                     qint64 gpuTotal);

    EngineBridge* m_bridge;
    DashboardPanel* m_dashboard = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QLabel* m_deviceLabel = nullptr;
    QLabel* m_memoryLabel = nullptr;
};

} // namespace mistudio::ui
