// Memory prediction from the safetensors headers: which tensors a run loads (layers up to the
// deepest hook, the unembedding only when logits are needed) and what each costs in the chosen
// format (quant/quant.h traits). Calibrated against measured RSS by `mistudio-cli bench memory`.
#include "mistudio/memory_plan.h"

#include "io/safetensors.h"
#include "mistudio/model_info.h"
#include "mistudio/result.h"
#include "model/family.h"
#include "quant/quant.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>

namespace mistudio {

namespace {
// LibTorch, OpenBLAS and the process itself: RSS of mistudio-cli before loading (`bench memory`
// prints it: 153 MiB on Debian 12, LibTorch 1.13.1 CPU).
constexpr int64_t kRuntimeBaselineBytes = 153ll << 20;

/// Deepest block a hook needs: -1 for hook_embed, nLayers for ln_final / logits.
int64_t deepestLayer(const std::string& hook, int64_t nLayers) {
    if (hook.empty() || hook.rfind("ln_final.", 0) == 0)
        return nLayers;
    if (hook == "hook_embed")
        return -1;
    static const std::regex blocks(R"(^blocks\.(\d+)\.hook_[a-z_]+$)");
    std::smatch m;
    if (std::regex_match(hook, m, blocks)) {
        const int64_t layer = std::stoll(m[1]);
        if (layer < nLayers)
            return layer;
    }
    throw Exception(ErrorCode::InvalidArgument, "unknown hook '" + hook + "'", "memory plan",
                    "Use a name like blocks.6.hook_resid_post (see `mistudio-cli inspect MODEL`)");
}

/// Block index of a tensor name ("model.layers.3.mlp..." → 3), or -1 for non-block tensors.
int64_t layerOf(const std::string& name) {
    static const std::regex layer(R"((?:^|\.)(?:h|layers|blocks)\.(\d+)\.)");
    std::smatch m;
    return std::regex_search(name, m, layer) ? std::stoll(m[1]) : -1;
}

bool isUnembedding(const std::string& name) {
    return name == "lm_head.weight" || name == "lm_head.bias" || name == "embed_out.weight";
}

/// The token embedding or unembedding matrix (the family's names, with or without its prefix):
/// the runtime stores them int8 in quantized modes.
bool matchesAny(const std::string& name, const model::Family& f,
                std::initializer_list<std::string> names) {
    for (const std::string& full : names) {
        if (name == full)
            return true;
        if (!f.basePrefix.empty() && full.rfind(f.basePrefix, 0) == 0 &&
            name == full.substr(f.basePrefix.size()))
            return true;
    }
    return false;
}

bool isVocabMatrix(const std::string& name, const model::Family& f) {
    return matchesAny(name, f, {f.embedName, f.lmHeadName + ".weight"});
}

int64_t bytesInFormat(const io::TensorInfo& t, quant::QuantMode mode, bool linear, bool vocab,
                      bool conv1d, bool doubleQuant) {
    const int64_t n = t.numel();
    if (vocab && quant::traits(mode).quantized)
        return n + t.shape.front() * 4; // int8 codes + one fp32 scale per row
    if (!linear || !quant::traits(mode).quantized) {
        // Norms and biases stay fp32; plain formats store 2 or 4 bytes per weight.
        const int64_t bytes = linear ? quant::traits(mode).bytesPerBlock : 4;
        return n * bytes;
    }
    const auto& tr = quant::traits(mode);
    if (tr.blockSize == 0) // int8: one code per weight + one fp32 scale per output row
        return n + (conv1d ? t.shape.back() : t.shape.front()) * 4;
    const int64_t blocks = (n + tr.blockSize - 1) / tr.blockSize;
    if (doubleQuant && mode == quant::QuantMode::NF4) {
        // Packed codes, int8 scales padded to whole groups of 256, one fp32 absmax per group.
        const int64_t groups = (blocks + quant::kDoubleQuantBlock - 1) / quant::kDoubleQuantBlock;
        return blocks * tr.blockSize / 2 + groups * (quant::kDoubleQuantBlock + 4);
    }
    return blocks * tr.bytesPerBlock;
}
} // namespace

std::string formatBytes(int64_t bytes) {
    char buf[32];
    if (bytes >= (1ll << 30))
        std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ll << 30));
    else
        std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ll << 20));
    return buf;
}

