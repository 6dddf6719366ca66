// The benchmarks `mistudio-cli bench` dispatches to; add one line per benchmark.
#include "bench.h"

namespace mistudio::cli {

int runBenchTokenize(ArgParser& args);
int runBenchForward(ArgParser& args);
int runBenchExtract(ArgParser& args);

const std::vector<Command>& benchCommands() {
    static const std::vector<Command> table = {
        {"tokenize", "Tokenizer throughput in MB/s, single-threaded and on all threads",
         "bench tokenize --tokenizer PATH --input FILE [--threads N]", runBenchTokenize},
        {"forward", "Transformer forward tokens/s vs this machine's fp32 GEMM rate",
         "bench forward --model MODEL [--batch B] [--seq T] [--up-to HOOK] [--seconds S] "
         "[--device cpu|cuda]",
         runBenchForward},
        {"extract", "Activation extraction tokens/s, vs the bare forward, and MB/s written",
         "bench extract --model MODEL --dataset SPEC --hook HOOK[,HOOK...] [--tokens N] "
         "[--context-length C] [--batch-size B] [--dtype fp16|bf16|fp32] [--device D]",
         runBenchExtract},
    };
    return table;
}

} // namespace mistudio::cli
