// Reading an activation cache: memory-mapped shards, random access, shuffled batches.
#include "activations/reader.h"

#include "activations/cache.h"
#include "io/safetensors.h"
#include "mistudio/result.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace mistudio::activations {

std::shared_ptr<ActivationCache> ActivationCache::open(const std::string& folder) {
    const fs::path dir(folder);
    if (!fs::exists(dir / kManifestFile)) {
        if (fs::exists(dir / kRequestFile))
            throw Exception(ErrorCode::InvalidFormat, "the activation cache is unfinished", folder,
                            "Run the same `mistudio-cli extract` command again to resume it");
        throw Exception(ErrorCode::NotFound, "no manifest.json: not an activation cache", folder,
                        "Give a folder written by `mistudio-cli extract` (with several hooks, "
                        "one of its hook subfolders)");
    }
    auto cache = std::shared_ptr<ActivationCache>(new ActivationCache());
    cache->m_folder = folder;
    cache->m_manifest = readJsonFile((dir / kManifestFile).string());
    const auto& m = cache->m_manifest;
    if (!m.contains("shards") || !m.contains("d_model") || !m.contains("n_rows"))
        throw Exception(ErrorCode::InvalidFormat, "manifest.json lacks shards/d_model/n_rows",
                        folder, "Delete the folder and extract again");
    cache->m_d = m["d_model"].get<int64_t>();
    for (const auto& s : m["shards"]) {
        const std::string path = (dir / s["file"].get<std::string>()).string();
        auto file = io::SafetensorsFile::open(path);
        const auto* info = file->find("activations");
        if (!info || info->shape.size() != 2 || info->shape[0] != s["rows"].get<int64_t>() ||
            info->shape[1] != cache->m_d)
            throw Exception(ErrorCode::InvalidFormat,
                            "shard does not match the manifest (activations shape)", path,
                            "Delete the folder and extract again");
        cache->m_starts.push_back(cache->m_rows);
        cache->m_rows += info->shape[0];
        cache->m_shards.push_back(std::move(file));
    }
    if (cache->m_rows != m["n_rows"].get<int64_t>())
        throw Exception(ErrorCode::InvalidFormat, "the shards' rows do not add up to n_rows",
                        folder, "Delete the folder and extract again");
    return cache;
}

int64_t ActivationCache::shardRows(int64_t shard) const {
    const auto s = static_cast<size_t>(shard);
    return (s + 1 < m_starts.size() ? m_starts[s + 1] : m_rows) - m_starts[s];
}

std::pair<int64_t, int64_t> ActivationCache::locate(int64_t i) const {
    if (i < 0 || i >= m_rows)
        throw Exception(ErrorCode::InvalidArgument,
                        "row " + std::to_string(i) + " is outside the cache (" +
                            std::to_string(m_rows) + " rows)",
                        m_folder, "Ask for a row in [0, n_rows)");
    const auto it = std::upper_bound(m_starts.begin(), m_starts.end(), i) - 1;
    return {it - m_starts.begin(), i - *it};
}

at::Tensor ActivationCache::shardTensor(int64_t shard, const std::string& name) const {
    return m_shards.at(static_cast<size_t>(shard))->view(name);
}

at::Tensor ActivationCache::row(int64_t i) const {
    const auto [s, r] = locate(i);
    return shardTensor(s, "activations")[r].to(at::kFloat);
}

at::Tensor ActivationCache::gather(const std::vector<int64_t>& rows) const {
    // One index_select per shard rather than one copy per row.
    at::Tensor out = at::empty({static_cast<int64_t>(rows.size()), m_d}, at::kFloat);
    std::vector<std::vector<int64_t>> local(m_shards.size()), slots(m_shards.size());
    for (size_t k = 0; k < rows.size(); ++k) {
        const auto [s, r] = locate(rows[k]);
        local[static_cast<size_t>(s)].push_back(r);
        slots[static_cast<size_t>(s)].push_back(static_cast<int64_t>(k));
    }
    for (size_t s = 0; s < m_shards.size(); ++s)
        if (!local[s].empty())
            out.index_copy_(0, at::tensor(slots[s], at::kLong),
                            shardTensor(static_cast<int64_t>(s), "activations")
                                .index_select(0, at::tensor(local[s], at::kLong))
                                .to(at::kFloat));
    return out;
}

