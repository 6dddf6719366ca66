// `mistudio-cli bench NAME`: one entry per benchmark. Each prints a readable table and, as the
// last line, one JSON object with its figures.
#include "cli.h"

namespace mistudio::cli {

int runBenchStore(ArgParser& args);

int runBench(ArgParser& args) {
    struct Bench {
        const char* name;
        int (*run)(ArgParser&);
    };
    static const Bench benches[] = {
        {"store", runBenchStore},
    };
    const auto name = args.subcommand();
    if (!name)
        throw UsageError("bench needs a benchmark name: store");
    for (const auto& b : benches)
        if (*name == b.name)
            return b.run(args);
    throw UsageError("unknown benchmark '" + *name + "'; available: store");
}

} // namespace mistudio::cli
