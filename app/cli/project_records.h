#pragma once
// Helpers shared by the CLI commands that record things in a project (import-sae, analyze,
// train --project).

#include "mistudio/project.h"

#include <string>

namespace mistudio::cli {

/// Records a local model folder (dims and family from inspectModel) and returns its id.
int64_t recordModel(Project& project, const std::string& folder);

/// Copies the SAELens folder `from` into the project's assets (NAME.assets/saes/<run id>-<name>,
/// via a temporary folder renamed into place) and returns the path relative to the assets.
std::string copySaeIntoAssets(Project& project, int64_t runId, const std::string& from);

/// Parses --run as a positive run id.
int64_t parseRunId(const std::string& text);

} // namespace mistudio::cli
