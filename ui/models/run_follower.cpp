#include "models/run_follower.h"

#include "mistudio/project.h"

#include <algorithm>

namespace mistudio::ui {

RunFollower::RunFollower(QObject* parent) : QObject(parent) {
    connect(&m_timer, &QTimer::timeout, this, &RunFollower::poll);
}

RunFollower::~RunFollower() = default;

bool RunFollower::follow(const QString& projectPath, qint64 runId, QString* error, int intervalMs) {
    stop();
    try {
        auto project = std::make_unique<Project>(Project::open(projectPath.toStdString()));
        project->run(runId); // throws NotFound for an unknown run
        m_project = std::move(project);
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return false;
    }
    m_runId = runId;
    m_lastStep = INT64_MIN;
    m_status.clear();
    poll();
    if (m_status == QLatin1String("running"))
        m_timer.start(intervalMs);
    return true;
}

void RunFollower::stop() {
    m_timer.stop();
    m_project.reset();
}

void RunFollower::poll() {
    if (!m_project)
        return;
    try {
        // Read the status first: points written before a final status are then all fetched by
        // this same poll, so nothing is missed when polling stops.
        const RunRecord run = m_project->run(m_runId);
        auto points = m_project->metrics(m_runId, {}, m_lastStep);
        std::stable_sort(
            points.begin(), points.end(),
            [](const MetricPoint& a, const MetricPoint& b) { return a.step < b.step; });
        for (const MetricPoint& p : points) {
            Q_EMIT metric(p.step, QString::fromStdString(p.name), p.value);
            m_lastStep = std::max(m_lastStep, p.step);
        }
        const QString status = QString::fromLatin1(runStatusName(run.status));
        if (status != m_status) {
            m_status = status;
            Q_EMIT statusChanged(status, QString::fromStdString(run.error));
        }
        if (run.status != RunStatus::Running)
            m_timer.stop();
    } catch (const std::exception& e) {
        // A project replaced or deleted under us: say so once and stop, never throw into Qt.
        m_timer.stop();
        Q_EMIT statusChanged(QStringLiteral("failed"), QString::fromStdString(e.what()));
    }
}

} // namespace mistudio::ui
