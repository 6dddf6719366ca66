#include "train_recorder.h"

#include "mistudio/import_sae.h"
#include "sae/metric_names.h"
#include "sae/saelens.h"

#include <filesystem>

namespace mistudio::cli {

namespace {

constexpr size_t kMetricBatch = 64;

} // namespace

TrainRecorder::TrainRecorder(const std::string& projectPath, const sae::RunConfig& run,
                             nlohmann::json configJson)
    : m_project(Project::openOrCreate(projectPath)), m_run(run), m_config(std::move(configJson)) {
    if (!run.model.empty() && std::filesystem::is_directory(run.model))
        m_modelId = recordModelFolder(m_project, run.model);
}

int64_t TrainRecorder::runFor(const std::string& name) {
    if (auto it = m_runs.find(name); it != m_runs.end())
        return it->second;
    RunRecord r;
    r.name = name.empty() ? std::filesystem::path(m_run.out).filename().string() : name;
    r.modelId = m_modelId;
    r.configJson = m_config.dump();
    r.hook = m_run.hook;
    r.device = m_run.device;
    const int64_t id = m_project.createRun(r);
    m_runs[name] = id;
    return id;
}

void TrainRecorder::flush(int64_t runId) {
    auto& pending = m_pending[runId];
    if (!pending.empty())
        m_project.appendMetrics(runId, pending);
    pending.clear();
}

void TrainRecorder::onStep(const std::string& name, const sae::StepMetrics& m) {
    std::lock_guard lock(m_mutex);
    const int64_t id = runFor(name);
    auto& pending = m_pending[id];
    for (auto& p : sae::stepMetricPoints(m))
        pending.push_back(std::move(p));
    if (pending.size() >= kMetricBatch)
        flush(id);
}

void TrainRecorder::finish(const std::vector<sae::RunResult>& results) {
    std::lock_guard lock(m_mutex);
    for (const auto& res : results) {
        const int64_t id = runFor(res.name);
        flush(id);
        const sae::SaeModel model = sae::loadSaeLens(res.folder);
        RunRecord r = m_project.run(id);
        r.saePath = copySaeIntoAssets(m_project, id, res.folder);
        r.architecture = sae::inferenceKindName(model.kind);
        if (model.cfg.contains("architecture") && model.cfg["architecture"].is_string() &&
            model.cfg["architecture"] != "standard") // SAELens' name for ReLU
            r.architecture = model.cfg["architecture"].get<std::string>();
        r.dIn = model.dIn();
        r.dSae = model.dSae();
        m_project.updateRun(r);
        m_project.writeEvals(id, sae::evalValues(res.eval));
        m_project.setRunStatus(id, RunStatus::Done);
    }
}

void TrainRecorder::fail(RunStatus status, const std::string& error) {
    std::lock_guard lock(m_mutex);
    if (m_runs.empty())
        runFor({}); // failed before its first step: the failure is still recorded
    for (const auto& [name, id] : m_runs) {
        flush(id);
        m_project.setRunStatus(id, status, error);
    }
}

} // namespace mistudio::cli
