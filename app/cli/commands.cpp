// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runTokenize(ArgParser& args);
int runBench(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"tokenize", "Tokenize JSON lines {\"text\"} to {\"ids\", \"tokens\"} lines",
         "tokenize (--model MODEL | --tokenizer PATH) [--no-special] --input FILE.jsonl",
         runTokenize},
        {"bench", "Benchmarks: a table of figures, then one JSON line (bench NAME ...)",
         "bench NAME [FLAGS...]   e.g. bench tokenize --tokenizer PATH --input FILE", runBench},
    };
    return table;
}

} // namespace mistudio::cli
