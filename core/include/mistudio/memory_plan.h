#pragma once
// What a run will need before it starts: the wizard shows it and the pipeline refuses a plan that
// cannot fit. Computed from config.json and the safetensors headers only (nothing is loaded).

#include <cstdint>
#include <string>

namespace mistudio {

struct MemoryPlanRequest {
    std::string modelFolder;
    std::string quant = "none";  // none | bf16 | fp16 | int8 | nf4 | int4
    std::string device = "cpu";
    std::string upToHook;        // deepest hook the run reads; empty: the whole model with logits
    int64_t batch = 8;
    int64_t seq = 128;
    bool doubleQuant = false;    // nf4 with 8-bit block scales
};

struct MemoryPrediction {
    int64_t weightBytes = 0;      // resident weights in the chosen format
    int64_t activationBytes = 0;  // the largest layer's activations for batch × seq
    int64_t workspaceBytes = 0;   // transients (loading or dequantizing, the larger phase beyond
                                  // the activations) + the runtime's own baseline on the CPU
    int64_t totalBytes = 0;
    int64_t layersLoaded = 0;
    int64_t layersTotal = 0;
    bool needsUnembedding = false;
};

/// Throws mistudio::Exception for an unknown quantization, hook or unreadable model folder.
MemoryPrediction predictMemory(const MemoryPlanRequest& request);

/// "1.23 GiB"-style text.
std::string formatBytes(int64_t bytes);

}  // namespace mistudio
