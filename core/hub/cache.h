#pragma once
// The Hugging Face cache on disk (huggingface_hub's layout, see mistudio/hub.h): folders, refs,
// snapshot symlinks, blob locks, and the checks that keep server-given names inside it.

#include "mistudio/hub.h"

#include <optional>
#include <string>
#include <vector>

namespace mistudio::hub {

/// <cache>/<models--org--name>
std::string repoDir(const std::string& cacheDir, const RepoId& id);

/// Refuses a repo-relative path that could leave its folder: empty, absolute, '\\', control
/// characters, empty, "." or ".." segments. Throws InvalidFormat naming the path.
void checkRelativePath(const std::string& path);
/// Refuses a revision that is empty or could leave refs/ (InvalidArgument).
void checkRevision(const std::string& revision);
/// A lower-case hex digest of 40 (git sha1) or 64 (sha256) characters.
bool isHexDigest(const std::string& text);

/// The commit refs/<revision> holds, if that file exists and holds a commit sha.
std::optional<std::string> readRef(const std::string& repoDir, const std::string& revision);
/// Writes refs/<revision> (temp file + rename), the way huggingface_hub does (no newline).
void writeRef(const std::string& repoDir, const std::string& revision, const std::string& commit);

/// True when snapshots/<commit>/<path> exists and resolves inside the repo's blobs or snapshot
/// folder. Throws InvalidFormat when it is a link that points anywhere else.
bool snapshotHasFile(const std::string& repoDir, const std::string& commit,
                     const std::string& path);
/// Makes snapshots/<commit>/<path> a relative symlink to ../../blobs/<blob> (one more ".." per
/// sub-folder), replacing what was there. Refuses a parent folder that resolves outside the
/// snapshot (a planted symlink).
void linkSnapshotFile(const std::string& repoDir, const std::string& commit,
                      const std::string& path, const std::string& blob);
/// Repo-relative paths of the files in a snapshot (links followed), sorted.
std::vector<std::string> listSnapshotFiles(const std::string& snapshotDir);

/// An exclusive lock on <cache>/.locks/<repo folder>/<blob>.lock, the file huggingface_hub's
/// FileLock uses (fcntl flock), so a Python download of the same blob waits for ours.
class BlobLock {
public:
    BlobLock(const std::string& cacheDir, const RepoId& id, const std::string& blob);
    ~BlobLock();
    BlobLock(const BlobLock&) = delete;
    BlobLock& operator=(const BlobLock&) = delete;

private:
    int m_fd = -1;
};

/// sha256 of a file as lower-case hex. `onBytes` is called every few MB with bytes hashed so far
/// (it may throw to cancel).
std::string sha256File(const std::string& path, const std::function<void(int64_t)>& onBytes = {});
/// sha256 of a buffer as lower-case hex.
std::string sha256Hex(const void* data, size_t size);

} // namespace mistudio::hub
