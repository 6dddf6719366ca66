#pragma once
// The whole pipeline of a run as one job: resolve/download the model, extract activations, train
// the SAE(s), evaluate with the SAE spliced into the model, analyze every feature — each stage
// recorded in the project and resumable (re-running after a kill continues where it stopped).
// `mistudio-cli run` and the GUI's Start call the same function.

#include <cstdint>
#include <string>

#include "mistudio/engine.h"

namespace mistudio {

struct PipelineRequest {
    std::string runJson;      // RUN.json text (keys in docs and examples/)
    std::string projectPath;  // NAME.mistudio (created when missing)
    std::string source;       // where the JSON came from, for error messages
    bool ignoreMemoryCheck = false; // run even when the memory plan predicts it cannot fit
};

struct PipelineOutcome {
    int64_t runId = 0;
    std::string saeFolder;    // absolute path of the trained SAE (SAELens layout)
    std::string evalJson;     // the evaluation metrics as one JSON object
};

/// Runs every stage; progress events carry the stage names download, load, extract, train,
/// evaluate, analyze. Throws mistudio::Exception (the run is then marked failed or cancelled).
PipelineOutcome runPipeline(const PipelineRequest& request, JobContext& ctx);

}  // namespace mistudio
