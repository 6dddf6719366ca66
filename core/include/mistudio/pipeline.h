#pragma once
// The whole pipeline of a run as one job: resolve/download the model, extract activations, train
// the SAE(s) — several hooks and/or a sweep of SAE settings share one model forward — evaluate
// with each SAE spliced into the model, analyze every feature — each stage
// recorded in the project and resumable (re-running after a kill continues where it stopped).
// `mistudio-cli run` and the GUI's Start call the same function.

#include "mistudio/engine.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mistudio {

struct PipelineRequest {
    std::string runJson;            // RUN.json text (keys in docs and examples/)
    std::string projectPath;        // NAME.mistudio (created when missing)
    std::string source;             // where the JSON came from, for error messages
    bool ignoreMemoryCheck = false; // run even when the memory plan predicts it cannot fit
};

/// One trained SAE: a hook times one entry of the `sae` sweep, recorded as its own run.
struct PipelineRun {
    int64_t runId = 0;
    std::string hook;
    std::string name;      // the SAE's name in the sweep ("sae" for a single SAE)
    std::string saeFolder; // absolute path of the trained SAE (SAELens layout)
    std::string evalJson;  // the evaluation metrics as one JSON object
};

struct PipelineOutcome {
    int64_t runId = 0; // the first run's (the only one for one hook and one SAE)
    std::string saeFolder;
    std::string evalJson;
    std::vector<PipelineRun> runs; // every hook x SAE, in RUN.json order (hooks outer)
};

/// Runs every stage; progress events carry the stage names download, load, extract, train,
/// evaluate, analyze. Throws mistudio::Exception (the run is then marked failed or cancelled).
PipelineOutcome runPipeline(const PipelineRequest& request, JobContext& ctx);

} // namespace mistudio
