// The benchmarks `mistudio-cli bench` dispatches to; add one line per benchmark.
#include "bench.h"

namespace mistudio::cli {

int runBenchTokenize(ArgParser& args);
int runBenchForward(ArgParser& args);
int runBenchStore(ArgParser& args);
int runBenchSae(ArgParser& args);
int runBenchQuant(ArgParser& args);
int runBenchMemory(ArgParser& args);

const std::vector<Command>& benchCommands() {
    static const std::vector<Command> table = {
        {"tokenize", "Tokenizer throughput in MB/s, single-threaded and on all threads",
         "bench tokenize --tokenizer PATH --input FILE [--threads N]", runBenchTokenize},
        {"forward", "Transformer forward tokens/s vs this machine's fp32 GEMM rate",
         "bench forward --model MODEL [--batch B] [--seq T] [--up-to HOOK] [--seconds S] "
         "[--device cpu|cuda]",
         runBenchForward},
        {"store", "Feature list and page query times on a generated store",
         "bench store [--features N] [--examples N] [--window N] [--keep PATH]", runBenchStore},
        {"sae", "TopK SAE training step vs. plain PyTorch",
         "bench sae [--d-in N] [--d-sae N] [--k N] [--batch N] [--steps N]", runBenchSae},
        {"quant", "Relative error of every --quant mode vs fp32 goldens, per fixture model",
         "bench quant [--fixtures DIR]", runBenchQuant},
        {"memory", "Peak RSS vs predicted memory, load time and tokens/s up to a hook",
         "bench memory --model DIR [--quant nf4] --hook HOOK [--tokens 256] [--device D]",
         runBenchMemory},
    };
    return table;
}

} // namespace mistudio::cli
