#pragma once
// Where a recorded run's inputs live on disk and how they are loaded together (shared by the
// feature analysis and the playground).

#include "mistudio/project.h"
#include "model/transformer.h"
#include "sae/model.h"

#include <string>

namespace mistudio::analysis {

/// `override` when given, else the local folder of the run's model record. Throws
/// InvalidArgument when the run has no model with a local folder.
std::string runModelFolder(const Project& project, const RunRecord& run,
                           const std::string& override = {});

/// Loads a SAELens folder, checks that it reads the model's d_model and moves it to the model's
/// device. Throws InvalidArgument naming both when they do not fit.
sae::SaeModel loadSaeForModel(const std::string& saeFolder, model::Transformer& model);

} // namespace mistudio::analysis
