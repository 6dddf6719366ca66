#include "hub/http.h"

#include "mistudio/version.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <curl/curl.h>
#include <memory>
#include <mutex>
#include <unistd.h>

namespace mistudio::hub {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

void globalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
    const HttpOptions* options = nullptr;
    HttpResponse* response = nullptr;
    std::FILE* file = nullptr; // null: body to memory
    bool bodyStarted = false;
};

bool isSuccess(long status) {
    return status >= 200 && status < 300;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    std::string line(data, n);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
        // A new response (after a redirect): only the final one's headers count.
        t->response->headers.clear();
        const auto sp = line.find(' ');
        t->response->status = sp == std::string::npos ? 0 : std::atol(line.c_str() + sp + 1);
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos)
        return n;
    std::string name = line.substr(0, colon);
    for (auto& c : name)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ')
        ++v;
    t->response->headers[name] = line.substr(v);
    return n;
}

// Writes a 2xx body to the file (or memory); error bodies are kept, bounded, for messages.
size_t onBody(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    HttpResponse& r = *t->response;
    const size_t n = size * count;
    if (!t->file || !isSuccess(r.status)) {
        const size_t limit = t->file ? kMaxErrorBody : t->options->maxBodyBytes;
        if (limit && r.body.size() + n > limit) {
            if (t->file)
                return n; // drop the rest of an error page
            return 0;     // refuse an oversized body
        }
        r.body.append(data, n);
        r.received += int64_t(n);
        return n;
    }
    if (!t->bodyStarted) {
        t->bodyStarted = true;
        // A server that ignores Range answers 200 with the whole file: start over.
        if (t->options->rangeStart > 0 && r.status == 200) {
            std::fflush(t->file);
            if (ftruncate(fileno(t->file), 0) != 0 || std::fseek(t->file, 0, SEEK_SET) != 0) {
                r.writeFailed = true;
                r.writeErrno = errno;
                return 0;
            }
        }
    }
    if (std::fwrite(data, 1, n, t->file) != n) {
        r.writeFailed = true;
        r.writeErrno = errno;
        return 0;
    }
    r.received += int64_t(n);
    return n;
}

int onTransferInfo(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->options->onProgress && !t->options->onProgress(t->response->received)) {
        t->response->aborted = true;
        return 1;
    }
    return 0;
}

void setProtocols(CURL* curl) {
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
}

HttpResponse perform(const std::string& url, const HttpOptions& options, std::FILE* file) {
    globalInit();
    HttpResponse response;
    Transfer transfer{&options, &response, file, false};
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    struct curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "User-Agent: mistudio/" MISTUDIO_VERSION);
    if (!options.token.empty())
        headers = curl_slist_append(headers, ("Authorization: Bearer " + options.token).c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headerGuard(headers,
                                                                            curl_slist_free_all);
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    setProtocols(h);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, options.connectTimeoutSeconds);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, options.stallTimeoutSeconds);
    if (options.totalTimeoutSeconds > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT, options.totalTimeoutSeconds);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onTransferInfo);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
    std::string range;
    if (options.rangeStart > 0) {
        range = std::to_string(options.rangeStart) + "-";
        curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());
    }
    const CURLcode code = curl_easy_perform(h);
    response.curlCode = int(code);
    if (code != CURLE_OK)
        response.curlError = curl_easy_strerror(code);
    long status = 0;
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status != 0)
        response.status = status;
    if (file)
        std::fflush(file);
    return response;
}

} // namespace

HttpResponse httpGet(const std::string& url, const HttpOptions& options) {
    return perform(url, options, nullptr);
}

HttpResponse httpGetToFile(const std::string& url, const HttpOptions& options, std::FILE* file) {
    return perform(url, options, file);
}

std::string urlQuote(const std::string& text, const std::string& safe) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum || c == '-' || c == '_' || c == '.' || c == '~' ||
            safe.find(char(c)) != std::string::npos) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

bool isTransientCurlError(int curlCode) {
    switch (CURLcode(curlCode)) {
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR: return true;
    default: return false;
    }
}

} // namespace mistudio::hub
