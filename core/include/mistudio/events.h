#pragma once
// Events a job sends to whoever watches it (CLI, GUI bridge, tests). Plain structs, no Qt, no
// LibTorch: ui/ wraps them in queued Qt signals.

#include "mistudio/result.h"

#include <cstdint>
#include <string>
#include <variant>

namespace mistudio {

/// Progress of the current stage. `total` is 0 when unknown; `rate` is `unit`s per second and
/// `etaSeconds` is negative when it cannot be estimated yet.
struct ProgressEvent {
    std::string stage;
    double done = 0;
    double total = 0;
    std::string unit;
    double rate = 0;
    double etaSeconds = -1;
};

/// One point of a live curve (loss, L0, explained variance, tokens/s...).
struct MetricEvent {
    int64_t step = 0;
    std::string name;
    double value = 0;
};

enum class LogLevel { Trace, Debug, Info, Warn, Error };

struct LogEvent {
    LogLevel level = LogLevel::Info;
    std::string text;
};

/// Memory in bytes, sampled about twice a second while a job runs. GPU fields are -1 when no
/// CUDA device is in use.
struct MemoryEvent {
    int64_t cpuRss = 0;
    int64_t cpuPeakRss = 0;
    int64_t gpuUsed = -1;     // bytes held by live tensors (caching allocator "allocated")
    int64_t gpuReserved = -1; // bytes the caching allocator holds from the driver
    int64_t gpuTotal = -1;    // device memory in total (cudaMemGetInfo)
};

/// Always the last event of a job.
struct FinishedEvent {
    bool ok = true;
    Error error; // meaningful when !ok; code Cancelled after cancel()
};

using JobEvent = std::variant<ProgressEvent, MetricEvent, LogEvent, MemoryEvent, FinishedEvent>;

const char* logLevelName(LogLevel level);

} // namespace mistudio
