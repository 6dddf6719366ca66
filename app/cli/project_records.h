#pragma once
// Helpers shared by the CLI commands that name runs of a project. (Recording models and SAE
// folders in a project lives in core: mistudio/import_sae.h.)

#include <cstdint>
#include <string>

namespace mistudio::cli {

/// Parses --run as a positive run id.
int64_t parseRunId(const std::string& text);

} // namespace mistudio::cli
