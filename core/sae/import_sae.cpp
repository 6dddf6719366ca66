// Import of published SAELens-format SAEs as project runs (see mistudio/import_sae.h).
#include "mistudio/import_sae.h"

#include "mistudio/model_info.h"
#include "mistudio/result.h"
#include "sae/saelens.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace mistudio {

namespace {

namespace fs = std::filesystem;

} // namespace

ResolvedSaeImport resolveSaeImport(const SaeImportRequest& request,
                                   const hub::HubSettings& settings, JobContext* ctx) {
    ResolvedSaeImport r;
    // Local folders as they are; hf:REPO[/SUBFOLDER] and Hub model ids through the HF cache.
    r.saeDir = hub::resolveSaeFolder(request.sae, settings, ctx);
    r.modelDir = hub::resolveModelPath(request.model, settings, ctx);
    const sae::SaeModel model = sae::loadSaeLens(r.saeDir);
    r.hook = request.hook.empty() ? sae::cfgHookName(model.cfg) : request.hook;
    if (r.hook.empty())
        throw Exception(ErrorCode::InvalidFormat, "the SAE's cfg.json names no hook_name",
                        r.saeDir + "/cfg.json", "pass --hook blocks.L.hook_resid_post");
    const ModelInfo info = inspectModel(r.modelDir);
    if (std::find(info.hookPoints.begin(), info.hookPoints.end(), r.hook) == info.hookPoints.end())
        throw Exception(ErrorCode::InvalidArgument, "the model has no hook point '" + r.hook + "'",
                        r.modelDir, "run 'mistudio-cli inspect MODEL' for its hook names");
    if (info.dModel != model.dIn())
        throw Exception(ErrorCode::InvalidArgument,
                        "the SAE reads d_in " + std::to_string(model.dIn()) +
                            " but the model's d_model is " + std::to_string(info.dModel),
                        r.saeDir, "import the SAE with the model it was trained on");
    r.architecture = sae::inferenceKindName(model.kind);
    r.cfgJson = model.cfg.dump();
    r.dIn = model.dIn();
    r.dSae = model.dSae();
    r.name = request.name.empty() ? fs::path(r.saeDir).lexically_normal().filename().string()
                                  : request.name;
    return r;
}

RunRecord recordSaeImport(Project& project, const ResolvedSaeImport& resolved) {
    RunRecord run;
    run.name = resolved.name;
    run.modelId = recordModelFolder(project, resolved.modelDir);
    run.configJson = nlohmann::json{{"imported_from", resolved.saeDir},
                                    {"cfg", nlohmann::json::parse(resolved.cfgJson)}}
                         .dump();
    run.hook = resolved.hook;
    run.architecture = resolved.architecture;
    run.dIn = resolved.dIn;
    run.dSae = resolved.dSae;
    run.device = "cpu";
    run.id = project.createRun(run);
    try {
        run.saePath = copySaeIntoAssets(project, run.id, resolved.saeDir);
        project.updateRun(run);
    } catch (const Exception& e) {
        project.setRunStatus(run.id, RunStatus::Failed, e.what());
        throw;
    }
    project.setRunStatus(run.id, RunStatus::Done);
    run.status = RunStatus::Done;
    return run;
}

int64_t recordModelFolder(Project& project, const std::string& folder) {
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
    const fs::path tmp = dir / ("." + target.filename().string() + ".tmp");
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

} // namespace mistudio
