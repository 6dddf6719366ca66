#include "hub/cache.h"

#include "mistudio/result.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace mistudio::hub {

namespace {

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

// True when `path` is `root` or lies under it (both canonical).
bool isInside(const fs::path& path, const fs::path& root) {
    auto r = root.begin(), p = path.begin();
    for (; r != root.end(); ++r, ++p)
        if (p == path.end() || *p != *r)
            return false;
    return true;
}

fs::path canonicalOrEmpty(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::canonical(p, ec);
    return ec ? fs::path() : c;
}

std::string tempSuffix() {
    return ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand());
}

} // namespace

std::string defaultCacheDir() {
    if (const char* v = std::getenv("HF_HUB_CACHE"); v && *v)
        return v;
    if (const char* v = std::getenv("HF_HOME"); v && *v)
        return (fs::path(v) / "hub").string();
    const std::string home = envOr("HOME", "/tmp");
    const std::string xdg = envOr("XDG_CACHE_HOME", home + "/.cache");
    return (fs::path(xdg) / "huggingface" / "hub").string();
}

std::string repoFolderName(const RepoId& id) {
    std::string name = id.type == RepoType::Dataset ? "datasets--" : "models--";
    for (char c : id.repo)
        name += c == '/' ? std::string("--") : std::string(1, c);
    return name;
}

std::string repoDir(const std::string& cacheDir, const RepoId& id) {
    return (fs::path(cacheDir) / repoFolderName(id)).string();
}

void checkRelativePath(const std::string& path) {
    auto refuse = [&](const char* why) {
        throw Exception(ErrorCode::InvalidFormat,
                        std::string("the Hub listed an unsafe file name (") + why + ")",
                        "'" + path + "'",
                        "Nothing was written for it; the repository or the endpoint "
                        "(HF_ENDPOINT) is not trustworthy");
    };
    if (path.empty())
        refuse("empty");
    if (path.front() == '/')
        refuse("absolute path");
    for (unsigned char c : path) {
        if (c == '\\')
            refuse("backslash");
        if (c < 0x20 || c == 0x7f)
            refuse("control character");
    }
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        const std::string seg = path.substr(start, end - start);
        if (seg.empty() || seg == "." || seg == "..")
            refuse("empty, '.' or '..' segment");
        start = end + 1;
    }
}

void checkRevision(const std::string& revision) {
    bool ok = !revision.empty() && revision.size() <= 255;
    try {
        if (ok)
            checkRelativePath(revision);
    } catch (const Exception&) {
        ok = false;
    }
    if (!ok)
        throw Exception(ErrorCode::InvalidArgument, "not a valid revision", "'" + revision + "'",
                        "Use a branch, tag, commit sha or refs/pr/N (default: main)");
}

bool isHexDigest(const std::string& text) {
    if (text.size() != 40 && text.size() != 64)
        return false;
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<std::string> readRef(const std::string& repoDir, const std::string& revision) {
    std::ifstream in(fs::path(repoDir) / "refs" / revision);
    std::string commit;
    if (!in || !std::getline(in, commit))
        return std::nullopt;
    while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back())))
        commit.pop_back();
    if (commit.size() != 40 || !isHexDigest(commit))
        return std::nullopt;
    return commit;
}

void writeRef(const std::string& repoDir, const std::string& revision, const std::string& commit) {
    const fs::path ref = fs::path(repoDir) / "refs" / revision;
    fs::create_directories(ref.parent_path());
    const fs::path tmp = ref.string() + tempSuffix();
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << commit;
        if (!out.flush())
            throw Exception(ErrorCode::Io, "cannot write the revision file", tmp.string(),
                            "Check that the cache folder is writable and the disk not full");
    }
    fs::rename(tmp, ref);
}

