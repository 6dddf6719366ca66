#include "mistudio/memory.h"

#include <fstream>
#include <string>

namespace mistudio {

// Defined in memory_cuda.cpp (the only file that needs LibTorch's CUDA headers).
void sampleGpuMemory(MemoryEvent& out);

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
} // namespace

MemoryEvent sampleMemory() {
    MemoryEvent m;
    m.cpuRss = procStatusBytes("VmRSS");
    m.cpuPeakRss = procStatusBytes("VmHWM");
    sampleGpuMemory(m);
    return m;
}

} // namespace mistudio
