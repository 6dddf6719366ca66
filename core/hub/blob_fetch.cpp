#include "hub/blob_fetch.h"

#include "hub/api.h"
#include "hub/cache.h"
#include "mistudio/engine.h"
#include "mistudio/result.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace fs = std::filesystem;

namespace mistudio::hub {

namespace {

using Clock = std::chrono::steady_clock;

int64_t fileSizeOr(const fs::path& p, int64_t fallback) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    return ec ? fallback : int64_t(size);
}

[[noreturn]] void throwWriteError(int err, const fs::path& path) {
    if (err == ENOSPC || err == EDQUOT || err == EFBIG)
        throw Exception(ErrorCode::Io, "the disk is full", path.string(),
                        "Free some space (or point HF_HUB_CACHE to a larger disk) and run the "
                        "download again: it resumes from the partial file");
    throw Exception(ErrorCode::Io, std::string("cannot write the download: ") + std::strerror(err),
                    path.string(), "Check that the cache folder is writable");
}

// Waits before a retry, staying responsive to cancellation.
void pause(const BlobFetch& job, int attempt) {
    const auto until =
        Clock::now() + std::chrono::milliseconds(job.settings->retryDelayMs * attempt);
    while (Clock::now() < until) {
        if (job.ctx)
            job.ctx->throwIfCancelled();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// One GET from the current end of the .incomplete file. Returns the response.
HttpResponse requestOnce(const BlobFetch& job, int64_t offset) {
    std::FILE* out = std::fopen(job.incomplete.c_str(), "ab");
    if (!out)
        throwWriteError(errno, job.incomplete);
    HttpOptions options;
    options.token = job.settings->token;
    options.connectTimeoutSeconds = job.settings->connectTimeoutSeconds;
    options.stallTimeoutSeconds = job.settings->stallTimeoutSeconds;
    options.rangeStart = offset;
    options.onProgress = [&](int64_t received) {
        if (job.onFileBytes)
            job.onFileBytes(offset + received);
        return !(job.ctx && job.ctx->isCancelled());
    };
    HttpResponse r = httpGetToFile(job.url, options, out);
    const int closeError = std::fclose(out) == 0 ? 0 : errno;
    if (r.aborted && job.ctx)
        job.ctx->throwIfCancelled();
    if (r.writeFailed)
        throwWriteError(r.writeErrno, job.incomplete);
    if (closeError)
        throwWriteError(closeError, job.incomplete);
    return r;
}

} // namespace

int64_t fetchToIncomplete(const BlobFetch& job) {
    const int64_t expected = job.file->size;
    const int attempts = std::max(1, job.settings->maxAttempts);
    int64_t received = 0;
    std::string lastProblem;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        if (job.ctx)
            job.ctx->throwIfCancelled();
        int64_t offset = fileSizeOr(job.incomplete, 0);
        if (expected >= 0 && offset > expected) {
            fs::remove(job.incomplete); // longer than the file: not ours to trust
            offset = 0;
        }
        if (expected >= 0 && offset == expected && offset > 0)
            return received; // an earlier run got every byte; verification follows
        const HttpResponse r = requestOnce(job, offset);
        const bool success = r.status >= 200 && r.status < 300;
        if (success)
            received += r.received;
        const int64_t now = fileSizeOr(job.incomplete, 0);
        if (success && r.curlCode == 0 && (expected < 0 || now >= expected))
            return received;
        if (r.status == 416) { // our partial file does not fit the server's: start over
            fs::remove(job.incomplete);
            lastProblem = "HTTP 416 for the resume range";
            continue;
        }
        const bool retry = (success && (r.curlCode == 0 || isTransientCurlError(r.curlCode))) ||
                           (r.status == 0 && isTransientCurlError(r.curlCode)) || r.status >= 500 ||
                           r.status == 429;
        if (!retry)
            throwHttpError(r, *job.settings, *job.id, job.file->path);
        lastProblem = r.curlCode ? r.curlError : "HTTP " + std::to_string(r.status);
        if (attempt < attempts)
            pause(job, attempt);
    }
    throw Exception(ErrorCode::Network,
                    "the download of " + job.file->path + " failed " + std::to_string(attempts) +
                        " times (last: " + lastProblem + ")",
                    job.id->repo + "@" + job.id->revision,
                    "Run the download again: it resumes from the partial file; "
                    "HF_HUB_OFFLINE=1 uses the models already in the cache");
}

void verifyIncomplete(const BlobFetch& job) {
    const RepoFile& f = *job.file;
    const int64_t size = fileSizeOr(job.incomplete, -1);
    auto fail = [&](const std::string& what) {
        fs::remove(job.incomplete);
        throw Exception(ErrorCode::InvalidFormat, what,
                        job.id->repo + "@" + job.id->revision + ", " + f.path,
                        "The damaged file was deleted; run the download again");
    };
    if (f.size >= 0 && size != f.size)
        fail("size mismatch for " + f.path + ": expected " + std::to_string(f.size) +
             " bytes, got " + std::to_string(size));
    if (f.lfsSha256.empty())
        return;
    const std::string actual = sha256File(job.incomplete.string(), [&](int64_t) {
        if (job.ctx)
            job.ctx->throwIfCancelled();
    });
    if (actual != f.lfsSha256)
        fail("checksum mismatch for " + f.path + ": sha256 " + actual + ", expected " +
             f.lfsSha256);
}

} // namespace mistudio::hub
