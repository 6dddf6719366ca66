// Model and repository references, the Hub settings from the environment, and the file filters.
#include "hub/cache.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace mistudio::hub {

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isTrue(const char* value) {
    if (!value)
        return false;
    std::string v(value);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
    return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

// huggingface_hub's validate_repo_id: [\w\-.]{1,96} per part, at most "org/name", no "--" or "..",
// no '-' or '.' at either end of a part.
bool validRepoPart(const std::string& part) {
    if (part.empty() || part.size() > 96)
        return false;
    for (unsigned char c : part)
        if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.'))
            return false;
    const char first = part.front(), last = part.back();
    return first != '-' && first != '.' && last != '-' && last != '.';
}

void checkRepoName(const std::string& repo, const std::string& input) {
    const auto slash = repo.find('/');
    const bool ok = repo.find("--") == std::string::npos && repo.find("..") == std::string::npos &&
                    !endsWith(repo, ".git") &&
                    (slash == std::string::npos ? validRepoPart(repo)
                                                : validRepoPart(repo.substr(0, slash)) &&
                                                      validRepoPart(repo.substr(slash + 1)));
    if (!ok)
        throw Exception(ErrorCode::InvalidArgument, "not a valid Hugging Face repo id",
                        "'" + input + "'",
                        "Use org/name[@revision] with letters, digits, '-', '_' and '.' "
                        "(e.g. EleutherAI/pythia-70m@main), or the path of a local folder");
}

std::string readTokenFile() {
    std::string path;
    if (const char* p = std::getenv("HF_TOKEN_PATH"); p && *p)
        path = p;
    else if (const char* h = std::getenv("HF_HOME"); h && *h)
        path = (fs::path(h) / "token").string();
    else if (const char* home = std::getenv("HOME"); home && *home)
        path = (fs::path(home) / ".cache" / "huggingface" / "token").string();
    std::ifstream in(path);
    std::string token;
    if (!in || !std::getline(in, token))
        return {};
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
        token.pop_back();
    return token;
}

} // namespace

const char* repoTypeName(RepoType type) {
    return type == RepoType::Dataset ? "dataset" : "model";
}

RepoType parseRepoType(const std::string& name) {
    if (name == "model" || name == "models")
        return RepoType::Model;
    if (name == "dataset" || name == "datasets")
        return RepoType::Dataset;
    throw Exception(ErrorCode::InvalidArgument, "unknown repo type '" + name + "'", {},
                    "Use 'model' or 'dataset'");
}

RepoId parseRepoId(const std::string& id, RepoType type, const std::string& revision) {
    RepoId out;
    out.type = type;
    const auto at = id.find('@');
    out.repo = id.substr(0, at);
    if (at != std::string::npos)
        out.revision = id.substr(at + 1);
    if (!revision.empty())
        out.revision = revision;
    checkRepoName(out.repo, id);
    checkRevision(out.revision);
    return out;
}

ModelRef parseModelRef(const std::string& ref) {
    ModelRef out;
    std::error_code ec;
    const bool pathLike = ref.rfind('/', 0) == 0 || ref.rfind("./", 0) == 0 ||
                          ref.rfind("../", 0) == 0 || ref.rfind('~', 0) == 0 || ref == "." ||
                          ref == "..";
    if (pathLike || fs::is_directory(ref, ec)) {
        out.isLocal = true;
        out.localPath = ref;
        if (ref.rfind('~', 0) == 0)
            if (const char* home = std::getenv("HOME"))
                out.localPath = std::string(home) + ref.substr(1);
        return out;
    }
    out.hub = parseRepoId(ref, RepoType::Model);
    return out;
}

HubSettings HubSettings::fromEnvironment() {
    HubSettings s;
    if (const char* e = std::getenv("HF_ENDPOINT"); e && *e)
        s.endpoint = e;
    while (s.endpoint.size() > 1 && s.endpoint.back() == '/')
        s.endpoint.pop_back();
    s.cacheDir = defaultCacheDir();
    if (const char* t = std::getenv("HF_TOKEN"); t && *t)
        s.token = t;
    else if (const char* legacy = std::getenv("HUGGING_FACE_HUB_TOKEN"); legacy && *legacy)
        s.token = legacy;
    else
        s.token = readTokenFile();
    s.offline = isTrue(std::getenv("HF_HUB_OFFLINE"));
    return s;
}

bool isModelFile(const std::string& path) {
    if (path.find('/') != std::string::npos)
        return false; // sub-folders hold other checkpoints (original/, onnx/, checkpoint-N/)
    static const char* const names[] = {
        "config.json",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "tokenizer.model",
        "vocab.json",
        "vocab.txt",
        "merges.txt",
        "added_tokens.json",
        "model.safetensors.index.json",
        "chat_template.json",
    };
    for (const char* n : names)
        if (path == n)
            return true;
    return endsWith(path, ".safetensors");
}

bool isDatasetFile(const std::string& path) {
    for (const char* ext : {".parquet", ".json", ".jsonl", ".csv", ".tsv", ".txt"})
        if (endsWith(path, ext))
            return true;
    return false;
}

} // namespace mistudio::hub
