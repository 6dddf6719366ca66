#pragma once
// Training activations streamed from an activation cache folder (`mistudio-cli extract`): the
// rows [0, trainRows) go through activations::ShuffledBatches (shards in a seeded order, a
// shuffle buffer of row indices mixing shards, rows read from the memory-mapped shards per batch),
// one epoch after another, each epoch with its own seed. Nothing is loaded whole, so a cache
// larger than memory trains. Internal header.
//
// The batches differ from those of the in-memory TensorSource used before for the same seed:
// that drew a global permutation of every row, which needs all rows in memory (or random reads
// across every shard); this source mixes rows within a bounded buffer (shuffle_buffer_tokens).
// Each epoch still visits every training row exactly once.

#include "sae/source.h"

#include <memory>

namespace mistudio::activations {
class ActivationCache;
class ShuffledBatches;
} // namespace mistudio::activations

namespace mistudio::sae {

class CacheSource : public ActivationSource {
public:
    CacheSource(std::shared_ptr<const activations::ActivationCache> cache, int64_t trainRows,
                int64_t bufferRows, uint64_t seed);
    ~CacheSource() override;
    int64_t dim() const override;
    at::Tensor next(int64_t batch) override;
    SourceState state() const override;
    void restore(const SourceState& state) override;
    std::string describe() const override;
    int64_t epoch() const { return m_epoch; }

private:
    void startEpoch(int64_t epoch);
    std::shared_ptr<const activations::ActivationCache> m_cache;
    int64_t m_trainRows, m_bufferRows;
    uint64_t m_seed;
    int64_t m_epoch = 0;
    std::unique_ptr<activations::ShuffledBatches> m_batches;
};

} // namespace mistudio::sae
