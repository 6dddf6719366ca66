#pragma once
// The one place where engine events become Qt signals. Core calls back on its own threads; the
// bridge re-emits on the GUI thread through queued invocations, guarded so that a bridge deleted
// while a job still runs receives nothing.

#include "mistudio/engine.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <functional>
#include <memory>

namespace mistudio::ui {

class EngineBridge : public QObject {
    Q_OBJECT
public:
    explicit EngineBridge(QObject* parent = nullptr);
    ~EngineBridge() override;

    /// Queues a job on the engine thread; its events arrive as the signals below. Returns its id.
    quint64 submit(const QString& name, JobFunction fn);
    /// Asks a running or queued job to stop.
    void cancel(quint64 jobId);
    bool isRunning(quint64 jobId) const;

    /// Work for the engine thread that hands back what to do on the GUI thread: it returns the
    /// continuation, which runs there only if `receiver` still exists.
    using TaskWork = std::function<std::function<void()>()>;
    /// Posts a small task (no job events). A queued, not yet started task with the same `tag`
    /// is replaced, so fast typing or hovering never builds a backlog. An exception thrown by
    /// `work` arrives as taskFailed(tag, message) on the GUI thread.
    void postTask(const QString& tag, QObject* receiver, TaskWork work);

    Engine& engine() { return *m_engine; }

Q_SIGNALS:
    void jobProgress(quint64 jobId, const QString& stage, double done, double total,
                     const QString& unit, double rate, double etaSeconds);
    void jobMetric(quint64 jobId, qint64 step, const QString& name, double value);
    void jobLog(quint64 jobId, int level, const QString& text);
    void jobMemory(quint64 jobId, qint64 cpuRss, qint64 gpuUsed, qint64 gpuReserved,
                   qint64 gpuTotal);
    void jobFinished(quint64 jobId, bool ok, const QString& error);
    void taskFailed(const QString& tag, const QString& error);

private:
    struct Guard;
    void dispatch(quint64 jobId, const JobEvent& event);
    /// Runs `fn` on the GUI thread unless the bridge is gone (callable from any thread).
    static void toGuiThread(const std::shared_ptr<Guard>& guard, std::function<void()> fn);

    std::shared_ptr<Guard> m_guard;
    std::unique_ptr<Engine> m_engine;
    std::vector<JobHandle> m_jobs;
};

} // namespace mistudio::ui
