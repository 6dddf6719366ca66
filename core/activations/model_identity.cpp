#include "activations/model_identity.h"

#include "hub/cache.h"

#include <algorithm>
#include <filesystem>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace mistudio::activations {

namespace {

bool isModelFile(const std::string& name) {
    auto endsWith = [&](const std::string& suffix) {
        return name.size() >= suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return name == "config.json" || name == "tokenizer.json" || name == "tokenizer_config.json" ||
           endsWith(".safetensors") || endsWith(".safetensors.index.json");
}

} // namespace

std::string modelRevision(const std::string& modelFolder) {
    const fs::path p = fs::absolute(modelFolder).lexically_normal();
    const fs::path folder = p.has_filename() ? p : p.parent_path(); // "…/<commit>/" too
    const fs::path snapshots = folder.parent_path();
    const std::string repo = snapshots.parent_path().filename().string();
    if (snapshots.filename() == "snapshots" && repo.rfind("models--", 0) == 0 &&
        folder.filename().string().size() == 40 && hub::isHexDigest(folder.filename().string()))
        return folder.filename().string();
    return "local";
}

nlohmann::json modelFiles(const std::string& modelFolder) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(modelFolder, ec))
        if (isModelFile(entry.path().filename().string()))
            names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    nlohmann::json files = nlohmann::json::array();
    for (const auto& name : names) {
        struct stat st {};
        if (::stat((fs::path(modelFolder) / name).c_str(), &st) != 0)
            continue;
        const int64_t mtimeNs = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        files.push_back({{"file", name}, {"bytes", int64_t(st.st_size)}, {"mtime_ns", mtimeNs}});
    }
    return files;
}

} // namespace mistudio::activations
