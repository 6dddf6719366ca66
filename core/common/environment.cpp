#include "mistudio/environment.h"

#include "mistudio/result.h"
#include "mistudio/version.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <fstream>
#include <regex>
#include <sqlite3.h>
#include <thread>
#include <torch/version.h>

#ifdef MISTUDIO_WITH_CUDA_KERNELS
#include "mistudio/kernels/kernels.h"
#endif

namespace mistudio {

bool cudaUsable();
std::vector<CudaDeviceInfo> listCudaDevices();
bool torchBuiltWithCuda();

namespace {

/// The BLAS actually mapped into this process (Debian picks it through alternatives, so the
/// path in /proc/self/maps is the truth), e.g. .../openblas-openmp/libblas.so.3.
std::string loadedBlasLibrary() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        const auto slash = line.find('/');
        if (slash == std::string::npos)
            continue;
        const std::string path = line.substr(slash);
        if (path.find("libblas") != std::string::npos ||
            path.find("libopenblas") != std::string::npos ||
            path.find("libmkl") != std::string::npos)
            return path;
    }
    return {};
}

std::string describeBlas(const std::string& library) {
    using ConfigFn = const char* (*)();
    if (auto fn = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
        return std::string("openblas (") + fn() + ")";
    if (library.find("openblas") != std::string::npos)
        return "openblas";
    if (library.find("mkl") != std::string::npos)
        return "mkl";
    if (library.find("blas") != std::string::npos)
        return "reference (slow: install libopenblas0-openmp)";
    return "built into LibTorch";
}

} // namespace

EnvironmentInfo describeEnvironment() {
    EnvironmentInfo info;
    info.version = MISTUDIO_VERSION;
    info.torchVersion = TORCH_VERSION;
    info.torchHasCuda = torchBuiltWithCuda();
#ifdef MISTUDIO_WITH_CUDA_KERNELS
    info.cudaKernels = kernels::compiledWithCuda();
#endif
    info.cudaAvailable = cudaUsable();
    info.cudaDevices = listCudaDevices();
    info.blasLibrary = loadedBlasLibrary();
    info.blas = describeBlas(info.blasLibrary);
    info.threads = at::get_num_threads();
    info.sqliteVersion = sqlite3_libversion();
    return info;
}

void setComputeThreads(int threads) {
    // Debian's LibTorch starts with a single OpenMP thread; default to one per core.
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
}

void checkDevice(const std::string& device) {
    static const std::regex pattern("^(cpu|cuda(:[0-9]+)?)$");
    if (!std::regex_match(device, pattern))
        throw Exception(ErrorCode::InvalidArgument, "unknown device '" + device + "'", "--device",
                        "Use cpu, cuda or cuda:N");
    if (device.rfind("cuda", 0) == 0 && !cudaUsable())
        throw Exception(
            ErrorCode::Unsupported,
            "device '" + device + "' was asked for but CUDA is not available",
            torchBuiltWithCuda() ? "no CUDA device found"
                                 : "this build's LibTorch " TORCH_VERSION " has no CUDA",
            "Use --device cpu, or build against a CUDA LibTorch on a machine with a GPU");
}

} // namespace mistudio
