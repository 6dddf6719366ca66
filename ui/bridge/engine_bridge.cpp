#include "engine_bridge.h"

#include <QMetaObject>
#include <QPointer>
#include <mutex>

namespace mistudio::ui {

/// Shared with the engine-side callbacks: cleared when the bridge goes away, so a late event
/// from a worker thread finds no target instead of a dangling pointer.
struct EngineBridge::Guard {
    std::mutex mutex;
    EngineBridge* target = nullptr;
};

EngineBridge::EngineBridge(QObject* parent)
    : QObject(parent), m_guard(std::make_shared<Guard>()), m_engine(std::make_unique<Engine>()) {
    m_guard->target = this;
}

EngineBridge::~EngineBridge() {
    {
        std::lock_guard lock(m_guard->mutex);
        m_guard->target = nullptr;
    }
    for (auto& job : m_jobs)
        job.cancel();
    m_engine.reset(); // joins the engine threads
}

quint64 EngineBridge::submit(const QString& name, JobFunction fn) {
    auto guard = m_guard;
    JobOptions options;
    options.name = name.toStdString();
    options.queueEvents = false;
    options.onEvent = [guard](uint64_t jobId, const JobEvent& event) {
        toGuiThread(guard, [guard, jobId, event] {
            if (guard->target)
                guard->target->dispatch(jobId, event);
        });
    };
    JobHandle handle = m_engine->submit(std::move(fn), std::move(options));
    m_jobs.push_back(handle);
    return handle.id();
}

void EngineBridge::toGuiThread(const std::shared_ptr<Guard>& guard, std::function<void()> fn) {
    std::lock_guard lock(guard->mutex);
    if (!guard->target)
        return;
    QPointer<EngineBridge> target(guard->target);
    QMetaObject::invokeMethod(
        guard->target,
        [target, fn = std::move(fn)] {
            if (target)
                fn();
        },
        Qt::QueuedConnection);
}

void EngineBridge::postTask(const QString& tag, QObject* receiver, TaskWork work) {
    auto guard = m_guard;
    QPointer<QObject> to(receiver); // made here, on the GUI thread, while receiver is alive
    m_engine->post(tag.toStdString(), [guard, to, tag, work = std::move(work)] {
        std::function<void()> then;
        QString error;
        try {
            then = work();
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        toGuiThread(guard, [guard, to, tag, then = std::move(then), error] {
            if (!error.isEmpty()) {
                Q_EMIT guard->target->taskFailed(tag, error);
            } else if (to && then) {
                then();
            }
        });
    });
}

void EngineBridge::cancel(quint64 jobId) {
    for (auto& job : m_jobs)
        if (job.id() == jobId)
            job.cancel();
}

bool EngineBridge::isRunning(quint64 jobId) const {
    for (const auto& job : m_jobs)
        if (job.id() == jobId)
            return !job.isFinished();
    return false;
}

void EngineBridge::dispatch(quint64 jobId, const JobEvent& event) {
    if (const auto* p = std::get_if<ProgressEvent>(&event)) {
        Q_EMIT jobProgress(jobId, QString::fromStdString(p->stage), p->done, p->total,
                           QString::fromStdString(p->unit), p->rate, p->etaSeconds);
    } else if (const auto* m = std::get_if<MetricEvent>(&event)) {
        Q_EMIT jobMetric(jobId, m->step, QString::fromStdString(m->name), m->value);
    } else if (const auto* l = std::get_if<LogEvent>(&event)) {
        Q_EMIT jobLog(jobId, static_cast<int>(l->level), QString::fromStdString(l->text));
    } else if (const auto* mem = std::get_if<MemoryEvent>(&event)) {
        Q_EMIT jobMemory(jobId, mem->cpuRss, mem->gpuUsed, mem->gpuReserved, mem->gpuTotal);
    } else if (const auto* f = std::get_if<FinishedEvent>(&event)) {
        std::erase_if(m_jobs, [jobId](const JobHandle& h) { return h.id() == jobId; });
        Q_EMIT jobFinished(jobId, f->ok, QString::fromStdString(f->error.message));
    }
}

} // namespace mistudio::ui
