#pragma once
// The engine: one worker thread that owns all LibTorch/CUDA work. Callers submit jobs (long
// operations with progress, cancellation and events) or post small tasks; tasks posted with a tag
// replace a queued task with the same tag, so hover/typing requests never build a backlog.

#include "mistudio/events.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mistudio {

struct JobState;

/// Handed to a running job. Valid only during the job's run; do not keep it.
class JobContext {
public:
    explicit JobContext(std::shared_ptr<JobState> state);

    bool isCancelled() const;
    /// Throws Exception(ErrorCode::Cancelled) when cancel() was called. Call it at least every
    /// few hundred milliseconds of work so cancellation stays prompt.
    void throwIfCancelled() const;

    /// Reports progress; rate and ETA are derived from the time since the stage began.
    void progress(const std::string& stage, double done, double total, const std::string& unit);
    void metric(int64_t step, const std::string& name, double value);
    /// Logs through spdlog (console, file) and delivers a LogEvent to the job's watchers.
    void log(LogLevel level, const std::string& text);
    /// Delivers any event (named send, not emit: Qt defines emit as a macro).
    void send(JobEvent event);

private:
    std::shared_ptr<JobState> m_state;
    std::string m_stage;
    std::chrono::steady_clock::time_point m_stageStart;
    double m_stageStartDone = 0;
};

using JobFunction = std::function<void(JobContext&)>;
/// Called for every event on the thread that produced it (worker or memory sampler), one call at a
/// time per job. Must be cheap and thread-safe (e.g. post to a GUI thread).
using EventCallback = std::function<void(uint64_t jobId, const JobEvent& event)>;

/// The caller's side of a submitted job.
class JobHandle {
public:
    JobHandle() = default;
    explicit JobHandle(std::shared_ptr<JobState> state);

    uint64_t id() const;
    const std::string& name() const;
    /// Asks the job to stop; it finishes with ErrorCode::Cancelled at its next check.
    void cancel();
    bool isFinished() const;
    /// Blocks until the job finished and returns its result.
    FinishedEvent wait() const;
    /// Waits up to `timeout`; returns the result if the job finished by then.
    std::optional<FinishedEvent> waitFor(std::chrono::milliseconds timeout) const;
    /// Takes every queued event, oldest first (events are queued unless the job was submitted
    /// with queueEvents = false).
    std::vector<JobEvent> takeEvents();
    /// Waits up to `timeout` for the next queued event.
    std::optional<JobEvent> nextEvent(std::chrono::milliseconds timeout);

private:
    std::shared_ptr<JobState> m_state;
};

struct JobOptions {
    std::string name = "job";
    EventCallback onEvent;   // optional push delivery
    bool queueEvents = true; // keep events for takeEvents()/nextEvent()
    /// Log a failure at error level. A caller that shows the error itself (the CLI prints it
    /// once on stderr) turns this off so the message does not appear twice.
    bool logFailure = true;
};

class Engine {
public:
    /// `memorySampleInterval` is how often Memory events are sent while a job runs.
    explicit Engine(
        std::chrono::milliseconds memorySampleInterval = std::chrono::milliseconds(500));
    /// Cancels queued and running jobs and joins the threads.
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Queues a job on the worker thread. Exceptions thrown by `fn` become Finished{ok=false}.
    JobHandle submit(JobFunction fn, JobOptions options = {});

    using Task = std::function<void()>;
    /// Queues a small task after everything already queued.
    void post(Task task);
    /// Like post(), but replaces a queued, not yet started task with the same tag.
    void post(const std::string& tag, Task task);
    /// Runs the task on the worker thread and waits for it (tests, CLI). Rethrows its exception.
    void postBlocking(Task task);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace mistudio
