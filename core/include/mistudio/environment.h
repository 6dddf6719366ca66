#pragma once
// What the engine runs on: versions, devices, BLAS, threads. Printed by `mistudio-cli env` and
// shown in the GUI's status bar.

#include <cstdint>
#include <string>
#include <vector>

namespace mistudio {

struct CudaDeviceInfo {
    int index = 0;
    std::string name;
    int64_t totalMemory = 0;
    int computeMajor = 0;
    int computeMinor = 0;
};

struct EnvironmentInfo {
    std::string version;        // miStudio
    std::string torchVersion;   // LibTorch, e.g. "1.13.1"
    bool torchHasCuda = false;  // LibTorch built with CUDA
    bool cudaKernels = false;   // kernels/ compiled in
    bool cudaAvailable = false; // a usable CUDA device is present
    std::vector<CudaDeviceInfo> cudaDevices;
    std::string blas;        // e.g. "openblas (OpenBLAS 0.3.21 ...)" or "reference"
    std::string blasLibrary; // resolved path of the loaded BLAS library
    int threads = 0;         // intra-op threads LibTorch uses
    std::string sqliteVersion;
};

EnvironmentInfo describeEnvironment();

/// Sets LibTorch's intra-op thread count (0: one per core). The engine's worker threads pick it up.
void setComputeThreads(int threads);

/// Devices: "cpu" or "cuda" / "cuda:N". Throws Exception(Unsupported) with a sentence when CUDA
/// is asked for and not available, and InvalidArgument for anything else.
void checkDevice(const std::string& device);

} // namespace mistudio
