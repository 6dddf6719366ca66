// Transformer: opening a folder and lazy, per-block weight loading.
#include "model/transformer.h"

#include "io/safetensors.h"
#include "mistudio/environment.h"
#include "mistudio/model_info.h"
#include "mistudio/result.h"

namespace mistudio::model {

at::ScalarType parseDtype(const std::string& name) {
    if (name == "float32" || name == "fp32")
        return at::kFloat;
    if (name == "bfloat16" || name == "bf16")
        return at::kBFloat16;
    if (name == "float16" || name == "fp16")
        return at::kHalf;
    throw Exception(ErrorCode::InvalidArgument, "unknown dtype '" + name + "'", "--dtype",
                    "Use float32, bfloat16 or float16");
}

std::shared_ptr<Transformer> Transformer::open(const std::string& folder,
                                               const LoadOptions& options) {
    checkDevice(options.device);
    const at::ScalarType dtype = parseDtype(options.dtype);
    const at::Device device(options.device);
    if (device.is_cpu() && dtype != at::kFloat)
        throw Exception(ErrorCode::Unsupported,
                        "dtype " + options.dtype + " is not supported on the CPU", "--dtype",
                        "Use float32 on the CPU; bfloat16/float16 run on CUDA");
    std::shared_ptr<Transformer> t(new Transformer());
    t->m_folder = folder;
    t->m_cfg = loadModelConfig(folder);
    t->m_family = &findFamily(t->m_cfg.modelType);
    t->m_device = device;
    t->m_dtype = dtype;
    t->m_st = std::make_shared<io::SafetensorsModel>(io::SafetensorsModel::open(folder));
    t->m_reader = std::make_unique<WeightReader>(t->m_st, t->m_family->basePrefix, dtype, device);
    const ModelConfig& c = t->m_cfg;
    // The embedding is needed by every forward; its shape also checks config against weights.
    t->m_embed = t->m_reader->get(t->m_family->embedName, {c.vocabSize, c.dModel});
    if (c.position == PositionKind::Learned)
        t->m_posEmbed = t->m_reader->get(t->m_family->posEmbedName, {c.maxPositions, c.dModel});
    return t;
}

Transformer::~Transformer() = default;

std::vector<std::string> Transformer::hookPoints() const {
    return hookPointNames(m_cfg.nLayers, m_cfg.hasResidMid());
}

void Transformer::ensureLayers(int64_t n) {
    std::lock_guard lock(m_loadMutex);
    while (static_cast<int64_t>(m_layers.size()) < n)
        m_layers.push_back(
            m_family->loadLayer(*m_reader, m_cfg, static_cast<int64_t>(m_layers.size())));
}

void Transformer::ensureHead(bool unembedding) {
    std::lock_guard lock(m_loadMutex);
    const ModelConfig& c = m_cfg;
    if (!m_finalNormLoaded) {
        m_finalNorm = m_reader->norm(m_family->finalNormName, c.dModel);
        m_finalNormLoaded = true;
    }
    if (!unembedding || m_headLoaded)
        return;
    if (c.tieEmbeddings) {
        m_lmHead = m_embed; // the output projection is the (unscaled) input embedding
    } else {
        m_lmHead = m_reader->get(m_family->lmHeadName + ".weight", {c.vocabSize, c.dModel});
    }
    if (c.lmHeadBias)
        m_lmHeadBias = m_reader->get(m_family->lmHeadName + ".bias", {c.vocabSize});
    m_headLoaded = true;
}

void Transformer::preload(int64_t layers, bool head) {
    ensureLayers(std::min(layers, m_cfg.nLayers));
    if (head)
        ensureHead(true);
}

int64_t Transformer::layersLoaded() const {
    return static_cast<int64_t>(m_layers.size());
}

int64_t Transformer::matmulParameters(int64_t layers, bool head) const {
    const ModelConfig& c = m_cfg;
    const int64_t d = c.dModel, hd = c.headDim;
    const int64_t attn = d * hd * (c.nHeads + 2 * c.nKvHeads) + hd * c.nHeads * d;
    const int64_t mlpParams = d * c.dMlp * (c.gatedMlp ? 3 : 2);
    return std::min(layers, c.nLayers) * (attn + mlpParams) + (head ? c.vocabSize * d : 0);
}

} // namespace mistudio::model
