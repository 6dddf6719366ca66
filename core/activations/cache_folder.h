#pragma once
// One hook's cache folder during an extraction: checks an existing folder against the request
// (refusing a mismatch), keeps the complete shards of an interrupted run, then writes new shards,
// statistics and, last, the manifest. Internal header.

#include "activations/cache.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mistudio::activations {

class CacheFolder {
public:
    /// `request`: the identity fields (requestMismatch keys). Creates the folder if needed.
    CacheFolder(std::string folder, nlohmann::json request, int64_t dModel);

    const std::string& path() const { return m_folder; }
    /// The folder already holds a complete cache for this request.
    bool complete() const { return m_complete; }
    /// Consecutive complete shards found on disk (all of them when complete()).
    int64_t shardsOnDisk() const { return m_shardsOnDisk; }
    /// Keeps shards 0..keep-1 (their rows and statistics are counted), deletes the rest, and
    /// writes request.json. Returns the rows kept.
    int64_t startFrom(int64_t keep);
    /// Writes the next shard (activations already in the stored dtype).
    void writeShard(const at::Tensor& activations, const std::vector<int32_t>& tokenIds,
                    const std::vector<int64_t>& documentIds, const std::vector<int32_t>& positions);
    /// manifest.json, atomically. Returns it.
    nlohmann::json finish(const nlohmann::json& extra);

    int64_t rows() const { return m_rows; }
    int64_t shards() const { return static_cast<int64_t>(m_shardList.size()); }
    int64_t fp16Overflow() const { return m_overflow; }
    uint64_t bytesWritten() const { return m_bytesWritten; }

private:
    void account(const at::Tensor& stored, const std::string& file);
    std::string m_folder;
    nlohmann::json m_request;
    int64_t m_d;
    bool m_complete = false;
    int64_t m_shardsOnDisk = 0;
    RunningStats m_stats;
    nlohmann::json m_shardList = nlohmann::json::array();
    int64_t m_rows = 0;
    int64_t m_overflow = 0;
    uint64_t m_bytesWritten = 0;
};

} // namespace mistudio::activations
