#include "common/logging_internal.h"
#include "engine/job_state.h"

#include <spdlog/spdlog.h>

namespace mistudio {

namespace {
thread_local JobState* t_currentJob = nullptr;

spdlog::level::level_enum toSpdlog(LogLevel level) {
    switch (level) {
    case LogLevel::Trace: return spdlog::level::trace;
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
    }
    return spdlog::level::info;
}
} // namespace

JobState* currentJob() {
    return t_currentJob;
}
void setCurrentJob(JobState* job) {
    t_currentJob = job;
}

const char* logLevelName(LogLevel level) {
    switch (level) {
    case LogLevel::Trace: return "trace";
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
    }
    return "info";
}

void JobState::deliver(const JobEvent& event) {
    std::lock_guard lock(mutex);
    if (finished)
        return;
    if (onEvent) {
        try {
            onEvent(id, event);
        } catch (...) {
            // A watcher's bug must not kill the job; drop the exception.
        }
    }
    if (const auto* fin = std::get_if<FinishedEvent>(&event)) {
        finished = true;
        result = *fin;
    }
    if (queueEvents)
        queue.push_back(event);
    changed.notify_all();
}

JobContext::JobContext(std::shared_ptr<JobState> state)
    : m_state(std::move(state)), m_stageStart(std::chrono::steady_clock::now()) {}

bool JobContext::isCancelled() const {
    return m_state->cancelRequested.load();
}

void JobContext::throwIfCancelled() const {
    if (isCancelled())
        throw Exception(ErrorCode::Cancelled, "cancelled by the user");
}

void JobContext::progress(const std::string& stage, double done, double total,
                          const std::string& unit) {
    const auto now = std::chrono::steady_clock::now();
    if (stage != m_stage) {
        m_stage = stage;
        m_stageStart = now;
        m_stageStartDone = done;
    }
    ProgressEvent p{stage, done, total, unit, 0, -1};
    const double elapsed = std::chrono::duration<double>(now - m_stageStart).count();
    if (elapsed > 0.05 && done > m_stageStartDone) {
        p.rate = (done - m_stageStartDone) / elapsed;
        if (total > 0 && p.rate > 0)
            p.etaSeconds = std::max(0.0, (total - done) / p.rate);
    }
    send(p);
}

void JobContext::metric(int64_t step, const std::string& name, double value) {
    send(MetricEvent{step, name, value});
}

void JobContext::log(LogLevel level, const std::string& text) {
    // The job log sink (logging.cpp) turns this into a LogEvent; without it, deliver directly.
    auto logger = spdlog::default_logger();
    if (logger && t_currentJob == m_state.get() && jobLogSinkInstalled()) {
        logger->log(toSpdlog(level), "{}", text);
    } else {
        if (logger)
            logger->log(toSpdlog(level), "{}", text);
        send(LogEvent{level, text});
    }
}

void JobContext::send(JobEvent event) {
    m_state->deliver(event);
}

JobHandle::JobHandle(std::shared_ptr<JobState> state) : m_state(std::move(state)) {}

uint64_t JobHandle::id() const {
    return m_state ? m_state->id : 0;
}

const std::string& JobHandle::name() const {
    static const std::string empty;
    return m_state ? m_state->name : empty;
}

void JobHandle::cancel() {
    if (m_state)
        m_state->cancelRequested = true;
}

bool JobHandle::isFinished() const {
    if (!m_state)
        return true;
    std::lock_guard lock(m_state->mutex);
    return m_state->finished;
}

FinishedEvent JobHandle::wait() const {
    std::unique_lock lock(m_state->mutex);
    m_state->changed.wait(lock, [&] { return m_state->finished; });
    return m_state->result;
}

std::optional<FinishedEvent> JobHandle::waitFor(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_state->mutex);
    if (!m_state->changed.wait_for(lock, timeout, [&] { return m_state->finished; }))
        return std::nullopt;
    return m_state->result;
}

std::vector<JobEvent> JobHandle::takeEvents() {
    std::lock_guard lock(m_state->mutex);
    std::vector<JobEvent> out(m_state->queue.begin(), m_state->queue.end());
    m_state->queue.clear();
    return out;
}

std::optional<JobEvent> JobHandle::nextEvent(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_state->mutex);
    m_state->changed.wait_for(lock, timeout,
                              [&] { return !m_state->queue.empty() || m_state->finished; });
    if (m_state->queue.empty())
        return std::nullopt;
    JobEvent e = std::move(m_state->queue.front());
    m_state->queue.pop_front();
    return e;
}

} // namespace mistudio
