#pragma once
// Run dashboard: stage bar with per-stage progress and ETA, live charts (loss terms, L0, explained
// variance, dead/dense fraction, tokens/s, memory), a log pane, Cancel and Resume. Fed only by the
// EngineBridge's signals for the job it follows, or by a RunFollower reading a run that another
// process writes into the project.

#include <QHash>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QCustomPlot;

namespace mistudio::ui {

class EngineBridge;
class PlotController;
class RunFollower;

class DashboardPanel : public QWidget {
    Q_OBJECT
public:
    /// The pipeline's stages in order; progress events name one of them.
    static const QStringList& stageNames();

    explicit DashboardPanel(EngineBridge* bridge, QWidget* parent = nullptr);

    /// Shows the events of this job from now on (0: none) and clears the previous run's plots.
    void followJob(quint64 jobId);
    quint64 followedJob() const { return m_jobId; }
    /// Shows a run that another process is writing (headless `mistudio-cli run`, a cluster job):
    /// its metrics are read from the project file as they land. False with `error` when the
    /// project or run cannot be read.
    bool followProjectRun(const QString& projectPath, qint64 runId, QString* error);
    RunFollower* follower() const { return m_follower; }

    /// The chart a metric is drawn on ("loss", "l0", "ev", "dead", "speed", "memory").
    static QString chartForMetric(const QString& metric);
    PlotController* chart(const QString& key) const { return m_charts.value(key); }
    QProgressBar* stageBar(const QString& stage) const { return m_stageBars.value(stage); }

Q_SIGNALS:
    void cancelRequested(quint64 jobId);
    void resumeRequested(quint64 jobId);

private:
    QWidget* buildStageBar();
    QWidget* buildCharts();
    void onProgress(quint64 jobId, const QString& stage, double done, double total,
                    const QString& unit, double rate, double eta);
    void onMetric(quint64 jobId, qint64 step, const QString& name, double value);
    void onLog(quint64 jobId, int level, const QString& text);
    void onMemory(quint64 jobId, qint64 cpuRss, qint64 gpuUsed, qint64 gpuReserved,
                  qint64 gpuTotal);
    void onFinished(quint64 jobId, bool ok, const QString& error);
    void resetView();

    EngineBridge* m_bridge;
    quint64 m_jobId = 0;
    double m_memoryClock = 0;
    QHash<QString, QProgressBar*> m_stageBars;
    QHash<QString, PlotController*> m_charts;
    QLabel* m_status = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_resume = nullptr;
    RunFollower* m_follower = nullptr;
};

} // namespace mistudio::ui
