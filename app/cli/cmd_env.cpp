#include "cli.h"
#include "mistudio/environment.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

int runEnv(ArgParser& args) {
    args.finish();
    const EnvironmentInfo info = describeEnvironment();
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : info.cudaDevices)
        devices.push_back({{"index", d.index},
                           {"name", d.name},
                           {"total_memory", d.totalMemory},
                           {"compute_capability", std::to_string(d.computeMajor) + "." +
                                                      std::to_string(d.computeMinor)}});
    nlohmann::json j = {
        {"version", info.version},
        {"libtorch_version", info.torchVersion},
        {"libtorch_cuda", info.torchHasCuda},
        {"cuda_kernels", info.cudaKernels},
        {"cuda_available", info.cudaAvailable},
        {"cuda_devices", devices},
        {"blas", info.blas},
        {"blas_library", info.blasLibrary},
        {"threads", info.threads},
        {"qt_version", nullptr}, // the headless CLI does not link Qt
        {"sqlite_version", info.sqliteVersion},
    };
    std::cout << j.dump(2) << "\n";
    return 0;
}

} // namespace mistudio::cli
