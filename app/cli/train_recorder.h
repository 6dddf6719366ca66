#pragma once
// `train --project P`: records each trained SAE as a run of the project — its configuration, live
// metrics (appended in batches), evaluation results and SAELens folder (copied into NAME.assets/).

#include "mistudio/project.h"
#include "mistudio/sae.h"
#include "sae/run.h"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mistudio::cli {

class TrainRecorder {
public:
    TrainRecorder(const std::string& projectPath, const sae::RunConfig& run,
                  nlohmann::json configJson);
    /// One logging step of SAE `name` (thread-safe); flushed every few dozen points.
    void onStep(const std::string& name, const sae::StepMetrics& m);
    /// Copies each SAE into the assets, writes its evals and marks its run done.
    void finish(const std::vector<sae::RunResult>& results);
    /// Marks every run of this training failed or cancelled.
    void fail(RunStatus status, const std::string& error);

private:
    int64_t runFor(const std::string& name); // creates the run on first use
    void flush(int64_t runId);

    Project m_project;
    const sae::RunConfig& m_run;
    nlohmann::json m_config;
    std::optional<int64_t> m_modelId;
    std::mutex m_mutex;
    std::map<std::string, int64_t> m_runs;
    std::map<int64_t, std::vector<MetricPoint>> m_pending;
};

} // namespace mistudio::cli
