#pragma once
// Follows a run's live metrics from the project file while another process writes them (a headless
// `mistudio-cli run`, a cluster job on shared storage). A timer reads, through the follower's own
// read connection, only the points after the last step it has seen; SQLite's WAL lets this read
// proceed while the writer commits, so a poll never waits on the training process.

#include <QObject>
#include <QString>
#include <QTimer>
#include <cstdint>
#include <memory>

namespace mistudio {
class Project;
}

namespace mistudio::ui {

class RunFollower : public QObject {
    Q_OBJECT
public:
    explicit RunFollower(QObject* parent = nullptr);
    ~RunFollower() override;

    /// Starts polling every `intervalMs`; false with `error` set when the project cannot be read
    /// or has no such run. Replaces the run followed before.
    bool follow(const QString& projectPath, qint64 runId, QString* error, int intervalMs = 1000);
    void stop();
    bool isFollowing() const { return m_timer.isActive(); }
    qint64 runId() const { return m_runId; }

    /// One poll (the timer calls it; tests call it directly).
    void poll();

Q_SIGNALS:
    /// A point recorded since the last poll, oldest step first.
    void metric(qint64 step, const QString& name, double value);
    /// The run's status changed ("running", "done", "failed", "cancelled"); polling stops once it
    /// is no longer running.
    void statusChanged(const QString& status, const QString& error);

private:
    std::unique_ptr<Project> m_project;
    qint64 m_runId = 0;
    int64_t m_lastStep = INT64_MIN;
    QString m_status;
    QTimer m_timer;
};

} // namespace mistudio::ui
