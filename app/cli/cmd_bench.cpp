// `mistudio-cli bench SUBCOMMAND ...`: dispatches on the first argument through bench_table.cpp.
#include "bench.h"

#include <iostream>

namespace mistudio::cli {

int runBench(ArgParser& args) {
    const auto sub = args.subcommand();
    std::string names;
    for (const auto& c : benchCommands())
        names += std::string(names.empty() ? "" : ", ") + c.name;
    if (!sub)
        throw UsageError("bench needs a benchmark name: " + names);
    for (const auto& c : benchCommands())
        if (*sub == c.name) {
            try {
                return c.run(args);
            } catch (const UsageError& e) {
                throw UsageError(std::string(e.what()) + "\n  usage: mistudio-cli " + c.usage);
            }
        }
    throw UsageError("unknown benchmark '" + *sub + "'; available: " + names);
}

} // namespace mistudio::cli
