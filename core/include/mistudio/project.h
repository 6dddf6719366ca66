#pragma once
// A miStudio project: NAME.mistudio (an SQLite file: WAL, foreign keys, a fixed application_id,
// user_version = schema version) plus NAME.assets/ for large binaries referenced by relative paths.
//
// Threading: one Project may be shared by an engine thread that writes and a UI thread that reads.
// Writes go through a write connection, each call one transaction; queries use a separate read
// connection (WAL), so a reader sees the last committed state and never waits for a writer.
// Several processes may open the same project (busy timeout 5 s).

#include "mistudio/project_types.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mistudio {

class Project {
public:
    /// The application_id every miStudio project carries ("miSt").
    static constexpr int32_t kApplicationId = 0x6D695374;
    /// The schema version this build writes; older files are migrated when opened.
    static int schemaVersion();

    /// Opens an existing project. A missing file, a file that is not SQLite, an SQLite file of
    /// another application, a damaged file and a file from a newer miStudio are each refused with
    /// an Exception, and the file is left untouched.
    static Project open(const std::string& path);
    /// Creates a new project (fails if `path` exists). Built under a temporary name and renamed.
    static Project create(const std::string& path);
    /// open() when the file exists, create() otherwise.
    static Project openOrCreate(const std::string& path);
    /// A project held in memory (tests, previews); it has no assets folder.
    static Project inMemory();

    ~Project();
    Project(Project&&) noexcept;
    Project& operator=(Project&&) noexcept;
    Project(const Project&) = delete;
    Project& operator=(const Project&) = delete;

    const std::string& path() const;
    /// NAME.assets/ beside the file (created on first use); empty for in-memory projects.
    std::string assetsDir() const;
    /// `absolute` relative to assetsDir() when inside it, else unchanged.
    std::string toAssetPath(const std::string& absolute) const;
    /// An asset path stored in the project, made absolute.
    std::string resolveAssetPath(const std::string& relative) const;

    // Models and datasets. add* inserts or, for the same hub id + revision / spec, updates.
    int64_t addModel(const ModelRecord& model);
    std::vector<ModelRecord> models() const;
    int64_t addDataset(const DatasetRecord& dataset);
    std::vector<DatasetRecord> datasets() const;

    // Runs. createRun stores the record with status running and returns its id.
    int64_t createRun(const RunRecord& run);
    /// Updates the descriptive fields (name, config, paths, hook, sizes, device); not the status.
    void updateRun(const RunRecord& run);
    /// running → done | failed | cancelled. A finished run cannot change status again.
    void setRunStatus(int64_t runId, RunStatus status, const std::string& error = {});
    std::vector<RunRecord> runs() const; // oldest first
    RunRecord run(int64_t runId) const;  // throws NotFound

    // Live curves and evaluation results.
    void appendMetrics(int64_t runId, const std::vector<MetricPoint>& points);
    /// Points of one metric (all metrics when `name` is empty), by name then step. A live plot
    /// passes the last step it has as `afterStep` to fetch only the new points.
    std::vector<MetricPoint> metrics(int64_t runId, const std::string& name = {},
                                     int64_t afterStep = INT64_MIN) const;
    void writeEvals(int64_t runId, const std::vector<EvalValue>& evals);
    std::vector<EvalValue> evals(int64_t runId) const;

    // Features. Each call is one transaction: after a crash a batch is either all there or absent.
    /// Inserts or replaces the records (stats, examples, logits, histogram, neighbors). An
    /// existing label, notes or tags survive when the record leaves them empty.
    void writeFeatures(int64_t runId, const std::vector<FeatureRecord>& batch);
    /// Inserts or updates only the statistics of these features.
    void writeFeatureStats(int64_t runId, const std::vector<FeatureStats>& batch);
    /// Token strings for a run's token ids (used by examples and logit effects).
    void writeTokenStrings(int64_t runId, const std::vector<std::pair<int32_t, std::string>>& t);
    void setFeatureAnnotations(int64_t runId, int64_t index, const std::string& label,
                               const std::string& notes, const std::vector<std::string>& tags);

    // Queries (read connection).
    FeatureList queryFeatures(int64_t runId, const FeatureQuery& query) const;
    /// Throws NotFound when the run has no such feature.
    FeaturePage featurePage(int64_t runId, int64_t index) const;
    int64_t featureCount(int64_t runId) const;

    struct Impl;

private:
    explicit Project(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace mistudio
