// Activation cache -> shuffled training batches, epoch after epoch, with exact-resume state.
#include "sae/cache_source.h"

#include "activations/reader.h"
#include "mistudio/result.h"

namespace mistudio::sae {

CacheSource::CacheSource(std::shared_ptr<const activations::ActivationCache> cache,
                         int64_t trainRows, int64_t bufferRows, uint64_t seed)
    : m_cache(std::move(cache)), m_trainRows(trainRows), m_bufferRows(bufferRows), m_seed(seed) {
    if (m_trainRows < 1 || m_trainRows > m_cache->rows())
        throw Exception(ErrorCode::InvalidArgument,
                        "the cache holds " + std::to_string(m_cache->rows()) +
                            " rows; cannot train on " + std::to_string(m_trainRows),
                        m_cache->folder(), "lower eval_tokens or extract more rows");
    startEpoch(1);
}

CacheSource::~CacheSource() = default;

int64_t CacheSource::dim() const {
    return m_cache->dModel();
}

std::string CacheSource::describe() const {
    return m_cache->folder();
}

void CacheSource::startEpoch(int64_t epoch) {
    // A distinct, reproducible shuffle per epoch (splitmix-style constant).
    const uint64_t seed = m_seed + static_cast<uint64_t>(epoch - 1) * 0x9E3779B97F4A7C15ULL;
    m_batches =
        std::make_unique<activations::ShuffledBatches>(m_cache, 1, m_bufferRows, seed, m_trainRows);
    m_epoch = epoch;
}

at::Tensor CacheSource::next(int64_t batch) {
    std::vector<at::Tensor> parts;
    int64_t need = batch;
    while (need > 0) {
        auto b = m_batches->next(need);
        if (!b) {
            startEpoch(m_epoch + 1);
            continue;
        }
        need -= b->activations.size(0);
        parts.push_back(std::move(b->activations));
    }
    return parts.size() == 1 ? parts[0] : at::cat(parts, 0);
}

SourceState CacheSource::state() const {
    const auto it = m_batches->state();
    SourceState s;
    s.info = {
        {"kind", "cache"},           {"rows", m_cache->rows()},     {"dim", m_cache->dModel()},
        {"train_rows", m_trainRows}, {"buffer_rows", m_bufferRows}, {"epoch", m_epoch},
        {"iterator", it.info}};
    s.tensors = {{"shard_order", it.shardOrder}, {"pending", it.pending}, {"buffer", it.buffer}};
    return s;
}

void CacheSource::restore(const SourceState& s) {
    if (s.info.value("kind", "") != "cache" || s.info.value("rows", -1) != m_cache->rows() ||
        s.info.value("train_rows", -1) != m_trainRows ||
        s.info.value("buffer_rows", -1) != m_bufferRows)
        throw Exception(ErrorCode::InvalidFormat,
                        "the checkpoint was written for other activations (" + s.info.dump() + ")",
                        describe(), "resume with the same cache, eval_tokens and buffer size");
    startEpoch(s.info.at("epoch").get<int64_t>());
    activations::ShuffledBatches::State it;
    it.info = s.info.at("iterator");
    it.shardOrder = requireTensor(s, "shard_order");
    it.pending = requireTensor(s, "pending");
    it.buffer = requireTensor(s, "buffer");
    m_batches->restore(it);
}

} // namespace mistudio::sae
