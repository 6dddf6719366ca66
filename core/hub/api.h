#pragma once
// The Hub's HTTP API: URLs, the repo listing JSON, and HTTP failures turned into errors in words.

#include "hub/http.h"
#include "mistudio/hub.h"

#include <string>

namespace mistudio::hub {

/// {endpoint}/api/{models|datasets}/{repo}/revision/{rev}?blobs=true
std::string apiUrl(const HubSettings& settings, const RepoId& id);
/// {endpoint}/[datasets/]{repo}/resolve/{commit}/{path}
std::string resolveUrl(const HubSettings& settings, const RepoId& id, const std::string& commit,
                       const std::string& path);
/// The repo's page, for messages: {endpoint}/[datasets/]{repo}
std::string repoPageUrl(const HubSettings& settings, const RepoId& id);

/// Parses the listing JSON. Throws InvalidFormat (naming `source`) on anything unexpected.
/// File names are not checked here (see checkRelativePath): only the selected ones are.
RepoInfo parseRepoInfoJson(const std::string& json, const RepoId& id, const std::string& source);

/// Throws the Exception that says what an unsuccessful response means for the user: a gated or
/// private repo (401/403), a missing repo/revision/file (404), the network (no response).
/// `file` is empty for the listing request.
[[noreturn]] void throwHttpError(const HttpResponse& response, const HubSettings& settings,
                                 const RepoId& id, const std::string& file);

} // namespace mistudio::hub
