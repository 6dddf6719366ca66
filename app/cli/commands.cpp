// The one place where mistudio-cli's subcommands are registered, in the order --help lists them
// (pipeline order). Generated from one list by the lead; edit the list, not by hand.
#include "cli.h"

namespace mistudio::cli {

int runEnv(ArgParser& args);
int runDownload(ArgParser& args);
int runInspect(ArgParser& args);
int runEstimate(ArgParser& args);
int runTokenize(ArgParser& args);
int runForward(ArgParser& args);
int runGenerate(ArgParser& args);
int runMakeSynthetic(ArgParser& args);
int runDatasetPreview(ArgParser& args);
int runExtract(ArgParser& args);
int runCacheInfo(ArgParser& args);
int runTrain(ArgParser& args);
int runLaunch(ArgParser& args);
int runClusterJob(ArgParser& args);
int runEval(ArgParser& args);
int runImportSae(ArgParser& args);
int runAnalyze(ArgParser& args);
int runRun(ArgParser& args);
int runRuns(ArgParser& args);
int runFeatures(ArgParser& args);
int runFeature(ArgParser& args);
int runExport(ArgParser& args);
int runBench(ArgParser& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"env", "Print the environment as JSON (versions, devices, BLAS, threads)",
         "env",
         runEnv},
        {"download", "Download a Hub model (or dataset) into the Hugging Face cache",
         "download REPO_ID [--revision REV] [--repo-type model|dataset]",
         runDownload},
        {"inspect", "Describe a model as JSON (dims, params, hook points)",
         "inspect MODEL",
         runInspect},
        {"estimate", "Predict the memory a run needs (weights, activations, workspace)",
         "estimate --model MODEL --quant Q --hook HOOK [--device D]",
         runEstimate},
        {"tokenize", "Tokenize JSON lines {\"text\"} to {\"ids\", \"tokens\"} lines",
         "tokenize (--model MODEL | --tokenizer PATH) [--no-special] --input FILE.jsonl",
         runTokenize},
        {"forward", "Run a model on token ids; write hidden states and logits (safetensors)",
         "forward --model MODEL --input-ids FILE.safetensors --out OUT.safetensors [--device cpu|cuda] [--dtype float32|bfloat16|float16] [--quant none|bf16|fp16|int8|nf4|int4]",
         runForward},
        {"generate", "Greedy continuation of a prompt",
         "generate --model MODEL (--prompt TEXT | --prompt-ids 1,2,3) [--max-new-tokens N] [--device cpu|cuda] [--json]",
         runGenerate},
        {"make-synthetic", "Write a random-weight model folder with real shapes (benchmarks)",
         "make-synthetic --like gpt2-small|gpt2-medium|gpt2-tiny|phi4 --out DIR [--layers N] [--seed N]",
         runMakeSynthetic},
        {"dataset-preview", "Print a dataset's first documents as JSON lines",
         "dataset-preview SPEC [--text-field F] [--limit N] [--txt-split file|blank-lines]",
         runDatasetPreview},
        {"extract", "Collect activations at hook points into an activation cache",
         "extract --model MODEL --dataset SPEC --hook HOOK[,HOOK...] --tokens N [--context-length C] [--batch-size B] [--quant Q] [--device D] [--dtype fp16|bf16|fp32] [--text-field F] --out DIR",
         runExtract},
        {"cache-info", "Print an activation cache's manifest as JSON",
         "cache-info DIR",
         runCacheInfo},
        {"train", "Train sparse autoencoders (RUN.json); JSON metrics per logging step",
         "train --config RUN.json [--resume] [--reshard] [--project P]",
         runTrain},
        {"launch", "Start N local ranks of a command (data-parallel training, like torchrun)",
         "launch --nproc N [--master-addr A] [--master-port P] -- SUBCOMMAND ARGS...",
         runLaunch},
        {"cluster-job", "Write RUN.json plus torchrun and SLURM scripts for a cluster run",
         "cluster-job --config RUN.json --nodes N --gpus-per-node G --out DIR",
         runClusterJob},
        {"eval", "Evaluate a SAELens SAE spliced into the model (JSON metrics)",
         "eval --sae DIR --model MODEL --dataset SPEC --tokens N [--context-length C] [--text-field F] [--device D] [--hook HOOK]",
         runEval},
        {"import-sae", "Record a published SAELens-format SAE in a project as a run",
         "import-sae --project P --sae DIR|hf:REPO[/SUBFOLDER] --model MODEL",
         runImportSae},
        {"analyze", "Compute every feature's page of a run into the project",
         "analyze --project P --run RUN [--tokens N] [--dataset SPEC] [--text-field F] [--device D]",
         runAnalyze},
        {"run", "Run every stage (download, extract, train, evaluate, analyze) into a project",
         "run --config RUN.json --project P.mistudio [--json-events]",
         runRun},
        {"runs", "List a project's runs (oldest first)",
         "runs --project P [--json]",
         runRuns},
        {"features", "List a run's features, sorted and filtered",
         "features --project P --run RUN [--sort density|max|mean|index|label] [--order asc|desc] [--limit N] [--offset N] [--min-density X] [--max-density X] [--search TEXT] [--fires-on TOKEN] [--json]",
         runFeatures},
        {"feature", "Show one feature's page (examples, logit effects, histogram, neighbors)",
         "feature --project P --run RUN --index I [--json]",
         runFeature},
        {"export", "Export a run: SAELens folder, Neuronpedia JSON, CSV, JSON or HTML report",
         "export --project P --run RUN --format saelens|neuronpedia|csv|json|html --out PATH [--features frequent|max|labelled] [--top N]",
         runExport},
        {"bench", "Benchmarks: a table, then one JSON line (bench NAME --help lists them)",
         "bench tokenize|forward|extract|sae|store|quant|memory ...",
         runBench},
    };
    return table;
}

}  // namespace mistudio::cli
