// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runDatasetPreview(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"dataset-preview", "Print a local dataset's first documents as JSON lines",
         "dataset-preview SPEC [--text-field F] [--limit N] [--txt-split file|blank-lines]",
         runDatasetPreview},
    };
    return table;
}

} // namespace mistudio::cli
