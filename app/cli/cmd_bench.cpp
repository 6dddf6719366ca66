// mistudio-cli bench NAME ...: dispatches to the benchmark registered in bench_table.cpp. Each
// prints a readable table and, as the last line, one JSON object.
#include "cli.h"

namespace mistudio::cli {

const std::vector<Command>& benchCommands();

int runBench(ArgParser& args) {
    // flag(name) consumes the bare word NAME wherever it is; its flags stay for the benchmark.
    for (const auto& c : benchCommands())
        if (args.flag(c.name))
            return c.run(args);
    std::string known;
    for (const auto& c : benchCommands())
        known += std::string(known.empty() ? "" : ", ") + c.name;
    throw UsageError("bench needs the name of a benchmark (" + known + ")");
}

} // namespace mistudio::cli
