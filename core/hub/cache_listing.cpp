// What is already in the Hugging Face cache, and whether the Hub answers (see mistudio/hub.h).
#include "hub/api.h"
#include "hub/cache.h"
#include "hub/http.h"
#include "mistudio/hub.h"

#include <algorithm>
#include <filesystem>

namespace mistudio::hub {

namespace {

namespace fs = std::filesystem;

/// "models--org--name" -> (Model, "org/name"); false for anything else (.locks, version.txt...).
bool parseRepoFolder(const std::string& folder, RepoId* id) {
    std::string rest;
    if (folder.rfind("models--", 0) == 0) {
        id->type = RepoType::Model;
        rest = folder.substr(8);
    } else if (folder.rfind("datasets--", 0) == 0) {
        id->type = RepoType::Dataset;
        rest = folder.substr(10);
    } else {
        return false;
    }
    for (size_t pos; (pos = rest.find("--")) != std::string::npos;)
        rest.replace(pos, 2, "/");
    id->repo = rest;
    return !rest.empty();
}

int64_t folderBytes(const fs::path& dir) {
    int64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec) && !it->is_symlink(ec))
            total += static_cast<int64_t>(it->file_size(ec));
    return total;
}

/// The snapshot a ref names ("main" first), else the most recently written one.
std::optional<CachedRepo> readCachedRepo(const fs::path& repoDir, RepoId id) {
    std::error_code ec;
    const fs::path snapshots = repoDir / "snapshots";
    if (!fs::is_directory(snapshots, ec))
        return std::nullopt;
    std::vector<std::string> refs{"main"};
    for (fs::directory_iterator it(repoDir / "refs", ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec) && it->path().filename() != "main")
            refs.push_back(it->path().filename().string());
    CachedRepo repo;
    for (const auto& ref : refs) {
        const auto commit = readRef(repoDir.string(), ref);
        if (commit && fs::is_directory(snapshots / *commit, ec)) {
            id.revision = ref;
            repo.snapshotDir = (snapshots / *commit).string();
            break;
        }
    }
    if (repo.snapshotDir.empty()) {
        fs::file_time_type newest{};
        for (fs::directory_iterator it(snapshots, ec), end; !ec && it != end; it.increment(ec))
            if (it->is_directory(ec) &&
                (repo.snapshotDir.empty() || it->last_write_time(ec) > newest)) {
                newest = it->last_write_time(ec);
                repo.snapshotDir = it->path().string();
                id.revision = it->path().filename().string();
            }
    }
    if (repo.snapshotDir.empty())
        return std::nullopt;
    repo.id = std::move(id);
    repo.sizeBytes = folderBytes(repoDir / "blobs");
    return repo;
}

} // namespace

std::vector<CachedRepo> listCachedRepos(const std::string& cacheDir) {
    std::vector<CachedRepo> repos;
    std::error_code ec;
    for (fs::directory_iterator it(cacheDir, ec), end; !ec && it != end; it.increment(ec)) {
        RepoId id;
        if (!it->is_directory(ec) || !parseRepoFolder(it->path().filename().string(), &id))
            continue;
        if (auto repo = readCachedRepo(it->path(), std::move(id)))
            repos.push_back(std::move(*repo));
    }
    std::sort(repos.begin(), repos.end(), [](const CachedRepo& a, const CachedRepo& b) {
        if (a.id.type != b.id.type)
            return a.id.type == RepoType::Model;
        return a.id.repo < b.id.repo;
    });
    return repos;
}

HubProbe probeHub(const HubSettings& settings, const std::string& repo, long timeoutSeconds) {
    HubProbe probe;
    if (settings.offline) {
        probe.offlineMode = true;
        probe.detail = "HF_HUB_OFFLINE is set: the Hugging Face Hub is not contacted";
        return probe;
    }
    HttpOptions options;
    options.token = settings.token;
    options.connectTimeoutSeconds = timeoutSeconds;
    options.stallTimeoutSeconds = timeoutSeconds;
    options.totalTimeoutSeconds = timeoutSeconds;
    options.maxBodyBytes = 4u << 20;
    RepoId id;
    id.repo = repo;
    try {
        const HttpResponse response = httpGet(apiUrl(settings, id), options);
        probe.reachable = response.status > 0;
        if (!probe.reachable)
            probe.detail = "no answer from " + settings.endpoint + ": " + response.curlError;
    } catch (const std::exception& e) {
        probe.detail = e.what();
    }
    return probe;
}

} // namespace mistudio::hub
