#pragma once
// Reading an activation cache: random access to rows (the shards are memory-mapped through
// io::SafetensorsFile) and a shuffled batch iterator, deterministic for a seed.
// Internal header: uses ATen.

#include <ATen/ATen.h>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace mistudio::io {
class SafetensorsFile;
}

namespace mistudio::activations {

class ActivationCache {
public:
    /// Opens a complete cache folder (one holding manifest.json). Throws NotFound / InvalidFormat
    /// naming the folder and what is wrong (an unfinished extraction says how to resume it).
    static std::shared_ptr<ActivationCache> open(const std::string& folder);

    const nlohmann::json& manifest() const { return m_manifest; }
    const std::string& folder() const { return m_folder; }
    int64_t rows() const { return m_rows; }
    int64_t dModel() const { return m_d; }
    int64_t shardCount() const { return static_cast<int64_t>(m_shards.size()); }
    int64_t shardRows(int64_t shard) const;
    int64_t shardStart(int64_t shard) const { return m_starts.at(static_cast<size_t>(shard)); }

    /// Row i as fp32 [d]. Throws InvalidArgument when out of range.
    at::Tensor row(int64_t i) const;
    /// Rows as fp32 [n, d], in the order given.
    at::Tensor gather(const std::vector<int64_t>& rows) const;
    /// Zero-copy views of one shard's tensors (stored dtype).
    at::Tensor shardTensor(int64_t shard, const std::string& name) const;
    int32_t tokenId(int64_t i) const;
    int64_t documentId(int64_t i) const;
    int32_t position(int64_t i) const;

private:
    std::pair<int64_t, int64_t> locate(int64_t i) const; // (shard, row in shard)
    std::string m_folder;
    nlohmann::json m_manifest;
    std::vector<std::shared_ptr<io::SafetensorsFile>> m_shards;
    std::vector<int64_t> m_starts; // first global row of each shard
    int64_t m_rows = 0;
    int64_t m_d = 0;
};

/// Shuffled batches over every row once (one epoch): shards are visited in a seeded order, their
/// rows stream through a buffer of `bufferRows` rows, and each batch row is drawn at random from
/// the buffer, so rows of different shards mix. Same seed, same batches. With `rowLimit` >= 0
/// only rows [0, rowLimit) are visited (the rest is held out). Memory: the buffer's row indices
/// and one shard's row indices; activations are read from the memory-mapped shards per batch.
class ShuffledBatches {
public:
    ShuffledBatches(std::shared_ptr<const ActivationCache> cache, int64_t batchSize,
                    int64_t bufferRows, uint64_t seed, int64_t rowLimit = -1);

    /// Everything that decides the batches from here on: restore(state()) on an iterator built
    /// with the same arguments gives the same following batches.
    struct State {
        nlohmann::json info;                    // position and the generator's state (text)
        at::Tensor shardOrder, pending, buffer; // int64
    };
    State state() const;
    /// Throws InvalidFormat when the state belongs to another cache.
    void restore(const State& state);

    struct Batch {
        at::Tensor activations;    // fp32 [b, d]
        std::vector<int64_t> rows; // the cache rows, for provenance
    };
    /// The next batch (the last may be short), or nullopt after the epoch.
    std::optional<Batch> next(int64_t maxRows = -1);

private:
    bool fillOne();
    std::shared_ptr<const ActivationCache> m_cache;
    int64_t m_batch, m_bufferRows, m_rowLimit;
    std::mt19937_64 m_rng;
    std::vector<int64_t> m_shardOrder;
    size_t m_nextShard = 0;
    std::vector<int64_t> m_pending; // rows of the current shard still to enter the buffer
    std::vector<int64_t> m_buffer;
};

} // namespace mistudio::activations
