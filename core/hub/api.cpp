#include "hub/api.h"

#include "hub/cache.h"
#include "mistudio/result.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace mistudio::hub {

namespace {

constexpr size_t kMaxListingBytes = 256u << 20; // a listing of ~1M files

const char* typePath(const RepoId& id) {
    return id.type == RepoType::Dataset ? "datasets/" : "";
}

RepoFile parseSibling(const nlohmann::json& s) {
    RepoFile f;
    f.path = s.at("rfilename").get<std::string>();
    if (auto it = s.find("size"); it != s.end() && it->is_number_integer())
        f.size = it->get<int64_t>();
    if (auto it = s.find("blobId"); it != s.end() && it->is_string())
        f.blobId = it->get<std::string>();
    if (auto it = s.find("lfs"); it != s.end() && it->is_object()) {
        if (auto sha = it->find("sha256"); sha != it->end() && sha->is_string())
            f.lfsSha256 = sha->get<std::string>();
        if (auto sz = it->find("size"); sz != it->end() && sz->is_number_integer())
            f.size = sz->get<int64_t>();
    }
    return f;
}

} // namespace

std::string apiUrl(const HubSettings& settings, const RepoId& id) {
    return settings.endpoint + "/api/" + (id.type == RepoType::Dataset ? "datasets/" : "models/") +
           id.repo + "/revision/" + urlQuote(id.revision, "") + "?blobs=true";
}

std::string resolveUrl(const HubSettings& settings, const RepoId& id, const std::string& commit,
                       const std::string& path) {
    return settings.endpoint + "/" + typePath(id) + id.repo + "/resolve/" + urlQuote(commit, "") +
           "/" + urlQuote(path, "/");
}

std::string repoPageUrl(const HubSettings& settings, const RepoId& id) {
    return settings.endpoint + "/" + typePath(id) + id.repo;
}

RepoInfo parseRepoInfoJson(const std::string& json, const RepoId& id, const std::string& source) {
    RepoInfo info;
    info.id = id;
    try {
        const auto j = nlohmann::json::parse(json);
        info.commit = j.at("sha").get<std::string>();
        if (auto g = j.find("gated"); g != j.end())
            info.gated = !(g->is_boolean() && !g->get<bool>()) && !g->is_null();
        for (const auto& s : j.at("siblings"))
            info.files.push_back(parseSibling(s));
    } catch (const nlohmann::json::exception& e) {
        throw Exception(ErrorCode::InvalidFormat,
                        std::string("unexpected file list from the Hub: ") + e.what(), source,
                        "Check HF_ENDPOINT points to a Hugging Face Hub");
    }
    if (info.commit.size() != 40 || !isHexDigest(info.commit))
        throw Exception(ErrorCode::InvalidFormat,
                        "the Hub gave a commit that is not a 40-hex sha: '" + info.commit + "'",
                        source, "Check HF_ENDPOINT points to a Hugging Face Hub");
    return info;
}

RepoInfo fetchRepoInfo(const RepoId& id, const HubSettings& settings) {
    HttpOptions options;
    options.token = settings.token;
    options.connectTimeoutSeconds = settings.connectTimeoutSeconds;
    options.stallTimeoutSeconds = settings.stallTimeoutSeconds;
    options.maxBodyBytes = kMaxListingBytes;
    const std::string url = apiUrl(settings, id);
    HttpResponse r;
    for (int attempt = 1; attempt <= std::max(1, settings.maxAttempts); ++attempt) {
        r = httpGet(url, options);
        const bool retry = (r.curlCode != 0 && isTransientCurlError(r.curlCode)) ||
                           r.status >= 500 || r.status == 429;
        if (!retry || attempt == settings.maxAttempts)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(settings.retryDelayMs * attempt));
    }
    if (r.curlCode != 0 || r.status != 200)
        throwHttpError(r, settings, id, {});
    return parseRepoInfoJson(r.body, id, url);
}

[[noreturn]] void throwHttpError(const HttpResponse& r, const HubSettings& settings,
                                 const RepoId& id, const std::string& file) {
    const std::string where = id.repo + "@" + id.revision + (file.empty() ? "" : ", " + file);
    if (r.status == 0 || (r.curlCode != 0 && r.status < 400))
        throw Exception(ErrorCode::Network,
                        "cannot reach the Hugging Face Hub at " + settings.endpoint + " (" +
                            r.curlError + ")",
                        where,
                        "Check the network connection; HF_HUB_OFFLINE=1 uses the models "
                        "already in the cache");
    const auto code = r.headers.count("x-error-code") ? r.headers.at("x-error-code") : "";
    const std::string status = "HTTP " + std::to_string(r.status);
    if (code == "GatedRepo" || ((r.status == 401 || r.status == 403) && code.empty()))
        throw Exception(ErrorCode::Unauthorized, id.repo + " is gated or private (" + status + ")",
                        where,
                        "accept the license on the model page " + repoPageUrl(settings, id) +
                            " and set a token: HF_TOKEN or the studio's settings");
    if (code == "RepoNotFound")
        throw Exception(ErrorCode::NotFound,
                        "no repository " + id.repo + " on the Hub (" + status + ")", where,
                        "Check the name (org/name); a private repo also needs a token: "
                        "HF_TOKEN or the studio's settings");
    if (code == "RevisionNotFound")
        throw Exception(ErrorCode::NotFound,
                        "no revision '" + id.revision + "' in " + id.repo + " (" + status + ")",
                        where, "Use a branch, tag or commit sha that exists (default: main)");
    if (r.status == 404)
        throw Exception(ErrorCode::NotFound,
                        file.empty() ? "no repository " + id.repo + " or no revision '" +
                                           id.revision + "' on the Hub (HTTP 404)"
                                     : "the file " + file + " is not in the repository (HTTP 404)",
                        where, "Check the repo id and --revision");
    throw Exception(ErrorCode::Network, "the Hub answered " + status, where,
                    "Try again later; HF_HUB_OFFLINE=1 uses the models already in the cache");
}

} // namespace mistudio::hub
