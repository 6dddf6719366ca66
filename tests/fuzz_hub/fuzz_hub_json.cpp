// libFuzzer target: the Hub API's repo listing JSON (untrusted server bytes) through
// parseRepoInfoJson and the checks applied to the files a download selects. Any exception other
// than mistudio::Exception, and any sanitizer report, is a bug.
#include "hub/api.h"
#include "hub/cache.h"
#include "hub/dataset_layout.h"
#include "mistudio/result.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mistudio;
    const std::string json(reinterpret_cast<const char*>(data), size);
    hub::RepoInfo info;
    try {
        info = hub::parseRepoInfoJson(json, hub::parseRepoId("org/name"), "fuzz");
    } catch (const Exception&) {
        return 0;
    }
    std::vector<std::string> paths;
    for (const auto& f : info.files) {
        paths.push_back(f.path);
        try {
            hub::checkRelativePath(f.path);
        } catch (const Exception&) {
        }
        (void)hub::isHexDigest(f.blobName());
        (void)hub::isModelFile(f.path);
    }
    // Dataset specs choose files from the same listing.
    (void)hub::parquetConversionLayout(paths);
    (void)hub::repoDataLayout(paths);
    return 0;
}