int32_t ActivationCache::tokenId(int64_t i) const {
    const auto [s, r] = locate(i);
    return shardTensor(s, "token_ids")[r].item<int32_t>();
}

int64_t ActivationCache::documentId(int64_t i) const {
    const auto [s, r] = locate(i);
    return shardTensor(s, "document_ids")[r].item<int64_t>();
}

int32_t ActivationCache::position(int64_t i) const {
    const auto [s, r] = locate(i);
    return shardTensor(s, "positions")[r].item<int32_t>();
}

ShuffledBatches::ShuffledBatches(std::shared_ptr<const ActivationCache> cache, int64_t batchSize,
                                 int64_t bufferRows, uint64_t seed, int64_t rowLimit)
    : m_cache(std::move(cache)), m_batch(std::max<int64_t>(1, batchSize)),
      m_bufferRows(std::max<int64_t>(1, bufferRows)),
      m_rowLimit(rowLimit < 0 ? m_cache->rows() : std::min(rowLimit, m_cache->rows())),
      m_rng(seed) {
    for (int64_t s = 0; s < m_cache->shardCount(); ++s)
        if (m_cache->shardStart(s) < m_rowLimit)
            m_shardOrder.push_back(s);
    std::shuffle(m_shardOrder.begin(), m_shardOrder.end(), m_rng);
}

namespace {
at::Tensor toTensor(const std::vector<int64_t>& v) {
    return at::tensor(v, at::kLong);
}
std::vector<int64_t> toVector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kLong).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}
} // namespace

ShuffledBatches::State ShuffledBatches::state() const {
    std::ostringstream rng;
    rng << m_rng;
    State s;
    s.info = {{"rows", m_cache->rows()},
              {"row_limit", m_rowLimit},
              {"buffer_rows", m_bufferRows},
              {"next_shard", m_nextShard},
              {"rng", rng.str()}};
    s.shardOrder = toTensor(m_shardOrder);
    s.pending = toTensor(m_pending);
    s.buffer = toTensor(m_buffer);
    return s;
}

void ShuffledBatches::restore(const State& s) {
    if (s.info.value("rows", int64_t(-1)) != m_cache->rows() ||
        s.info.value("row_limit", int64_t(-1)) != m_rowLimit ||
        s.info.value("buffer_rows", int64_t(-1)) != m_bufferRows)
        throw Exception(ErrorCode::InvalidFormat,
                        "the saved position belongs to another cache or buffer size (" +
                            s.info.dump() + ")",
                        m_cache->folder(), "resume with the same cache and settings");
    std::istringstream rng(s.info.at("rng").get<std::string>());
    rng >> m_rng;
    m_nextShard = s.info.at("next_shard").get<size_t>();
    m_shardOrder = toVector(s.shardOrder);
    m_pending = toVector(s.pending);
    m_buffer = toVector(s.buffer);
}

// Moves one row of the stream (shards in seeded order, rows within a shard shuffled) into the
// buffer. False at the end of the stream.
bool ShuffledBatches::fillOne() {
    while (m_pending.empty()) {
        if (m_nextShard == m_shardOrder.size())
            return false;
        const int64_t s = m_shardOrder[m_nextShard++];
        const int64_t first = m_cache->shardStart(s);
        const int64_t n = std::min(m_cache->shardRows(s), m_rowLimit - first);
        for (int64_t r = n - 1; r >= 0; --r)
            m_pending.push_back(first + r);
        std::shuffle(m_pending.begin(), m_pending.end(), m_rng);
    }
    m_buffer.push_back(m_pending.back());
    m_pending.pop_back();
    return true;
}

std::optional<ShuffledBatches::Batch> ShuffledBatches::next(int64_t maxRows) {
    const int64_t want = maxRows > 0 ? maxRows : m_batch;
    Batch b;
    while (static_cast<int64_t>(b.rows.size()) < want) {
        while (static_cast<int64_t>(m_buffer.size()) < m_bufferRows && fillOne()) {
        }
        if (m_buffer.empty())
            break;
        std::uniform_int_distribution<size_t> pick(0, m_buffer.size() - 1);
        const size_t k = pick(m_rng);
        b.rows.push_back(m_buffer[k]);
        m_buffer[k] = m_buffer.back();
        m_buffer.pop_back();
    }
    if (b.rows.empty())
        return std::nullopt;
    b.activations = m_cache->gather(b.rows);
    return b;
}

} // namespace mistudio::activations