namespace {
/// Parts of the matrices families fuse from separate tensors (q|k|v, gate|up): a block's fused
/// copies (stored dtype) and their parts' file pages coexist before the block is quantized.
bool isFusedPart(const std::string& name) {
    // ".v_proj." and not "qkv_proj.", ".up_proj." and not "gate_up_proj." (already fused).
    for (const char* part : {".q_proj.", ".k_proj.", ".v_proj.", ".gate_proj.", ".up_proj."})
        if (name.find(part) != std::string::npos)
            return true;
    return false;
}

/// Temporaries of quantizing or dequantizing one chunk of kChunkWeights weights (fp32 values,
/// int64 codebook indices, the fp32 scratch and its products).
constexpr int64_t kChunkTemporaryBytes = 24 * quant::kChunkWeights;
} // namespace

MemoryPrediction predictMemory(const MemoryPlanRequest& req) {
    const quant::QuantMode mode = quant::parseQuantMode(req.quant);
    const bool quantized = quant::traits(mode).quantized;
    const ModelInfo info = inspectModel(req.modelFolder);
    const io::SafetensorsModel weights = io::SafetensorsModel::open(req.modelFolder);
    const model::Family& family = model::findFamily(info.modelType);
    MemoryPrediction p;
    p.layersTotal = info.nLayers;
    const int64_t deepest = deepestLayer(req.upToHook, info.nLayers);
    p.needsUnembedding = req.upToHook.empty();
    p.layersLoaded = std::min(deepest + 1, info.nLayers);
    // Per quantized matrix (a block's fused parts together): file pages (+ fused copies) while
    // it is read, and the bytes it held already in their place (none for fused copies).
    std::map<std::string, std::pair<int64_t, int64_t>> loadTransient;
    for (const std::string& name : weights.names()) {
        const io::TensorInfo& t = weights.info(name);
        const int64_t layer = layerOf(name);
        if (layer >= 0 && layer > deepest)
            continue;
        if (layer < 0 && isUnembedding(name) && !p.needsUnembedding)
            continue;
        // The final norm is read only for ln_final / logits.
        if (deepest < info.nLayers &&
            matchesAny(name, family,
                       {family.finalNormName + ".weight", family.finalNormName + ".bias"}))
            continue;
        const bool vocab = isVocabMatrix(name, family);
        // Quantized runs gather embedding rows from the file; only an unembedding (tied: the
        // embedding matrix again) is held, as int8, and it is read like a block matrix.
        if (quantized && vocab &&
            !(p.needsUnembedding && (info.tiedEmbeddings || isUnembedding(name))))
            continue;
        const bool linear = layer >= 0 && t.shape.size() == 2;
        // GPT-2's Conv1D stores [in, out]: the runtime transposes it, so rows are the last dim.
        const int64_t held =
            bytesInFormat(t, mode, linear, vocab, info.modelType == "gpt2", req.doubleQuant);
        p.weightBytes += held;
        if (quantized && (linear || vocab)) {
            // Streamed matrices map one chunk of their file pages at a time; fused parts are
            // copied (and their pages mapped) for the whole block before it is quantized.
            const int64_t bytes = static_cast<int64_t>(t.nbytes());
            const bool fused = isFusedPart(name);
            auto& [pages, kept] = loadTransient[fused ? "fused." + std::to_string(layer) : name];
            pages += fused ? 2 * bytes
                           : std::min(bytes, quant::kChunkWeights * bytes /
                                                 std::max<int64_t>(1, t.numel()));
            kept += fused ? 0 : held;
        }
    }
    const int64_t tokens = req.batch * req.seq;
    // Residual + attention/MLP intermediates of one layer, and the attention scores of one layer.
    p.activationBytes = 4 * tokens * (6 * info.dModel + 3 * info.dMlp) +
                        4 * req.batch * info.nHeads * req.seq * req.seq;
    if (p.needsUnembedding)
        p.activationBytes += 4 * tokens * info.vocabSize;
    // The peak is the larger of two phases. Loading: the last block's matrix being quantized
    // holds a chunk of file pages (or the fused copies) in place of its quantized bytes, chunk
    // temporaries on top. Forward: the activations plus one dequantized chunk's temporaries.
    int64_t loadExtra = 0;
    for (const auto& [group, bytes] : loadTransient)
        loadExtra = std::max(loadExtra, bytes.first - bytes.second);
    const int64_t transient =
        quantized ? kChunkTemporaryBytes + std::max(int64_t(0), loadExtra - p.activationBytes) : 0;
    p.workspaceBytes = transient + (req.device == "cpu" ? kRuntimeBaselineBytes : 0);
    p.totalBytes = p.weightBytes + p.activationBytes + p.workspaceBytes;
    return p;
}

} // namespace mistudio
