// Hub datasets: a spec "hf:org/name[:config][:split][@rev]" to the local files of one split,
// through the Parquet conversion when there is one, else the repo's own data files.
#include "hub/api.h"
#include "hub/cache.h"
#include "hub/dataset_layout.h"
#include "hub/download.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <filesystem>
#include <set>
#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace mistudio::hub {

namespace {

constexpr const char* kParquetRevision = "refs/convert/parquet";
constexpr const char* kSpecForm = "hf:org/name[:config][:split][@revision]";

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

template <class Map> std::vector<std::string> keysOf(const Map& m) {
    std::vector<std::string> out;
    for (const auto& kv : m)
        out.push_back(kv.first);
    return out;
}

// Where the files come from, for messages.
struct Source {
    RepoId id;
    bool conversion = false; // refs/convert/parquet
    bool fromCache = false;
    std::string describe() const {
        return id.repo + "@" + id.revision + (fromCache ? " (in the cache)" : "");
    }
};

std::vector<std::string> pickSplit(const DatasetLayout& layout, DatasetSpec spec,
                                   const Source& source) {
    const std::string where = source.describe();
    if (layout.empty())
        throw Exception(ErrorCode::NotFound,
                        "no data files (.parquet .jsonl .json .csv .tsv .txt) in " + where, where,
                        source.fromCache ? "Download the dataset while online first"
                                         : "Check the dataset id and revision");
    if (spec.configOrSplit && !layout.count(spec.config)) {
        spec.split = spec.config; // "hf:org/name:test" = the test split of the default config
        spec.config.clear();
    }
    if (spec.config.empty()) {
        if (layout.count("default"))
            spec.config = "default";
        else if (layout.size() == 1)
            spec.config = layout.begin()->first;
        else
            throw Exception(ErrorCode::InvalidArgument,
                            spec.id.repo + " has several configs: " + joined(keysOf(layout)), where,
                            "Name one: hf:" + spec.id.repo + ":CONFIG[:SPLIT]");
    }
    const auto config = layout.find(spec.config);
    if (config == layout.end())
        throw Exception(ErrorCode::NotFound,
                        "no config '" + spec.config + "' in " + spec.id.repo +
                            "; configs: " + joined(keysOf(layout)),
                        where, "Use one of them: hf:" + spec.id.repo + ":CONFIG[:SPLIT]");
    const auto& splits = config->second;
    if (spec.split.empty())
        spec.split = splits.count("train") || splits.size() != 1 ? "train" : splits.begin()->first;
    const auto split = splits.find(spec.split);
    if (split == splits.end())
        throw Exception(ErrorCode::NotFound,
                        "no split '" + spec.split + "' in config '" + spec.config + "' of " +
                            spec.id.repo + "; splits: " + joined(keysOf(splits)),
                        where,
                        "Use one of them: hf:" + spec.id.repo + ":" + spec.config + ":SPLIT");
    return split->second;
}

std::vector<std::string> absolute(const std::string& snapshotDir,
                                  const std::vector<std::string>& files) {
    std::vector<std::string> out;
    for (const auto& f : files)
        out.push_back((fs::path(snapshotDir) / f).string());
    return out;
}

DatasetLayout layoutOf(const Source& source, const std::vector<std::string>& paths) {
    return source.conversion ? parquetConversionLayout(paths) : repoDataLayout(paths);
}

// Offline: the conversion's snapshot if the cache has one, else the revision's.
std::vector<std::string> fromCache(const DatasetSpec& spec, const HubSettings& settings,
                                   bool tryConversion) {
    for (bool conversion : {true, false}) {
        if (conversion && !tryConversion)
            continue;
        Source source{spec.id, conversion, true};
        if (conversion)
            source.id.revision = kParquetRevision;
        const auto snapshot = cachedSnapshot(source.id, settings.cacheDir);
        if (!snapshot)
            continue;
        const auto files = pickSplit(layoutOf(source, listSnapshotFiles(*snapshot)), spec, source);
        return absolute(*snapshot, files);
    }
    throw Exception(ErrorCode::NotFound,
                    "the dataset " + spec.id.repo + "@" + spec.id.revision +
                        " is not in the Hugging Face cache",
                    settings.cacheDir,
                    "Use it once while online (HF_HUB_OFFLINE unset), or set HF_HUB_CACHE to the "
                    "cache that has it");
}

// The conversion's listing, or nullopt when the dataset has none.
std::optional<RepoInfo> conversionListing(const RepoId& id, const HubSettings& settings) {
    RepoId conversion = id;
    conversion.revision = kParquetRevision;
    try {
        return fetchRepoInfo(conversion, settings);
    } catch (const Exception& e) {
        if (e.code() != ErrorCode::NotFound)
            throw;
        return std::nullopt;
    }
}

} // namespace