bool snapshotHasFile(const std::string& repoDir, const std::string& commit,
                     const std::string& path) {
    const fs::path snap = fs::path(repoDir) / "snapshots" / commit;
    const fs::path file = snap / path;
    std::error_code ec;
    if (!fs::exists(file, ec) || !fs::is_regular_file(file, ec))
        return false;
    const fs::path target = canonicalOrEmpty(file);
    const fs::path blobs = canonicalOrEmpty(fs::path(repoDir) / "blobs");
    const fs::path snapCanon = canonicalOrEmpty(snap);
    if ((!blobs.empty() && isInside(target, blobs)) || isInside(target, snapCanon))
        return true;
    throw Exception(
        ErrorCode::InvalidFormat, "a file in the Hugging Face cache links outside the cache",
        file.string() + " -> " + target.string(), "Delete that snapshot folder and download again");
}

void linkSnapshotFile(const std::string& repoDir, const std::string& commit,
                      const std::string& path, const std::string& blob) {
    checkRelativePath(path);
    const fs::path snap = fs::path(repoDir) / "snapshots" / commit;
    const fs::path link = snap / path;
    fs::create_directories(link.parent_path());
    const fs::path parent = canonicalOrEmpty(link.parent_path());
    if (parent.empty() || !isInside(parent, canonicalOrEmpty(snap)))
        throw Exception(ErrorCode::InvalidFormat,
                        "a folder in the snapshot links outside it; refusing to write there",
                        link.parent_path().string(),
                        "Delete that snapshot folder and download again");
    fs::path target = "../../blobs";
    const auto depth = std::count(path.begin(), path.end(), '/');
    for (long i = 0; i < depth; ++i)
        target = fs::path("..") / target;
    target /= blob;
    const fs::path tmp = link.string() + tempSuffix();
    fs::create_symlink(target, tmp);
    fs::rename(tmp, link); // atomically replaces a stale link or a copied file
}

std::vector<std::string> listSnapshotFiles(const std::string& snapshotDir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(snapshotDir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec))
            out.push_back(it->path().lexically_relative(snapshotDir).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<std::string> cachedSnapshot(const RepoId& id, const std::string& cacheDir) {
    checkRevision(id.revision);
    const std::string dir = repoDir(cacheDir.empty() ? defaultCacheDir() : cacheDir, id);
    std::optional<std::string> commit = readRef(dir, id.revision);
    if (!commit && id.revision.size() == 40 && isHexDigest(id.revision))
        commit = id.revision;
    if (!commit)
        return std::nullopt;
    const fs::path snap = fs::path(dir) / "snapshots" / *commit;
    std::error_code ec;
    if (!fs::is_directory(snap, ec))
        return std::nullopt;
    return snap.string();
}

BlobLock::BlobLock(const std::string& cacheDir, const RepoId& id, const std::string& blob) {
    const fs::path dir = fs::path(cacheDir) / ".locks" / repoFolderName(id);
    fs::create_directories(dir);
    const std::string path = (dir / (blob + ".lock")).string();
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0)
        throw Exception(ErrorCode::Io,
                        std::string("cannot open the lock file: ") + std::strerror(errno), path,
                        "Check that the cache folder is writable");
    while (::flock(m_fd, LOCK_EX) != 0 && errno == EINTR) {
    }
}

BlobLock::~BlobLock() {
    if (m_fd >= 0) {
        ::flock(m_fd, LOCK_UN);
        ::close(m_fd);
    }
}

namespace {
std::string toHex(const unsigned char* digest, unsigned int n) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}
} // namespace

std::string sha256Hex(const void* data, size_t size) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, size, digest, &n, EVP_sha256(), nullptr);
    return toHex(digest, n);
}

std::string sha256File(const std::string& path, const std::function<void(int64_t)>& onBytes) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Exception(ErrorCode::Io, "cannot read the file to verify it", path,
                        "Check the file's permissions");
    std::vector<char> buffer(4 << 20);
    int64_t total = 0;
    while (in) {
        in.read(buffer.data(), std::streamsize(buffer.size()));
        const auto got = in.gcount();
        if (got <= 0)
            break;
        EVP_DigestUpdate(md.get(), buffer.data(), size_t(got));
        total += got;
        if (onBytes)
            onBytes(total);
    }
    if (in.bad())
        throw Exception(ErrorCode::Io, "read error while verifying the file", path,
                        "Check the disk");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(md.get(), digest, &n);
    return toHex(digest, n);
}

} // namespace mistudio::hub
