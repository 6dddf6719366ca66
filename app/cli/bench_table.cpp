// The `bench` subcommands, one line each.
#include "cli.h"

namespace mistudio::cli {

int runBenchSae(ArgParser& args);

const std::vector<Command>& benchCommands() {
    static const std::vector<Command> table = {
        {"sae", "TopK SAE training step vs. plain PyTorch",
         "bench sae [--d-in N] [--d-sae N] [--k N] [--batch N] [--steps N]", runBenchSae},
    };
    return table;
}

} // namespace mistudio::cli
