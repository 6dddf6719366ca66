#pragma once
#include "mistudio/events.h"

namespace mistudio {

/// Samples process RSS (from /proc/self/status) and, when a CUDA device is in use, the CUDA
/// caching allocator's statistics and the device total.
MemoryEvent sampleMemory();

} // namespace mistudio
