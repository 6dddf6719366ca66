// Repository downloads into the Hugging Face cache: select files, check the disk, fetch each blob
// with resume and verification, link it into the snapshot, write the ref.
#include "hub/api.h"
#include "hub/blob_fetch.h"
#include "hub/cache.h"
#include "mistudio/engine.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

namespace fs = std::filesystem;

namespace mistudio::hub {

namespace {

using Clock = std::chrono::steady_clock;

std::string humanBytes(double bytes) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int64_t fileSizeOr(const fs::path& p, int64_t fallback) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    return ec ? fallback : int64_t(size);
}

void info(JobContext* ctx, const std::string& text) {
    if (ctx)
        ctx->log(LogLevel::Info, text);
    else
        spdlog::info("{}", text);
}

// Settings built field by field (the GUI) may leave the cache folder or endpoint empty.
HubSettings withDefaults(HubSettings s) {
    if (s.cacheDir.empty())
        s.cacheDir = defaultCacheDir();
    if (s.endpoint.empty())
        s.endpoint = "https://huggingface.co";
    while (s.endpoint.size() > 1 && s.endpoint.back() == '/')
        s.endpoint.pop_back();
    return s;
}

class Downloader {
public:
    Downloader(const RepoId& id, const HubSettings& settings, JobContext* ctx)
        : m_id(id), m_settings(withDefaults(settings)), m_ctx(ctx),
          m_repoDir(repoDir(m_settings.cacheDir, id)) {}

    DownloadResult run(const FileFilter& filter);

private:
    DownloadResult fromCache(const FileFilter& filter, const std::string& why) const;
    std::vector<RepoFile> select(const RepoInfo& info, const FileFilter& filter) const;
    void checkDiskSpace(const std::vector<RepoFile>& files) const;
    void fetch(const RepoFile& file);
    void report(int64_t done, bool force = false);

