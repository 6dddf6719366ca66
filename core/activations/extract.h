#pragma once
// Activation extraction: a dataset's documents, tokenized and packed into windows
// (data::WindowPacker), run through the model in batches that stop at the deepest requested hook;
// the activations of the included positions are written to an activation cache (cache.h), one
// folder per hook when several. Resumable: an interrupted run continues after its last complete
// shard and produces the same bytes. Internal header.

#include "mistudio/dataset.h"
#include "mistudio/token_windows.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mistudio {
class JobContext;
}

namespace mistudio::activations {

struct ExtractRequest {
    std::string model; // local model folder (tokenizer.json beside the weights)
    std::vector<std::string> hooks;
    data::DatasetSpec dataset;
    int64_t tokens = 0; // exactly this many activation rows (fewer only if the data runs out)
    int contextLength = 128;
    int batchSize = 8;
    std::string quantization = "none";
    bool doubleQuant = false; // nf4: 8-bit block scales (model::LoadOptions::doubleQuant)
    std::string device = "cpu";
    std::string dtype = "fp16"; // stored dtype: fp16 | bf16 | fp32
    bool keepSpecialTokens = false;
    data::Packing packing = data::Packing::Concatenate;
    int64_t rowsPerShard = 0; // 0: about 256 MB of activations per shard
    std::string outDir;
    /// Skip the refusal of a plan predicted not to fit in memory (mistudio/memory.h).
    bool ignoreMemoryCheck = false;
    /// Called after each shard (all hooks) is on disk with its index; for tests and logging.
    std::function<void(int64_t shard)> onShard;
};

struct ExtractSummary {
    int64_t rows = 0;
    int64_t shards = 0;
    int64_t resumedShards = 0; // shards found complete on disk and kept
    bool alreadyComplete = false;
    int64_t fp16Overflow = 0;
    double seconds = 0;          // wall time of the whole step, setup included
    double setupSeconds = 0;     // memory check, tokenizer and model load, cache folders
    double packSeconds = 0;      // reading, tokenizing and packing windows
    double forwardSeconds = 0;   // model forward and moving the kept rows to the stored dtype
    double writeSeconds = 0;     // shard writes and the manifest
    int64_t tokensForwarded = 0; // window positions run through the model (included or not)
    uint64_t bytesWritten = 0;
    std::vector<std::string> cacheFolders; // one per hook, in request order
};

/// Runs the extraction as a job step: progress in tokens, cancellation through ctx.
/// Throws mistudio::Exception for bad requests and for an existing cache that does not match.
ExtractSummary extractActivations(const ExtractRequest& request, JobContext& ctx);

/// The folder of `hook` inside `outDir` (outDir itself when there is one hook).
std::string hookFolder(const std::string& outDir, const std::vector<std::string>& hooks,
                       const std::string& hook);

} // namespace mistudio::activations
