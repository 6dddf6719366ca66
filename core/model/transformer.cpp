// Transformer: opening a folder and lazy, per-block weight loading.
#include "model/transformer.h"

#include "io/safetensors.h"
#include "mistudio/environment.h"
#include "mistudio/model_info.h"
#include "mistudio/result.h"
#include "model/mapped_pages.h"
#include "quant/streaming.h"

#include <malloc.h>
#include <mutex>

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
    at::ScalarType dtype = parseDtype(options.dtype);
    const at::Device device(options.device);
    const quant::QuantMode requested = quant::parseQuantMode(options.quant);
    if (device.is_cpu() && dtype != at::kFloat)
        throw Exception(ErrorCode::Unsupported,
                        "dtype " + options.dtype + " is not supported on the CPU", "--dtype",
                        "Use float32 on the CPU; bfloat16/float16 run on CUDA");
    std::shared_ptr<Transformer> t(new Transformer());
    t->m_folder = folder;
    t->m_cfg = loadModelConfig(folder);
    t->m_family = &findFamily(t->m_cfg.modelType);
    t->m_st = std::make_shared<io::SafetensorsModel>(io::SafetensorsModel::open(folder));
    const ModelConfig& c = t->m_cfg;
    const std::vector<int64_t> embedShape{c.vocabSize, c.dModel};
    {
        const WeightReader probe(t->m_st, t->m_family->basePrefix, at::kFloat, at::kCPU);
        t->m_plan = quant::resolveComputeType(requested, probe.savedDtype(t->m_family->embedName),
                                              options.device);
    }
    // bf16/fp16 (and quantized modes on CUDA) set the compute dtype; fp32 otherwise.
    if (requested != quant::QuantMode::None)
        dtype = t->m_plan.computeDtype;
    t->m_device = device;
    t->m_dtype = dtype;
    t->m_doubleQuant = options.doubleQuant && t->m_plan.mode == quant::QuantMode::NF4;
    t->m_reader = std::make_unique<WeightReader>(t->m_st, t->m_family->basePrefix, dtype, device);
    // The embedding is needed by every forward; its shape also checks config against weights.
    // Quantized runs leave it on the mapping: a forward gathers its rows from the file.
    t->m_embedMapped = t->quantized();
    if (t->m_embedMapped)
        t->m_embed = t->m_reader->view(t->m_family->embedName, embedShape);
    else
        t->m_embed = t->m_reader->get(t->m_family->embedName, embedShape);
    if (c.position == PositionKind::Learned)
        t->m_posEmbed = t->m_reader->get(t->m_family->posEmbedName, {c.maxPositions, c.dModel});
    t->m_reader->setMatrixViews(t->quantized());
    if (t->quantized()) {
        // Quantizing and dequantizing allocate many tens-of-MB temporaries between long-lived
        // weights; glibc's adaptive threshold would serve them from the heap, where freed space
        // stays resident (fragmented). A fixed threshold maps them and unmaps them on free.
        static std::once_flag once;
        std::call_once(once, [] { mallopt(M_MMAP_THRESHOLD, 1 << 20); });
    }
    return t;
}

Transformer::~Transformer() = default;

std::vector<std::string> Transformer::hookPoints() const {
    return hookPointNames(m_cfg.nLayers, m_cfg.hasResidMid());
}

void Transformer::ensureLayers(int64_t n) {
    std::lock_guard lock(m_loadMutex);
    while (static_cast<int64_t>(m_layers.size()) < n) {
        LayerWeights w =
            m_family->loadLayer(*m_reader, m_cfg, static_cast<int64_t>(m_layers.size()));
        if (quantized())
            quantizeLayer(w);
        m_layers.push_back(std::move(w));
    }
}

void Transformer::quantizeLayer(LayerWeights& w) const {
    // The reader hands the matrices out as views of the mapping (families that fuse q|k|v or
    // gate|up from separate tensors have copied those already: their pages go now). Each view is
    // quantized chunk by chunk and every consumed chunk's pages are dropped at once, so the
    // transient is one chunk of file pages, never a float copy of the block.
    m_reader->releaseViews();
    const MappedRanges mapped(*m_st);
    const quant::QuantConfig config{m_plan.mode, 0, m_doubleQuant};
    at::Tensor buffer; // one chunk, read with pread: the mapping's pages are never faulted in
    for (auto [f, q] : {std::pair{&w.wqkv, &w.qkvQ}, std::pair{&w.wo, &w.woQ},
                        std::pair{&w.wIn, &w.wInQ}, std::pair{&w.wOut, &w.wOutQ}}) {
        const at::Tensor source = *f;
        *q = quant::quantizeStreaming(
            source.device() == m_device ? source : source.to(m_device), config,
            [&](const at::Tensor& part) { mapped.drop(part); },
            [&](const at::Tensor& part) { return mapped.read(part, buffer); });
        mapped.drop(source);
        *f = at::Tensor();
    }
}

at::Tensor Transformer::embed(const at::Tensor& ids) const {
    if (!m_embedMapped)
        return at::embedding(m_embed, ids);
    // Rows gathered from the file; its pages are dropped again so that a long extraction does
    // not accumulate the whole embedding in the process's memory.
    const at::Tensor rows = at::embedding(m_embed, ids.cpu()).to(m_device, m_dtype);
    m_reader->release(m_family->embedName);
    return rows;
}

at::Tensor Transformer::unembedding() const {
    return m_lmHeadQ.data.defined() ? quant::dequantize(m_lmHeadQ, m_dtype) : m_lmHead;
}

at::Tensor Transformer::unembed(const at::Tensor& x) const {
    if (m_lmHeadQ.data.defined())
        return quant::linear(x, m_lmHeadQ, m_lmHeadBias);
    return at::linear(x, m_lmHead, m_lmHeadBias);
}

int64_t Transformer::weightBytes() const {
    auto bytes = [](const at::Tensor& t) { return t.defined() ? int64_t(t.nbytes()) : 0; };
    // A mapped embedding is file pages, not process memory.
    int64_t total = (m_embedMapped ? 0 : bytes(m_embed)) + bytes(m_posEmbed) + bytes(m_lmHeadBias) +
                    bytes(m_finalNorm.weight) + bytes(m_finalNorm.bias);
    if (!m_cfg.tieEmbeddings || m_embedMapped)
        total += bytes(m_lmHead) + m_lmHeadQ.bytes();
    for (const LayerWeights& w : m_layers) {
        for (const at::Tensor* t :
             {&w.ln1.weight, &w.ln1.bias, &w.ln2.weight, &w.ln2.bias, &w.postAttnNorm.weight,
              &w.postAttnNorm.bias, &w.postMlpNorm.weight, &w.postMlpNorm.bias, &w.wqkv, &w.bqkv,
              &w.wo, &w.bo, &w.wIn, &w.bIn, &w.wOut, &w.bOut})
            total += bytes(*t);
        total += w.qkvQ.bytes() + w.woQ.bytes() + w.wInQ.bytes() + w.wOutQ.bytes();
    }
    return total;
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
    if (quantized()) {
        // int8, streamed from the mapping; tied models quantize their embedding matrix.
        const std::string name =
            c.tieEmbeddings ? m_family->embedName : m_family->lmHeadName + ".weight";
        m_lmHeadQ =
            m_reader->quantized(name, {c.vocabSize, c.dModel}, {quant::QuantMode::Int8, 0, false});
    } else if (c.tieEmbeddings) {
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
