#include "project_records.h"

#include "cli.h"
#include "mistudio/model_info.h"
#include "mistudio/result.h"

#include <filesystem>

namespace mistudio::cli {

namespace fs = std::filesystem;

int64_t recordModel(Project& project, const std::string& folder) {
    const ModelInfo info = inspectModel(folder);
    ModelRecord m;
    m.hubId = fs::path(folder).lexically_normal().filename().string();
    if (m.hubId.empty())
        m.hubId = fs::path(folder).lexically_normal().parent_path().filename().string();
    m.localPath = fs::absolute(folder).lexically_normal().string();
    m.family = info.modelType;
    m.dModel = info.dModel;
    m.nLayers = info.nLayers;
    m.vocabSize = info.vocabSize;
    m.quantSaved = info.dtype;
    m.quantRequested = "none";
    m.quantEffective = "none";
    return project.addModel(m);
}

std::string copySaeIntoAssets(Project& project, int64_t runId, const std::string& from) {
    if (project.assetsDir().empty())
        throw Exception(ErrorCode::InvalidArgument, "an in-memory project has no assets folder",
                        project.path(), "use a project file");
    std::string name = fs::path(from).lexically_normal().filename().string();
    if (name.empty() || name == ".")
        name = "sae";
    const fs::path dir = fs::path(project.assetsDir()) / "saes";
    const fs::path target = dir / (std::to_string(runId) + "-" + name);
    std::string tmpName = ".";
    tmpName += target.filename().string();
    tmpName += ".tmp";
    const fs::path tmp = dir / tmpName;
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::remove_all(tmp, ec);
    fs::copy(from, tmp, fs::copy_options::recursive, ec);
    if (!ec) {
        fs::remove_all(target, ec);
        fs::rename(tmp, target, ec);
    }
    if (ec) {
        fs::remove_all(tmp);
        throw Exception(ErrorCode::Io, "cannot copy the SAE folder: " + ec.message(),
                        from + " -> " + target.string(), "check free disk space and permissions");
    }
    return project.toAssetPath(target.string());
}

int64_t parseRunId(const std::string& text) {
    try {
        size_t pos = 0;
        const long long id = std::stoll(text, &pos);
        if (pos == text.size() && id > 0)
            return id;
    } catch (const std::exception&) {
    }
    throw UsageError("--run expects a run id (a positive integer from 'mistudio-cli runs'), got '" +
                     text + "'");
}

} // namespace mistudio::cli
