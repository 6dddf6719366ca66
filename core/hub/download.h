#pragma once
// Downloads driven by a listing the caller already fetched (datasets and SAE folders look at the
// listing first to pick files and to name what exists when the asked part does not).

#include "mistudio/hub.h"

namespace mistudio::hub {

/// downloadRepo() for `repo` as listed by fetchRepoInfo(): no second listing request.
DownloadResult downloadListed(const RepoInfo& repo, const HubSettings& settings,
                              const FileFilter& filter, JobContext* ctx);

/// `settings` with an empty cache folder or endpoint replaced by the defaults.
HubSettings withCacheDefaults(const HubSettings& settings);

} // namespace mistudio::hub
