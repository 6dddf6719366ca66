#pragma once
#include "mistudio/events.h"
#include "mistudio/memory_plan.h"

#include <cstdint>
#include <string>

namespace mistudio {

/// Samples process RSS (from /proc/self/status) and, when a CUDA device is in use, the CUDA
/// caching allocator's statistics and the device total.
MemoryEvent sampleMemory();

/// Bytes a run on `device` can still take: MemAvailable of /proc/meminfo for "cpu", the free
/// memory the CUDA runtime reports for "cuda"; -1 when unknown. The environment variable
/// MISTUDIO_AVAILABLE_MEMORY_BYTES replaces the figure (tests simulate a small machine with it).
int64_t availableMemoryBytes(const std::string& device);

/// Out of memory before it happens: throws Exception(OutOfMemory) when predictMemory(plan) needs
/// more than availableMemoryBytes(plan.device), with both figures and what to change (quant,
/// batch, sequence length, hook). `overrideHint` names how to run anyway (e.g. a CLI flag); the
/// environment variable MISTUDIO_IGNORE_MEMORY_CHECK=1 skips the check everywhere.
void refuseIfPlanCannotFit(const MemoryPlanRequest& plan, const std::string& overrideHint);

} // namespace mistudio
