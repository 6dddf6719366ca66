// Activation cache format: shard files, statistics, manifest/request JSON.
#include "activations/cache.h"

#include "io/safetensors.h"
#include "mistudio/result.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mistudio::activations {

std::string shardName(int64_t index) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "shard-%05lld.safetensors", static_cast<long long>(index));
    return buf;
}

at::ScalarType parseCacheDtype(const std::string& name) {
    if (name == "fp16" || name == "float16")
        return at::kHalf;
    if (name == "bf16" || name == "bfloat16")
        return at::kBFloat16;
    if (name == "fp32" || name == "float32")
        return at::kFloat;
    throw Exception(ErrorCode::InvalidArgument, "unknown cache dtype '" + name + "'", "--dtype",
                    "Use fp16 (default), bf16 or fp32");
}

std::string cacheDtypeName(at::ScalarType dtype) {
    switch (dtype) {
    case at::kHalf: return "fp16";
    case at::kBFloat16: return "bf16";
    default: return "fp32";
    }
}

RunningStats::RunningStats(int64_t dModel)
    : m_d(dModel), m_sum(static_cast<size_t>(dModel), 0.0), m_hist(kBins, 0) {}

void RunningStats::add(const at::Tensor& rows) {
    if (rows.size(0) == 0)
        return;
    const at::Tensor x = rows.to(at::kDouble).contiguous();
    const at::Tensor colSum = x.sum(0).contiguous();
    const double* s = colSum.data_ptr<double>();
    for (int64_t j = 0; j < m_d; ++j)
        m_sum[static_cast<size_t>(j)] += s[j];
    const at::Tensor norms = x.norm(2, {1}).contiguous();
    const double* nr = norms.data_ptr<double>();
    for (int64_t i = 0; i < norms.size(0); ++i) {
        const double v = nr[i];
        if (m_n == 0 && i == 0)
            m_normMin = m_normMax = v;
        m_normMin = std::min(m_normMin, v);
        m_normMax = std::max(m_normMax, v);
        m_normSum += v;
        const double pos = (std::log10(std::max(v, 1e-30)) - kLog10Min) / (kLog10Max - kLog10Min);
        const int bin = std::clamp(static_cast<int>(pos * kBins), 0, kBins - 1);
        ++m_hist[static_cast<size_t>(bin)];
    }
    m_n += rows.size(0);
}

nlohmann::json RunningStats::toJson() const {
    nlohmann::json mean = nlohmann::json::array();
    for (double s : m_sum)
        mean.push_back(m_n ? s / double(m_n) : 0.0);
    nlohmann::json edges = nlohmann::json::array();
    for (int b = 0; b <= kBins; ++b)
        edges.push_back(std::pow(10.0, kLog10Min + (kLog10Max - kLog10Min) * b / kBins));
    return {{"rows", m_n},
            {"mean", mean},
            {"mean_norm", m_n ? m_normSum / double(m_n) : 0.0},
            {"min_norm", m_normMin},
            {"max_norm", m_normMax},
            {"norm_histogram", {{"bin_edges", edges}, {"counts", m_hist}}}};
}

void writeShard(const std::string& path, const at::Tensor& activations,
                const std::vector<int32_t>& tokenIds, const std::vector<int64_t>& documentIds,
                const std::vector<int32_t>& positions, int64_t fp16Overflow) {
    const at::Tensor acts = activations.contiguous();
    const int64_t n = acts.size(0);
    io::SafetensorsWriter w(path,
                            {{"format", "pt"}, {"fp16_overflow", std::to_string(fp16Overflow)}});
    w.declare("activations", io::fromScalarType(acts.scalar_type()), {n, acts.size(1)});
    w.declare("token_ids", io::DType::I32, {n});
    w.declare("document_ids", io::DType::I64, {n});
    w.declare("positions", io::DType::I32, {n});
    w.write("activations", acts);
    w.write("token_ids", tokenIds.data(), tokenIds.size() * sizeof(int32_t));
    w.write("document_ids", documentIds.data(), documentIds.size() * sizeof(int64_t));
    w.write("positions", positions.data(), positions.size() * sizeof(int32_t));
    w.commit();
}

nlohmann::json readJsonFile(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw Exception(ErrorCode::NotFound, "cannot read " + path, path,
                        "Check the activation cache folder");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw Exception(ErrorCode::InvalidFormat, std::string("invalid JSON: ") + e.what(), path,
                        "Delete the folder and extract again");
    }
}

void writeJsonAtomically(const std::string& path, const nlohmann::json& value) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << value.dump(2) << "\n";
        out.flush();
        if (!out)
            throw Exception(ErrorCode::Io, "cannot write " + tmp, tmp,
                            "Check free disk space and permissions");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        throw Exception(ErrorCode::Io, "cannot rename to " + path + ": " + ec.message(), path,
                        "Check permissions of the output folder");
}

std::string requestMismatch(const nlohmann::json& cache, const nlohmann::json& request) {
    static const char* keys[] = {"model",        "revision",       "hook",
                                 "dataset",      "text_field",     "context_length",
                                 "quantization", "dtype",          "keep_special_tokens",
                                 "packing",      "rows_requested", "rows_per_shard",
                                 "double_quant", "model_files"};
    for (const char* k : keys) {
        const auto a = cache.contains(k) ? cache.at(k) : nlohmann::json();
        const auto b = request.contains(k) ? request.at(k) : nlohmann::json();
        if (a != b)
            return std::string(k) + ": cache " + a.dump() + ", request " + b.dump();
    }
    return "";
}

} // namespace mistudio::activations
