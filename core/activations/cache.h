#pragma once
// The activation cache on disk: one folder per hook holding shard-00000.safetensors ... (tensors
// `activations` [n, d], `token_ids` [n] int32, `document_ids` [n] int64, `positions` [n] int32),
// `request.json` (what is being extracted, written first so an interrupted run can be resumed and
// a different request refused) and `manifest.json` (written last: the cache is complete).
// Internal header: uses ATen.

#include <ATen/ATen.h>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mistudio::activations {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kRequestFile = "request.json";
inline constexpr double kFp16Max = 65504.0;

std::string shardName(int64_t index); // "shard-00000.safetensors"

/// "fp16" | "bf16" | "fp32" (also float16/bfloat16/float32) -> the stored dtype.
at::ScalarType parseCacheDtype(const std::string& name);
std::string cacheDtypeName(at::ScalarType dtype); // "fp16" | "bf16" | "fp32"

/// Normalisation statistics accumulated shard by shard from the stored (rounded) values, so a
/// resumed extraction computes exactly what an uninterrupted one does.
class RunningStats {
public:
    explicit RunningStats(int64_t dModel = 0);
    void add(const at::Tensor& rows); // [n, d], any floating dtype
    nlohmann::json toJson() const;

    static constexpr int kBins = 64;
    static constexpr double kLog10Min = -4.0, kLog10Max = 6.0;

private:
    int64_t m_d = 0;
    int64_t m_n = 0;
    std::vector<double> m_sum;
    double m_normSum = 0;
    double m_normMin = 0, m_normMax = 0;
    std::vector<int64_t> m_hist;
};

/// Writes one shard atomically (temp + rename through io::SafetensorsWriter).
/// `activations` is already in the stored dtype; `fp16Overflow` goes into the shard's metadata.
void writeShard(const std::string& path, const at::Tensor& activations,
                const std::vector<int32_t>& tokenIds, const std::vector<int64_t>& documentIds,
                const std::vector<int32_t>& positions, int64_t fp16Overflow);

nlohmann::json readJsonFile(const std::string& path);
void writeJsonAtomically(const std::string& path, const nlohmann::json& value);

/// The request fields a cache must match to be reused or resumed. Returns a description of the
/// first difference ("context_length: cache 128, request 64"), or "" when they match.
std::string requestMismatch(const nlohmann::json& cache, const nlohmann::json& request);

} // namespace mistudio::activations
