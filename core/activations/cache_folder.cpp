// A hook's cache folder: resume / refuse / write shards / manifest.
#include "activations/cache_folder.h"

#include "io/safetensors.h"
#include "mistudio/result.h"

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace mistudio::activations {

namespace {
int64_t countOverflow(const at::Tensor& stored) {
    if (stored.scalar_type() != at::kHalf)
        return 0;
    return at::isinf(stored).sum().item<int64_t>();
}

[[noreturn]] void refuse(const std::string& folder, const std::string& difference) {
    throw Exception(ErrorCode::InvalidArgument,
                    "the folder holds an activation cache made for a different request (" +
                        difference + ")",
                    folder,
                    "Give another --out folder, or delete this one to extract again; a cache is "
                    "never reused for a request it does not match");
}
} // namespace

CacheFolder::CacheFolder(std::string folder, nlohmann::json request, int64_t dModel)
    : m_folder(std::move(folder)), m_request(std::move(request)), m_d(dModel), m_stats(dModel) {
    std::error_code ec;
    fs::create_directories(m_folder, ec);
    if (ec)
        throw Exception(ErrorCode::Io, "cannot create the cache folder: " + ec.message(), m_folder,
                        "Check the --out path and its permissions");
    const fs::path dir(m_folder);
    const bool hasManifest = fs::exists(dir / kManifestFile);
    const bool hasRequest = fs::exists(dir / kRequestFile);
    if (hasManifest || hasRequest) {
        const auto existing =
            readJsonFile((dir / (hasManifest ? kManifestFile : kRequestFile)).string());
        const std::string diff = requestMismatch(existing, m_request);
        if (!diff.empty())
            refuse(m_folder, diff);
        m_complete = hasManifest;
    } else if (fs::exists(dir / shardName(0))) {
        refuse(m_folder, "shards without request.json or manifest.json");
    }
    if (hasManifest || hasRequest)
        while (fs::exists(dir / shardName(m_shardsOnDisk)))
            ++m_shardsOnDisk;
}

int64_t CacheFolder::startFrom(int64_t keep) {
    const fs::path dir(m_folder);
    std::vector<fs::path> entries; // collected first: removing while iterating is unspecified
    for (const auto& entry : fs::directory_iterator(dir))
        entries.push_back(entry.path());
    for (const auto& entry : entries) {
        const std::string name = entry.filename().string();
        const bool stale = name.find(".tmp") != std::string::npos;
        bool beyond = false;
        if (name.rfind("shard-", 0) == 0) {
            const int64_t index = std::atoll(name.c_str() + 6);
            beyond = index >= keep;
        }
        if (stale || beyond || name == kManifestFile)
            fs::remove(entry);
    }
    for (int64_t s = 0; s < keep; ++s) {
        const std::string file = (dir / shardName(s)).string();
        const auto st = io::SafetensorsFile::open(file);
        account(st->view("activations"), file);
    }
    m_bytesWritten = 0; // only what this run writes
    m_complete = false;
    writeJsonAtomically((dir / kRequestFile).string(), m_request);
    return m_rows;
}

void CacheFolder::account(const at::Tensor& stored, const std::string& file) {
    if (stored.dim() != 2 || stored.size(1) != m_d)
        throw Exception(ErrorCode::InvalidFormat, "activations have the wrong shape", file,
                        "Delete the cache folder and extract again");
    m_stats.add(stored);
    m_overflow += countOverflow(stored);
    m_rows += stored.size(0);
    m_shardList.push_back({{"file", fs::path(file).filename().string()}, {"rows", stored.size(0)}});
}

void CacheFolder::writeShard(const at::Tensor& activations, const std::vector<int32_t>& tokenIds,
                             const std::vector<int64_t>& documentIds,
                             const std::vector<int32_t>& positions) {
    const std::string file = (fs::path(m_folder) / shardName(shards())).string();
    activations::writeShard(file, activations, tokenIds, documentIds, positions,
                            countOverflow(activations));
    m_bytesWritten += fs::file_size(file);
    account(activations, file);
}

nlohmann::json CacheFolder::finish(const nlohmann::json& extra) {
    nlohmann::json manifest = m_request;
    manifest["format"] = "mistudio-activation-cache";
    manifest["format_version"] = 1;
    manifest["d_model"] = m_d;
    manifest["n_rows"] = m_rows;
    manifest["shards"] = m_shardList;
    manifest["statistics"] = m_stats.toJson();
    manifest["fp16_overflow_values"] = m_overflow;
    nlohmann::json warnings = nlohmann::json::array();
    if (m_overflow > 0)
        warnings.push_back(std::to_string(m_overflow) +
                           " activation values exceeded the fp16 range (|x| > 65504) and are "
                           "stored as inf; extract with --dtype bf16 or fp32");
    manifest["warnings"] = warnings;
    for (const auto& [k, v] : extra.items())
        manifest[k] = v;
    writeJsonAtomically((fs::path(m_folder) / kManifestFile).string(), manifest);
    m_complete = true;
    return manifest;
}

} // namespace mistudio::activations
