// The one place where mistudio-cli's subcommands are registered, in the order --help lists them
// (pipeline order: environment, models, data, training, analysis, exports).
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runDownload(ArgParser& args);
int runExport(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"download", "Download a Hub model (or dataset) into the Hugging Face cache",
         "download REPO_ID [--revision REV] [--repo-type model|dataset]", runDownload},
        {"export", "Export a run: SAELens folder, Neuronpedia JSON, CSV, JSON or HTML report",
         "export --project P --run RUN --format saelens|neuronpedia|csv|json|html --out PATH "
         "[--features frequent|max|labelled] [--top N]",
         runExport},
    };
    return table;
}

}  // namespace mistudio::cli