    RepoId m_id;
    const HubSettings m_settings;
    JobContext* m_ctx;
    std::string m_repoDir;
    std::string m_commit;
    int64_t m_total = 0;    // bytes to fetch in this run
    int64_t m_settled = 0;  // bytes of files finished in this run
    int64_t m_received = 0; // bytes that came over the network
    int m_filesDownloaded = 0;
    Clock::time_point m_lastReport{};
};

DownloadResult Downloader::fromCache(const FileFilter& filter, const std::string& why) const {
    const auto snapshot = cachedSnapshot(m_id, m_settings.cacheDir);
    if (!snapshot)
        throw Exception(ErrorCode::NotFound,
                        m_id.repo + "@" + m_id.revision + " is not in the Hugging Face cache " +
                            "and " + why,
                        m_settings.cacheDir,
                        "Download it while online (mistudio-cli download " + m_id.repo +
                            "), or set HF_HUB_CACHE to the cache that has it");
    DownloadResult result;
    result.snapshotDir = *snapshot;
    result.commit = fs::path(*snapshot).filename().string();
    for (auto& f : listSnapshotFiles(*snapshot))
        if (filter(f))
            result.files.push_back(f);
    return result;
}

std::vector<RepoFile> Downloader::select(const RepoInfo& info, const FileFilter& filter) const {
    std::vector<RepoFile> out;
    bool hasSafetensors = false, hasPickle = false;
    for (const auto& f : info.files) {
        hasSafetensors |= endsWith(f.path, ".safetensors");
        for (const char* ext : {".bin", ".pt", ".pth", ".ckpt", ".pkl"})
            hasPickle |= endsWith(f.path, ext);
        if (!filter(f.path))
            continue;
        checkRelativePath(f.path);
        if (!isHexDigest(f.blobName()))
            throw Exception(ErrorCode::InvalidFormat,
                            "the Hub listing gives no valid blob id or sha256 for " + f.path,
                            apiUrl(m_settings, m_id),
                            "Check HF_ENDPOINT points to a Hugging Face Hub");
        out.push_back(f);
    }
    if (m_id.type == RepoType::Model && hasPickle && !hasSafetensors)
        throw Exception(ErrorCode::Unsupported,
                        m_id.repo + "@" + m_id.revision +
                            " has only pickle weights (.bin/.pt/.ckpt), which miStudio never loads "
                            "because unpickling can run arbitrary code",
                        repoPageUrl(m_settings, m_id),
                        "Use a revision with .safetensors weights (the Hub's safetensors bot often "
                        "opened one as refs/pr/N), or convert the checkpoint to safetensors");
    return out;
}

void Downloader::checkDiskSpace(const std::vector<RepoFile>& files) const {
    int64_t needed = m_settings.reserveBytes;
    for (const auto& f : files) {
        const fs::path blob = fs::path(m_repoDir) / "blobs" / f.blobName();
        if (f.size > 0 && fileSizeOr(blob, -1) != f.size) // a blob another revision shares is free
            needed += f.size - fileSizeOr(blob.string() + ".incomplete", 0);
    }
    struct statvfs st {};
    if (::statvfs(m_repoDir.c_str(), &st) != 0)
        return; // cannot tell: the write itself reports a full disk
    const auto available = int64_t(st.f_bavail) * int64_t(st.f_frsize);
    if (available < needed)
        throw Exception(
            ErrorCode::Io,
            "not enough free disk space to download " + m_id.repo + ": needs " +
                humanBytes(double(needed)) + ", " + humanBytes(double(available)) + " free",
            m_settings.cacheDir, "Free some space or point HF_HUB_CACHE to a larger disk");
}

void Downloader::report(int64_t done, bool force) {
    if (!m_ctx)
        return;
    const auto now = Clock::now();
    if (!force && now - m_lastReport < std::chrono::milliseconds(200))
        return;
    m_lastReport = now;
    m_ctx->progress("download", double(done), double(m_total), "B");
}

DownloadResult Downloader::run(const FileFilter& filter) {
    checkRevision(m_id.revision);
    if (m_settings.offline)
        return fromCache(filter, "HF_HUB_OFFLINE=1 forbids downloading");
    RepoInfo repo;
    try {
        repo = fetchRepoInfo(m_id, m_settings);
    } catch (const Exception& e) {
        if (e.code() != ErrorCode::Network || !cachedSnapshot(m_id, m_settings.cacheDir))
            throw;
        spdlog::warn("{}; using the copy in the cache", e.what());
        return fromCache(filter, "the Hub cannot be reached");
    }
    m_commit = repo.commit;
    const std::vector<RepoFile> selected = select(repo, filter);
    if (repo.gated && m_settings.token.empty() && !selected.empty())
        throw Exception(ErrorCode::Unauthorized, m_id.repo + " is gated: its files need a token",
                        m_id.repo + "@" + m_id.revision,
                        "accept the license on the model page " + repoPageUrl(m_settings, m_id) +
                            " and set a token: HF_TOKEN or the studio's settings");
    std::vector<RepoFile> missing;
    for (const auto& f : selected)
        if (!snapshotHasFile(m_repoDir, m_commit, f.path))
            missing.push_back(f);
    fs::create_directories(fs::path(m_repoDir) / "snapshots" / m_commit);
    if (!missing.empty()) {
        checkDiskSpace(missing);
        for (const auto& f : missing)
            m_total += std::max<int64_t>(f.size, 0);
        info(m_ctx, "downloading " + std::to_string(missing.size()) + " files (" +
                        humanBytes(double(m_total)) + ") of " + m_id.repo + "@" + m_commit);
        for (const auto& f : missing)
            fetch(f);
        report(m_settled, true);
    }
    if (m_id.revision != m_commit)
        writeRef(m_repoDir, m_id.revision, m_commit);
    DownloadResult result;
    result.snapshotDir = (fs::path(m_repoDir) / "snapshots" / m_commit).string();
    result.commit = m_commit;
    for (const auto& f : selected)
        result.files.push_back(f.path);
    result.filesDownloaded = m_filesDownloaded;
    result.bytesDownloaded = m_received;
    return result;
}

void Downloader::fetch(const RepoFile& file) {
    if (m_ctx)
        m_ctx->throwIfCancelled();
    const std::string blob = file.blobName();
    const fs::path blobPath = fs::path(m_repoDir) / "blobs" / blob;
    auto complete = [&] {
        const int64_t size = fileSizeOr(blobPath, -1);
        return size >= 0 && (file.size < 0 || size == file.size);
    };
    if (!complete()) {
        fs::create_directories(blobPath.parent_path());
        BlobLock lock(m_settings.cacheDir, m_id, blob);
        if (!complete()) { // another process may have finished it while we waited
            BlobFetch job;
            job.url = resolveUrl(m_settings, m_id, m_commit, file.path);
            job.incomplete = blobPath.string() + ".incomplete";
            job.file = &file;
            job.id = &m_id;
            job.settings = &m_settings;
            job.ctx = m_ctx;
            job.onFileBytes = [&](int64_t bytes) { report(m_settled + bytes); };
            m_received += fetchToIncomplete(job);
            verifyIncomplete(job);
            fs::rename(job.incomplete, blobPath);
            ++m_filesDownloaded;
        }
    }
    linkSnapshotFile(m_repoDir, m_commit, file.path, blob);
    m_settled += std::max<int64_t>(file.size, 0);
    report(m_settled);
}

} // namespace

DownloadResult downloadRepo(const RepoId& id, const HubSettings& settings, const FileFilter& filter,
                            JobContext* ctx) {
    FileFilter chosen = filter;
    if (!chosen)
        chosen = id.type == RepoType::Dataset ? FileFilter(isDatasetFile) : FileFilter(isModelFile);
    try {
        return Downloader(id, settings, ctx).run(chosen);
    } catch (const fs::filesystem_error& e) {
        throw Exception(ErrorCode::Io, e.what(), settings.cacheDir,
                        "Check that the Hugging Face cache folder (HF_HUB_CACHE) is writable and "
                        "the disk not full");
    }
}

std::string resolveModelPath(const std::string& ref, const HubSettings& settings, JobContext* ctx) {
    const ModelRef model = parseModelRef(ref);
    if (model.isLocal) {
        std::error_code ec;
        if (!fs::exists(model.localPath, ec))
            throw Exception(ErrorCode::NotFound, "no such model folder or file", model.localPath,
                            "Give the folder with config.json and *.safetensors, or a Hub id "
                            "org/name[@revision]");
        return model.localPath;
    }
    return downloadRepo(model.hub, settings, {}, ctx).snapshotDir;
}

} // namespace mistudio::hub
