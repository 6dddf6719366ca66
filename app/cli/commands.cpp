// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runTokenize(ArgParser& args);
int runInspect(ArgParser& args);
int runForward(ArgParser& args);
int runGenerate(ArgParser& args);
int runMakeSynthetic(ArgParser& args);
int runBench(ArgParser& args);
int runDatasetPreview(ArgParser& args);
int runExtract(ArgParser& args);
int runCacheInfo(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"tokenize", "Tokenize JSON lines {\"text\"} to {\"ids\", \"tokens\"} lines",
         "tokenize (--model MODEL | --tokenizer PATH) [--no-special] --input FILE.jsonl",
         runTokenize},
        {"inspect", "Describe a local model folder as JSON (dims, params, hook points)",
         "inspect MODEL", runInspect},
        {"forward", "Run a model on token ids; write hidden states and logits (safetensors)",
         "forward --model MODEL --input-ids FILE.safetensors --out OUT.safetensors "
         "[--device cpu|cuda] [--dtype float32|bfloat16|float16] [--quant none|int8|nf4|int4]",
         runForward},
        {"generate", "Greedy continuation of a prompt",
         "generate --model MODEL (--prompt TEXT | --prompt-ids 1,2,3) [--max-new-tokens N] "
         "[--device cpu|cuda] [--json]",
         runGenerate},
        {"make-synthetic", "Write a random-weight model folder with real shapes (benchmarks)",
         "make-synthetic --like gpt2-small|gpt2-medium|gpt2-tiny --out DIR [--seed N]",
         runMakeSynthetic},
        {"extract", "Collect activations at hook points into an activation cache",
         "extract --model MODEL --dataset SPEC --hook HOOK[,HOOK...] --tokens N "
         "[--context-length C] [--batch-size B] [--quant Q] [--device D] [--dtype fp16|bf16|fp32] "
         "[--text-field F] [--keep-special-tokens] --out DIR",
         runExtract},
        {"cache-info", "Print an activation cache's manifest as JSON", "cache-info DIR",
         runCacheInfo},
        {"bench", "Benchmarks: bench tokenize ... | bench forward ...",
         "bench tokenize --tokenizer PATH --input FILE | "
         "bench forward --model MODEL [--batch B] [--seq T] [--up-to HOOK]",
         runBench},
        {"dataset-preview", "Print a local dataset's first documents as JSON lines",
         "dataset-preview SPEC [--text-field F] [--limit N] [--txt-split file|blank-lines]",
         runDatasetPreview},
    };
    return table;
}

} // namespace mistudio::cli
