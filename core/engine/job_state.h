#pragma once
// Shared state between a running job, its handle and the engine. Internal to core.

#include "mistudio/engine.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace mistudio {

struct JobState {
    uint64_t id = 0;
    std::string name;
    JobFunction fn;
    EventCallback onEvent;
    bool queueEvents = true;
    bool logFailure = true;

    std::atomic<bool> cancelRequested{false};
    std::atomic<bool> running{false};

    std::mutex mutex; // guards everything below and serialises delivery
    std::condition_variable changed;
    std::deque<JobEvent> queue;
    bool finished = false;
    FinishedEvent result;

    /// Delivers an event to the callback and the queue, in emission order. Events after Finished
    /// are dropped, so Finished is always last.
    void deliver(const JobEvent& event);
};

/// The job running on the current thread, for the log sink (null outside a job).
JobState* currentJob();
void setCurrentJob(JobState* job);

} // namespace mistudio
