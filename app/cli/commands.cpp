// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runRuns(ArgParser& args);
int runFeatures(ArgParser& args);
int runFeature(ArgParser& args);
int runBench(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"runs", "List a project's runs (oldest first)", "runs --project P [--json]", runRuns},
        {"features", "List a run's features, sorted and filtered",
         "features --project P --run RUN [--sort density|max|mean|index|label] [--order asc|desc] "
         "[--limit N] [--offset N] [--min-density X] [--max-density X] [--search TEXT] "
         "[--fires-on TOKEN] [--json]",
         runFeatures},
        {"feature", "Show one feature's page (examples, logit effects, histogram, neighbors)",
         "feature --project P --run RUN --index I [--json]", runFeature},
        {"bench", "Benchmarks; each prints a table and, last, one JSON line",
         "bench store [--features N] [--examples N] [--window N] [--keep PATH]", runBench},
    };
    return table;
}

} // namespace mistudio::cli
