#include "mistudio/memory.h"

#include "mistudio/result.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace mistudio {

// Defined in memory_cuda.cpp (the only file that needs LibTorch's CUDA headers).
void sampleGpuMemory(MemoryEvent& out);
// Defined in cuda_info.cpp: free bytes on the current CUDA device, -1 without CUDA.
int64_t cudaFreeBytes();

namespace {
/// Reads a "Key:   123 kB" line of /proc/self/status in bytes; 0 when absent.
int64_t procStatusBytes(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) {
            const auto digits = line.find_first_of("0123456789");
            if (digits == std::string::npos)
                return 0;
            return std::stoll(line.substr(digits)) * 1024;
        }
    }
    return 0;
}

/// MemAvailable of /proc/meminfo in bytes (the kernel's estimate of what can be allocated
/// without swapping); -1 when unreadable.
int64_t memAvailableBytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    int64_t kb = 0;
    std::string unit;
    while (in >> key >> kb) {
        std::getline(in, unit);
        if (key == "MemAvailable:")
            return kb * 1024;
    }
    return -1;
}
} // namespace

MemoryEvent sampleMemory() {
    MemoryEvent m;
    m.cpuRss = procStatusBytes("VmRSS");
    m.cpuPeakRss = procStatusBytes("VmHWM");
    sampleGpuMemory(m);
    return m;
}

int64_t availableMemoryBytes(const std::string& device) {
    if (const char* forced = std::getenv("MISTUDIO_AVAILABLE_MEMORY_BYTES"); forced && *forced)
        return std::atoll(forced);
    if (device.rfind("cuda", 0) == 0)
        return cudaFreeBytes();
    return memAvailableBytes();
}

void refuseIfPlanCannotFit(const MemoryPlanRequest& plan, const std::string& overrideHint) {
    if (const char* skip = std::getenv("MISTUDIO_IGNORE_MEMORY_CHECK"); skip && *skip == '1')
        return;
    const int64_t available = availableMemoryBytes(plan.device);
    if (available < 0)
        return; // unknown: nothing to compare with
    const MemoryPrediction p = predictMemory(plan);
    if (p.totalBytes <= available)
        return;
    std::ostringstream what, where, fix;
    what << "the run needs about " << formatBytes(p.totalBytes) << " (weights "
         << formatBytes(p.weightBytes) << ", activations " << formatBytes(p.activationBytes)
         << ", workspace " << formatBytes(p.workspaceBytes) << ") but only "
         << formatBytes(available) << " is available on " << plan.device << " (predicted "
         << p.totalBytes << " bytes > available " << available << " bytes)";
    where << plan.modelFolder << ", quant " << plan.quant << ", batch " << plan.batch << " x "
          << plan.seq << " tokens, up to " << (plan.upToHook.empty() ? "logits" : plan.upToHook);
    fix << "Quantize the weights (--quant int8 or nf4), lower the batch size or context length, "
           "or read an earlier hook (fewer layers are loaded); free memory by closing other "
           "programs. To run anyway: "
        << overrideHint << " or MISTUDIO_IGNORE_MEMORY_CHECK=1";
    throw Exception(ErrorCode::OutOfMemory, what.str(), where.str(), fix.str());
}

} // namespace mistudio
