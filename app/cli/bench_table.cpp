// The benchmarks `mistudio-cli bench` dispatches to; add one line per benchmark.
#include "bench.h"

namespace mistudio::cli {

int runBenchTokenize(ArgParser& args);
int runBenchForward(ArgParser& args);
int runBenchExtract(ArgParser& args);
int runBenchSae(ArgParser& args);
int runBenchStore(ArgParser& args);
int runBenchQuant(ArgParser& args);
int runBenchMemory(ArgParser& args);

const std::vector<Command>& benchCommands() {
    static const std::vector<Command> table = {
        {"tokenize", "Tokenizer throughput in MB/s, single-threaded and on all threads",
         "bench tokenize --tokenizer PATH --input FILE [--threads N]",
         runBenchTokenize},
        {"forward", "Transformer forward tokens/s vs this machine's fp32 GEMM rate",
         "bench forward --model MODEL [--batch B] [--seq T] [--up-to HOOK] [--seconds S] [--device cpu|cuda]",
         runBenchForward},
        {"extract", "Activation extraction tokens/s vs the forward rate, MB/s written",
         "bench extract ...",
         runBenchExtract},
        {"sae", "TopK SAE training step vs. plain PyTorch",
         "bench sae [--d-in 768] [--d-sae 24576] [--k 32] [--batch 4096] [--steps 5] [--nproc N]",
         runBenchSae},
        {"store", "Feature list and page query times on a generated store",
         "bench store [--features N] [--examples N] [--window N] [--keep PATH]",
         runBenchStore},
        {"quant", "Relative error of each weight format on the fixture models",
         "bench quant ...",
         runBenchQuant},
        {"memory", "Peak RSS vs predicted memory, load time and tokens/s of a quantized extraction",
         "bench memory --model DIR --quant nf4 --hook HOOK --tokens N",
         runBenchMemory},
    };
    return table;
}

}  // namespace mistudio::cli
