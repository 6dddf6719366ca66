// The one place where `bench` subcommands are registered.
#include "bench.h"

namespace mistudio::cli {

int runBenchForward(ArgParser& args);

const std::vector<BenchCommand>& benchCommands() {
    static const std::vector<BenchCommand> table = {
        {"forward", "Transformer forward tokens/s vs this machine's fp32 GEMM rate",
         runBenchForward},
    };
    return table;
}

} // namespace mistudio::cli
