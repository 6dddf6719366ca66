#pragma once
// `mistudio-cli bench WHAT ...`: benchmarks, one per table line in bench_table.cpp. Each prints a
// readable table and, as its last line, one JSON object with the figure names.
#include "cli.h"

namespace mistudio::cli {

struct BenchCommand {
    const char* name;
    const char* summary;
    int (*run)(ArgParser& args);
};

const std::vector<BenchCommand>& benchCommands();

} // namespace mistudio::cli
