#pragma once
// One file's bytes: GET with Range resume into blobs/<name>.incomplete, retries after cuts, then
// size and sha256 verification. The caller holds the blob's lock and renames the result.

#include "mistudio/hub.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace mistudio::hub {

struct BlobFetch {
    std::string url;
    std::filesystem::path incomplete;
    const RepoFile* file = nullptr;
    const RepoId* id = nullptr;
    const HubSettings* settings = nullptr;
    JobContext* ctx = nullptr;
    /// Bytes of this file on disk so far (resumed part included), for progress.
    std::function<void(int64_t)> onFileBytes;
};

/// Downloads until the .incomplete file holds the whole file (size from the listing, or what
/// the server sent when the size is unknown). Returns the bytes received over the network.
/// Throws on HTTP errors, a full disk, cancellation, or after settings.maxAttempts cuts.
int64_t fetchToIncomplete(const BlobFetch& job);

/// Checks the size and, for LFS files, the sha256. On a mismatch the file is deleted and
/// InvalidFormat is thrown.
void verifyIncomplete(const BlobFetch& job);

} // namespace mistudio::hub
