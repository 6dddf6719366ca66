#pragma once
// `mistudio-cli bench SUBCOMMAND`: benchmarks, one line each in bench_table.cpp. Each prints a
// readable table and, as its last line, one JSON object with its figures.

#include "cli.h"

namespace mistudio::cli {

const std::vector<Command>& benchCommands();

} // namespace mistudio::cli
