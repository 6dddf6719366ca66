// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runTokenize(ArgParser& args);
int runInspect(ArgParser& args);
int runForward(ArgParser& args);
int runGenerate(ArgParser& args);
int runMakeSynthetic(ArgParser& args);
int runTrain(ArgParser& args);
int runEval(ArgParser& args);
int runBench(ArgParser& args);
int runDatasetPreview(ArgParser& args);

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
        {"train", "Train sparse autoencoders on activations (RUN.json)",
         "train --config RUN.json [--resume]", runTrain},
        {"eval", "Evaluate a SAELens SAE spliced into the model (JSON metrics)",
         "eval --sae DIR --model MODEL --dataset SPEC --tokens N [--context-length C] "
         "[--text-field F] [--device D] [--hook HOOK]",
         runEval},
        {"bench", "Benchmarks: bench tokenize ... | bench forward ... | bench sae ...",
         "bench tokenize --tokenizer PATH --input FILE | "
         "bench forward --model MODEL [--batch B] [--seq T] [--up-to HOOK] | "
         "bench sae [--d-in 768] [--d-sae 24576] [--k 32] [--batch 4096] [--steps 5]",
         runBench},
        {"dataset-preview", "Print a local dataset's first documents as JSON lines",
         "dataset-preview SPEC [--text-field F] [--limit N] [--txt-split file|blank-lines]",
         runDatasetPreview},
    };
    return table;
}

} // namespace mistudio::cli
