// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runDownload(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"download", "Download a Hub model (or dataset) into the Hugging Face cache",
         "download REPO_ID [--revision REV] [--repo-type model|dataset]", runDownload},
    };
    return table;
}

} // namespace mistudio::cli
