// The one place where mistudio-cli's subcommands are registered, in the order --help lists them.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runRuns(ArgParser& args);
int runFeatures(ArgParser& args);
int runFeature(ArgParser& args);
int runTokenize(ArgParser& args);
int runInspect(ArgParser& args);
int runForward(ArgParser& args);
int runGenerate(ArgParser& args);
int runMakeSynthetic(ArgParser& args);
int runTrain(ArgParser& args);
int runImportSae(ArgParser& args);
int runAnalyze(ArgParser& args);
int runBench(ArgParser& args);
int runDatasetPreview(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)", "env", runEnv},
        {"train", "Train sparse autoencoders on activations (RUN.json)",
         "train --config RUN.json [--resume] [--project P]", runTrain},
        {"import-sae", "Record a published SAE (SAELens folder) as a run of a project",
         "import-sae --project P --sae DIR --model MODEL [--hook HOOK] [--name NAME]",
         runImportSae},
        {"analyze", "Analyse a run's features: stats, examples, logit effects, neighbours",
         "analyze --project P --run RUN [--tokens N] [--dataset SPEC] [--text-field F] "
         "[--device D] [--model DIR] [--context-length N] [--batch-tokens N]",
         runAnalyze},
        {"runs", "List a project's runs (oldest first)", "runs --project P [--json]", runRuns},
        {"features", "List a run's features, sorted and filtered",
         "features --project P --run RUN [--sort density|max|mean|index|label] [--order asc|desc] "
         "[--limit N] [--offset N] [--min-density X] [--max-density X] [--search TEXT] "
         "[--fires-on TOKEN] [--json]",
         runFeatures},
        {"feature", "Show one feature's page (examples, logit effects, histogram, neighbors)",
         "feature --project P --run RUN --index I [--json]", runFeature},
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
        {"bench",
         "Benchmarks: bench tokenize ... | bench forward ... | bench store ... | bench sae ...",
         "bench tokenize --tokenizer PATH --input FILE | "
         "bench forward --model MODEL [--batch B] [--seq T] [--up-to HOOK] | "
         "bench store [--features N] [--examples N] [--window N] [--keep PATH] | "
         "bench sae [--d-in N] [--d-sae N] [--k N] [--batch N] [--steps N]",
         runBench},
        {"dataset-preview", "Print a local dataset's first documents as JSON lines",
         "dataset-preview SPEC [--text-field F] [--limit N] [--txt-split file|blank-lines]",
         runDatasetPreview},
    };
    return table;
}

} // namespace mistudio::cli
