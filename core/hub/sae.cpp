// SAE folders: a local folder, or one folder of a Hub repo that holds many SAEs (SAELens
// releases, Gemma Scope, sparsify), downloading only that folder's SAE files.
#include "hub/api.h"
#include "hub/cache.h"
#include "hub/download.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <filesystem>
#include <set>
#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace mistudio::hub {

namespace {

constexpr const char* kSaeForm = "hf:org/name[/SUB/FOLDER][@revision]";

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What an SAE folder holds in the formats we read; never pickles.
bool isSaeFile(const std::string& name) {
    for (const char* ext : {".json", ".safetensors", ".npz", ".npy"})
        if (endsWith(name, ext))
            return true;
    return false;
}

// The files that mark a folder as one SAE.
bool isSaeMarker(const std::string& name) {
    return name == "cfg.json" || name == "params.npz" || name == "hyperparams.json" ||
           name == "sae.safetensors" || name == "sae_weights.safetensors";
}

std::string parentOf(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string baseName(const std::string& path) {
    return path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
}

struct SaeRef {
    RepoId id;
    std::string folder; // repo-relative, no trailing '/', empty for the top level
};

SaeRef parseSaeRef(const std::string& ref) {
    std::string rest = ref.substr(3);
    std::string revision;
    if (const auto at = rest.rfind('@'); at != std::string::npos) {
        revision = rest.substr(at + 1);
        rest.erase(at);
    }
    while (!rest.empty() && rest.back() == '/')
        rest.pop_back();
    const auto first = rest.find('/');
    const auto second = first == std::string::npos ? first : rest.find('/', first + 1);
    SaeRef out;
    try {
        out.id = parseRepoId(rest.substr(0, second), RepoType::Model, revision);
        if (second != std::string::npos) {
            out.folder = rest.substr(second + 1);
            checkRelativePath(out.folder);
        }
    } catch (const Exception& e) {
        throw Exception(ErrorCode::InvalidArgument,
                        std::string("not a valid SAE reference: ") + e.what(), "'" + ref + "'",
                        std::string("Write a folder or ") + kSaeForm);
    }
    return out;
}

// Folders holding an SAE (a marker file), for the message when the asked one has none.
std::string saeFoldersHint(const std::vector<std::string>& paths, const std::string& under) {
    std::set<std::string> folders;
    for (const auto& p : paths)
        if (isSaeMarker(baseName(p)) && (under.empty() || p.rfind(under + "/", 0) == 0))
            folders.insert(parentOf(p).empty() ? "(top level)" : parentOf(p));
    if (folders.empty())
        return under.empty() ? "the repo has no SAE files (cfg.json, params.npz, ...)"
                             : saeFoldersHint(paths, parentOf(under));
    std::string out = "SAE folders there: ";
    int n = 0;
    for (const auto& f : folders) {
        if (n++ == 8) {
            out += ", ... (" + std::to_string(folders.size()) + " in all)";
            break;
        }
        out += (n > 1 ? ", " : "") + f;
    }
    return out;
}

} // namespace

std::string resolveSaeFolder(const std::string& ref, const HubSettings& given, JobContext* ctx) {
    if (ref.rfind("hf:", 0) != 0) {
        std::error_code ec;
        if (!fs::is_directory(ref, ec))
            throw Exception(
                ErrorCode::NotFound, "no such SAE folder", ref,
                std::string("Give the folder with the SAE's cfg.json and weights, or ") + kSaeForm);
        return ref;
    }
    const SaeRef sae = parseSaeRef(ref);
    const HubSettings settings = withCacheDefaults(given);
    const std::string prefix = sae.folder.empty() ? "" : sae.folder + "/";
    // The top level of a repo means its own files, not every SAE below it.
    auto wanted = [&](const std::string& p) {
        return p.rfind(prefix, 0) == 0 && isSaeFile(p) &&
               (!sae.folder.empty() || p.find('/') == std::string::npos);
    };
    auto notFound = [&](const std::string& hint) {
        return Exception(ErrorCode::NotFound,
                         "no SAE files in " + sae.id.repo + "@" + sae.id.revision +
                             (sae.folder.empty() ? " (top level)" : "/" + sae.folder),
                         ref, hint + "; give one as hf:" + sae.id.repo + "/FOLDER");
    };
    DownloadResult result;
    if (settings.offline) {
        result = downloadRepo(sae.id, settings, wanted, ctx);
        if (result.files.empty())
            throw notFound("HF_HUB_OFFLINE=1 and the cache has none of them");
    } else {
        const RepoInfo listing = fetchRepoInfo(sae.id, settings);
        std::vector<std::string> paths;
        bool marked = false; // an SAE right in the folder, not only deeper (a whole release)
        for (const auto& f : listing.files) {
            paths.push_back(f.path);
            marked |=
                wanted(f.path) && parentOf(f.path) == sae.folder && isSaeMarker(baseName(f.path));
        }
        if (!marked)
            throw notFound(saeFoldersHint(paths, sae.folder));
        result = downloadListed(listing, settings, wanted, ctx);
    }
    return sae.folder.empty() ? result.snapshotDir
                              : (fs::path(result.snapshotDir) / sae.folder).string();
}

} // namespace mistudio::hub
