// CUDA telemetry and device facts. With a CUDA LibTorch (MISTUDIO_TORCH_CUDA) this reads the
// caching allocator's statistics and the runtime's device properties; with a CPU LibTorch the
// GPU fields stay empty (-1).
#include "mistudio/environment.h"
#include "mistudio/events.h"

#include <torch/cuda.h>

#if defined(MISTUDIO_TORCH_CUDA) && __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#define MISTUDIO_GPU_STATS 1
#endif

namespace mistudio {

bool cudaUsable() {
    return torch::cuda::is_available();
}

void sampleGpuMemory(MemoryEvent& out) {
#ifdef MISTUDIO_GPU_STATS
    if (!torch::cuda::is_available())
        return;
    const int device = c10::cuda::current_device();
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
    constexpr size_t kAggregate = 0; // StatType::AGGREGATE
    out.gpuUsed = stats.allocated_bytes[kAggregate].current;
    out.gpuReserved = stats.reserved_bytes[kAggregate].current;
    size_t freeBytes = 0, totalBytes = 0;
    if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess)
        out.gpuTotal = static_cast<int64_t>(totalBytes);
#else
    (void)out;
#endif
}

int64_t cudaFreeBytes() {
#ifdef MISTUDIO_GPU_STATS
    size_t freeBytes = 0, totalBytes = 0;
    if (torch::cuda::is_available() && cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess)
        return static_cast<int64_t>(freeBytes);
#endif
    return -1;
}

std::vector<CudaDeviceInfo> listCudaDevices() {
    std::vector<CudaDeviceInfo> devices;
#ifdef MISTUDIO_GPU_STATS
    const int n = static_cast<int>(torch::cuda::device_count());
    for (int i = 0; i < n; ++i) {
        cudaDeviceProp prop{};
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
            continue;
        devices.push_back(
            {i, prop.name, static_cast<int64_t>(prop.totalGlobalMem), prop.major, prop.minor});
    }
#endif
    return devices;
}

bool torchBuiltWithCuda() {
#ifdef MISTUDIO_TORCH_CUDA
    return true;
#else
    return false;
#endif
}

} // namespace mistudio
