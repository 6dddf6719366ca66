#pragma once
// A thin libcurl wrapper for the Hub client: GET into memory or appended to a file, with the
// bearer token, timeouts, redirects and a progress hook. Knows nothing about the Hub's layout.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace mistudio::hub {

struct HttpOptions {
    std::string token; // sent as "Authorization: Bearer ..." (never logged)
    long connectTimeoutSeconds = 10;
    long stallTimeoutSeconds = 60;
    long totalTimeoutSeconds = 0; // > 0: the whole request, for quick probes
    int64_t rangeStart = 0;       // > 0: "Range: bytes=N-"
    size_t maxBodyBytes = 0;      // for in-memory bodies: refuse more than this (0: no limit)
    /// Called with bytes received so far in this request; return false to abort (cancel).
    std::function<bool(int64_t received)> onProgress;
};

struct HttpResponse {
    long status = 0;                            // 0 when no HTTP response came (see curlCode)
    int curlCode = 0;                           // CURLE_OK == 0
    std::string curlError;                      // curl's words for curlCode
    std::map<std::string, std::string> headers; // of the final response, names lower-case
    std::string body;         // httpGet only; for httpGetToFile, error bodies (status >= 400)
    int64_t received = 0;     // body bytes received
    bool aborted = false;     // onProgress returned false
    bool writeFailed = false; // the file write failed (errno in writeErrno)
    int writeErrno = 0;
};

/// GET `url` into memory.
HttpResponse httpGet(const std::string& url, const HttpOptions& options);
/// GET `url`, appending a 2xx body to `file` (opened by the caller); other bodies go to
/// response.body (bounded).
HttpResponse httpGetToFile(const std::string& url, const HttpOptions& options, std::FILE* file);

/// Percent-encodes everything but unreserved characters and those in `safe` (Python's quote()).
std::string urlQuote(const std::string& text, const std::string& safe = "/");

/// True for curl results worth retrying: connection cuts, resets, timeouts, partial bodies.
bool isTransientCurlError(int curlCode);

} // namespace mistudio::hub