bool isHubDatasetSpec(const std::string& spec) {
    return spec.rfind("hf:", 0) == 0;
}

DatasetSpec parseDatasetSpec(const std::string& text) {
    std::string rest = isHubDatasetSpec(text) ? text.substr(3) : text;
    std::string revision;
    if (const auto at = rest.find('@'); at != std::string::npos) {
        const auto end = rest.find(':', at);
        revision = rest.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
        rest.erase(at, end == std::string::npos ? std::string::npos : end - at);
        if (revision.empty() || revision.find('@') != std::string::npos ||
            rest.find('@') != std::string::npos)
            throw Exception(ErrorCode::InvalidArgument, "not a valid dataset spec",
                            "'" + text + "'", std::string("Write ") + kSpecForm);
    }
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = rest.find(':', start)) != std::string::npos; start = colon + 1)
        parts.push_back(rest.substr(start, colon - start));
    parts.push_back(rest.substr(start));
    if (parts.size() > 3 || parts[0].empty())
        throw Exception(ErrorCode::InvalidArgument, "not a valid dataset spec", "'" + text + "'",
                        std::string("Write ") + kSpecForm);
    DatasetSpec spec;
    spec.id = parseRepoId(parts[0], RepoType::Dataset, revision);
    spec.revisionGiven = !revision.empty();
    if (parts.size() == 2) {
        spec.config = parts[1];
        spec.configOrSplit = !spec.config.empty();
    } else if (parts.size() == 3) {
        spec.config = parts[1];
        spec.split = parts[2];
    }
    for (const auto* name : {&spec.config, &spec.split})
        if (name->find('/') != std::string::npos || *name == "." || *name == "..")
            throw Exception(ErrorCode::InvalidArgument,
                            "a config or split name cannot contain '/': '" + *name + "'",
                            "'" + text + "'", std::string("Write ") + kSpecForm);
    return spec;
}

std::vector<std::string> resolveDatasetFiles(const std::string& text, const HubSettings& given,
                                             JobContext* ctx) {
    const DatasetSpec spec = parseDatasetSpec(text);
    const HubSettings settings = withCacheDefaults(given);
    checkRevision(spec.id.revision);
    // The conversion is of the main branch: another revision means the repo's own files.
    const bool tryConversion =
        !spec.revisionGiven || spec.id.revision == "main" || spec.id.revision == kParquetRevision;
    if (settings.offline)
        return fromCache(spec, settings, tryConversion);
    std::optional<RepoInfo> listing;
    Source source{spec.id, false, false};
    try {
        if (tryConversion && spec.id.revision != kParquetRevision)
            listing = conversionListing(spec.id, settings);
        source.conversion = listing.has_value() || spec.id.revision == kParquetRevision;
        if (!listing)
            listing = fetchRepoInfo(spec.id, settings);
    } catch (const Exception& e) {
        RepoId conversion = spec.id;
        conversion.revision = kParquetRevision;
        const bool cached = (tryConversion && cachedSnapshot(conversion, settings.cacheDir)) ||
                            cachedSnapshot(spec.id, settings.cacheDir);
        if (e.code() != ErrorCode::Network || !cached)
            throw;
        spdlog::warn("{}; using the copy in the cache", e.what());
        return fromCache(spec, settings, tryConversion);
    }
    source.id = listing->id;
    std::vector<std::string> paths;
    for (const auto& f : listing->files)
        paths.push_back(f.path);
    const auto files = pickSplit(layoutOf(source, paths), spec, source);
    const std::set<std::string> wanted(files.begin(), files.end());
    const auto result = downloadListed(
        *listing, settings, [&](const std::string& p) { return wanted.count(p) > 0; }, ctx);
    return absolute(result.snapshotDir, files);
}

} // namespace mistudio::hub
