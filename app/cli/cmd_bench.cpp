// mistudio-cli bench WHAT: dispatches to the benchmark named by the first positional.
#include "bench.h"

namespace mistudio::cli {

int runBench(ArgParser& args) {
    // The subcommand is matched by name (flag() consumes that argument wherever it stands).
    for (const auto& b : benchCommands())
        if (args.flag(b.name))
            return b.run(args);
    std::string names;
    for (const auto& b : benchCommands())
        names += std::string(names.empty() ? "" : ", ") + b.name;
    throw UsageError("bench needs one of: " + names);
}

} // namespace mistudio::cli
