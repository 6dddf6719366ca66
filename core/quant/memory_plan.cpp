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
// LibTorch, OpenBLAS and the process itself, measured as RSS of mistudio-cli before loading.
constexpr int64_t kRuntimeBaselineBytes = 220ll << 20;

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
/// Fused matrices the families assemble from separate tensors (q|k|v, gate|up): while such a
/// group is quantized, its parts' file pages and the fused copy (stored dtype) coexist.
std::string fusedGroup(const std::string& name) {
    for (const char* part : {"q_proj.", "k_proj.", "v_proj."})
        if (name.find(part) != std::string::npos)
            return name.substr(0, name.find(part)) + "qkv";
    for (const char* part : {"gate_proj.", "up_proj."})
        if (name.find(part) != std::string::npos)
            return name.substr(0, name.find(part)) + "gate_up";
    return name;
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
    std::map<std::string, int64_t> loadTransient; // file pages (+ fused copy) per quantized matrix
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
        p.weightBytes +=
            bytesInFormat(t, mode, linear, vocab, info.modelType == "gpt2", req.doubleQuant);
        if (quantized && (linear || vocab)) {
            const std::string group = fusedGroup(name);
            loadTransient[group] += (group == name ? 1 : 2) * static_cast<int64_t>(t.nbytes());
        }
    }
    const int64_t tokens = req.batch * req.seq;
    // Residual + attention/MLP intermediates of one layer, and the attention scores of one layer.
    p.activationBytes = 4 * tokens * (6 * info.dModel + 3 * info.dMlp) +
                        4 * req.batch * info.nHeads * req.seq * req.seq;
    if (p.needsUnembedding)
        p.activationBytes += 4 * tokens * info.vocabSize;
    // Loading holds one matrix's file pages (and a fused copy) while it is quantized chunk by
    // chunk; forwards dequantize one chunk of rows at a time (quant::linear).
    int64_t largestLoad = 0;
    for (const auto& [group, bytes] : loadTransient)
        largestLoad = std::max(largestLoad, bytes);
    p.workspaceBytes = (quantized ? largestLoad + kChunkTemporaryBytes : 0) +
                       (req.device == "cpu" ? kRuntimeBaselineBytes : 0);
    p.totalBytes = p.weightBytes + p.activationBytes + p.workspaceBytes;
    return p;
}

} // namespace mistudio
