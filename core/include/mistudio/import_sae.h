#pragma once
// Importing a published sparse autoencoder (SAELens format, from a folder or the Hub) as a run of
// a project, so it can be analysed and browsed like a trained one. Used by `mistudio-cli
// import-sae` and the studio's "Open published SAE" dialog. No LibTorch here.

#include "mistudio/hub.h"
#include "mistudio/project.h"

#include <cstdint>
#include <string>

namespace mistudio {

class JobContext;

/// What the user names: the SAE (folder or hf:REPO[/SUBFOLDER][@rev]) and its model (folder or
/// Hub id), optionally the hook (else the cfg's hook_name) and the run's name (else the folder's).
struct SaeImportRequest {
    std::string sae;
    std::string model;
    std::string hook;
    std::string name;
};

/// The SAE and model resolved to folders and checked against each other; nothing recorded yet.
struct ResolvedSaeImport {
    std::string saeDir;
    std::string modelDir;
    std::string hook;
    std::string architecture; // "relu", "topk" or "jumprelu" (how it encodes)
    std::string cfgJson;      // the SAE's cfg.json as read
    std::string name;         // the run's name
    int64_t dIn = 0;
    int64_t dSae = 0;
};

/// Resolves both references (Hub ones through the HF cache, downloading what is missing unless
/// settings.offline; progress and cancellation through `ctx`), loads the SAE and checks that the
/// model has its hook and its d_model. Throws mistudio::Exception saying what to fix.
ResolvedSaeImport resolveSaeImport(const SaeImportRequest& request,
                                   const hub::HubSettings& settings, JobContext* ctx = nullptr);

/// Records the resolved SAE as a done run of `project` (its model record, its SAE folder copied
/// into the project's assets) and returns the run. A failed copy leaves the run marked failed.
RunRecord recordSaeImport(Project& project, const ResolvedSaeImport& resolved);

/// Records a local model folder (dims and family from inspectModel) and returns its id.
int64_t recordModelFolder(Project& project, const std::string& folder);

/// Copies the SAELens folder `from` into the project's assets (NAME.assets/saes/<run id>-<name>,
/// via a temporary folder renamed into place) and returns the path relative to the assets.
std::string copySaeIntoAssets(Project& project, int64_t runId, const std::string& from);

} // namespace mistudio
