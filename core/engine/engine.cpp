#include "mistudio/engine.h"

#include "common/logging_internal.h"
#include "engine/job_state.h"
#include "mistudio/environment.h"
#include "mistudio/memory.h"

#include <ATen/Parallel.h>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

namespace mistudio {

namespace {
std::atomic<uint64_t> g_nextJobId{1};

/// Applies the default thread count once, unless the program already chose one.
void ensureComputeThreadsInitialised() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (at::get_num_threads() <= 1)
            setComputeThreads(0);
    });
}

struct QueueItem {
    std::string tag;               // empty: never replaced
    Engine::Task task;             // small task, or
    std::shared_ptr<JobState> job; // a job
};
} // namespace

struct Engine::Impl {
    std::chrono::milliseconds sampleInterval;
    std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable samplerWake;
    std::deque<QueueItem> queue;
    std::shared_ptr<JobState> running; // the job on the worker, for the memory sampler
    bool stopping = false;

    std::thread worker;
    std::thread sampler;

    void workerLoop();
    void samplerLoop();
    void runJob(const std::shared_ptr<JobState>& job);
};

Engine::Engine(std::chrono::milliseconds memorySampleInterval) : m_impl(std::make_unique<Impl>()) {
    ensureJobLogSink();
    ensureComputeThreadsInitialised();
    m_impl->sampleInterval = memorySampleInterval;
    m_impl->worker = std::thread([this] { m_impl->workerLoop(); });
    m_impl->sampler = std::thread([this] { m_impl->samplerLoop(); });
}

Engine::~Engine() {
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->stopping = true;
        for (auto& item : m_impl->queue)
            if (item.job)
                item.job->cancelRequested = true;
        if (m_impl->running)
            m_impl->running->cancelRequested = true;
    }
    m_impl->wake.notify_all();
    m_impl->samplerWake.notify_all();
    m_impl->worker.join();
    m_impl->sampler.join();
}

JobHandle Engine::submit(JobFunction fn, JobOptions options) {
    auto state = std::make_shared<JobState>();
    state->id = g_nextJobId++;
    state->name = std::move(options.name);
    state->fn = std::move(fn);
    state->onEvent = std::move(options.onEvent);
    state->queueEvents = options.queueEvents;
    state->logFailure = options.logFailure;
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->queue.push_back(QueueItem{{}, {}, state});
    }
    m_impl->wake.notify_all();
    return JobHandle(state);
}

void Engine::post(Task task) {
    post(std::string(), std::move(task));
}

void Engine::post(const std::string& tag, Task task) {
    {
        std::lock_guard lock(m_impl->mutex);
        bool replaced = false;
        if (!tag.empty()) {
            for (auto& item : m_impl->queue) {
                if (!item.job && item.tag == tag) {
                    item.task = std::move(task);
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced)
            m_impl->queue.push_back(QueueItem{tag, std::move(task), nullptr});
    }
    m_impl->wake.notify_all();
}

void Engine::postBlocking(Task task) {
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    post([task = std::move(task), done] {
        try {
            task();
            done->set_value();
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    });
    future.get();
}

void Engine::Impl::workerLoop() {
    // OpenMP thread counts are per thread: give this one the process-wide setting.
    at::init_num_threads();
    for (;;) {
        QueueItem item;
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [&] { return stopping || !queue.empty(); });
            if (queue.empty())
                return; // stopping and drained
            item = std::move(queue.front());
            queue.pop_front();
            if (item.job)
                running = item.job;
        }
        if (item.job) {
            runJob(item.job);
            std::lock_guard lock(mutex);
            running.reset();
        } else if (item.task) {
            try {
                item.task();
            } catch (const std::exception& e) {
                spdlog::error("engine task failed: {}", e.what());
            } catch (...) {
                spdlog::error("engine task failed with an unknown exception");
            }
        }
    }
}

void Engine::Impl::runJob(const std::shared_ptr<JobState>& job) {
    JobContext ctx(job);
    FinishedEvent finished;
    job->running = true;
    setCurrentJob(job.get());
    job->deliver(sampleMemory());
    try {
        ctx.throwIfCancelled(); // cancelled while queued
        job->fn(ctx);
    } catch (...) {
        finished.ok = false;
        finished.error = errorFromCurrentException();
    }
    setCurrentJob(nullptr);
    job->running = false;
    if (!finished.ok && finished.error.code != ErrorCode::Cancelled && job->logFailure)
        spdlog::error("job '{}' failed: {}", job->name, finished.error.message);
    job->deliver(finished);
    job->fn = nullptr; // release captured resources now, not when the last handle goes
}

void Engine::Impl::samplerLoop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
        samplerWake.wait_for(lock, sampleInterval, [&] { return stopping; });
        if (stopping)
            break;
        std::shared_ptr<JobState> job = running;
        if (!job)
            continue;
        lock.unlock();
        job->deliver(sampleMemory()); // dropped if the job already finished
        lock.lock();
    }
}

} // namespace mistudio
