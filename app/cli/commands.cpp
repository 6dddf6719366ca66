// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runTrain(ArgParser& args);
int runBench(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"train", "Train sparse autoencoders on activations (RUN.json)",
         "train --config RUN.json [--resume]", runTrain},
        {"bench", "Benchmarks: bench sae [--d-in N --d-sae N --k N --batch N --steps N]",
         "bench sae [--d-in 768] [--d-sae 24576] [--k 32] [--batch 4096] [--steps 5]", runBench},
    };
    return table;
}

} // namespace mistudio::cli
