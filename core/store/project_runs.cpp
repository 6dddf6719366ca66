// Models, datasets, runs, metrics and evaluation results.
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store/project_impl.h"

#include <chrono>
#include <ctime>

namespace mistudio {

using store::Database;
using store::Statement;

const char* runStatusName(RunStatus status) {
    switch (status) {
    case RunStatus::Running: return "running";
    case RunStatus::Done: return "done";
    case RunStatus::Failed: return "failed";
    case RunStatus::Cancelled: return "cancelled";
    }
    return "running";
}

RunStatus parseRunStatus(const std::string& name) {
    for (RunStatus s :
         {RunStatus::Running, RunStatus::Done, RunStatus::Failed, RunStatus::Cancelled})
        if (name == runStatusName(s))
            return s;
    throw Exception(ErrorCode::InvalidArgument, "Unknown run status '" + name + "'", "run status",
                    "Use one of running, done, failed, cancelled");
}

namespace {

std::string utcNow() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

constexpr const char* kRunColumns =
    "id, name, model_id, dataset_id, config, status, created, started, ended, device, error, "
    "sae_path, hook, architecture, d_in, d_sae";

RunRecord readRun(const Statement& st) {
    RunRecord r;
    r.id = st.getInt(0);
    r.name = st.getText(1);
    if (!st.isNull(2))
        r.modelId = st.getInt(2);
    if (!st.isNull(3))
        r.datasetId = st.getInt(3);
    r.configJson = st.getText(4);
    r.status = parseRunStatus(st.getText(5));
    r.created = st.getText(6);
    r.started = st.getText(7);
    r.ended = st.getText(8);
    r.device = st.getText(9);
    r.error = st.getText(10);
    r.saePath = st.getText(11);
    r.hook = st.getText(12);
    r.architecture = st.getText(13);
    r.dIn = st.getInt(14);
    r.dSae = st.getInt(15);
    return r;
}

void bindRunFields(Statement& st, const RunRecord& r) {
    st.bind(":name", r.name)
        .bind(":model", r.modelId)
        .bind(":dataset", r.datasetId)
        .bind(":config", r.configJson.empty() ? std::string("{}") : r.configJson)
        .bind(":device", r.device)
        .bind(":sae", r.saePath)
        .bind(":hook", r.hook)
        .bind(":arch", r.architecture)
        .bind(":din", r.dIn)
        .bind(":dsae", r.dSae);
}

} // namespace

int64_t Project::addModel(const ModelRecord& m) {
    return m_impl->write([&](Database& db) {
        auto st = db.prepare(
            "INSERT INTO models(hub_id, revision, local_path, family, d_model, n_layers, "
            "vocab_size, quant_saved, quant_requested, quant_effective) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
            "ON CONFLICT(hub_id, revision) DO UPDATE SET local_path = ?3, family = ?4, "
            "d_model = ?5, n_layers = ?6, vocab_size = ?7, quant_saved = ?8, "
            "quant_requested = ?9, quant_effective = ?10 RETURNING id");
        st.bind(1, m.hubId).bind(2, m.revision).bind(3, m.localPath).bind(4, m.family);
        st.bind(5, m.dModel).bind(6, m.nLayers).bind(7, m.vocabSize);
        st.bind(8, m.quantSaved).bind(9, m.quantRequested).bind(10, m.quantEffective);
        st.step();
        const int64_t id = st.getInt(0);
        st.reset();
        return id;
    });
}

std::vector<ModelRecord> Project::models() const {
    return m_impl->read([](Database& db) {
        auto st = db.prepare("SELECT id, hub_id, revision, local_path, family, d_model, n_layers, "
                             "vocab_size, quant_saved, quant_requested, quant_effective "
                             "FROM models ORDER BY id");
        std::vector<ModelRecord> out;
        while (st.step())
            out.push_back({st.getInt(0), st.getText(1), st.getText(2), st.getText(3), st.getText(4),
                           st.getInt(5), st.getInt(6), st.getInt(7), st.getText(8), st.getText(9),
                           st.getText(10)});
        return out;
    });
}

int64_t Project::addDataset(const DatasetRecord& d) {
    return m_impl->write([&](Database& db) {
        auto st = db.prepare("INSERT INTO datasets(spec, token_count, document_count) "
                             "VALUES(?1, ?2, ?3) ON CONFLICT(spec) DO UPDATE SET "
                             "token_count = ?2, document_count = ?3 RETURNING id");
        st.bind(1, d.spec).bind(2, d.tokenCount).bind(3, d.documentCount);
        st.step();
        const int64_t id = st.getInt(0);
        st.reset();
        return id;
    });
}

std::vector<DatasetRecord> Project::datasets() const {
    return m_impl->read([](Database& db) {
        auto st =
            db.prepare("SELECT id, spec, token_count, document_count FROM datasets ORDER BY id");
        std::vector<DatasetRecord> out;
        while (st.step())
            out.push_back({st.getInt(0), st.getText(1), st.getInt(2), st.getInt(3)});
        return out;
    });
}

int64_t Project::createRun(const RunRecord& run) {
    return m_impl->write([&](Database& db) {
        auto st =
            db.prepare("INSERT INTO runs(name, model_id, dataset_id, config, status, created, "
                       "started, device, sae_path, hook, architecture, d_in, d_sae) "
                       "VALUES(:name, :model, :dataset, :config, 'running', :now, :now, "
                       ":device, :sae, :hook, :arch, :din, :dsae)");
        bindRunFields(st, run);
        st.bind(":now", utcNow());
        st.run();
        return db.lastInsertId();
    });
}

void Project::updateRun(const RunRecord& run) {
    m_impl->write([&](Database& db) {
        requireRun(db, run.id);
        auto st = db.prepare("UPDATE runs SET name = :name, model_id = :model, "
                             "dataset_id = :dataset, config = :config, device = :device, "
                             "sae_path = :sae, hook = :hook, architecture = :arch, d_in = :din, "
                             "d_sae = :dsae WHERE id = :id");
        bindRunFields(st, run);
        st.bind(":id", run.id);
        st.run();
    });
}

void Project::setRunStatus(int64_t runId, RunStatus status, const std::string& error) {
    m_impl->write([&](Database& db) {
        const RunStatus current = [&] {
            auto st = db.prepare("SELECT status FROM runs WHERE id = ?1");
            st.bind(1, runId);
            if (!st.step())
                requireRun(db, runId); // throws NotFound
            return parseRunStatus(st.getText(0));
        }();
        if (current == status)
            return;
        if (current != RunStatus::Running)
            throw Exception(ErrorCode::InvalidArgument,
                            std::string("Run ") + std::to_string(runId) + " is already " +
                                runStatusName(current) + " and cannot become " +
                                runStatusName(status),
                            m_impl->path, "Start a new run instead");
        auto st = db.prepare("UPDATE runs SET status = ?2, error = ?3, ended = ?4 WHERE id = ?1");
        st.bind(1, runId).bind(2, runStatusName(status)).bind(3, error);
        st.bind(4, status == RunStatus::Running ? std::string() : utcNow());
        st.run();
    });
}

std::vector<RunRecord> Project::runs() const {
    return m_impl->read([](Database& db) {
        auto st = db.prepare(std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id");
        std::vector<RunRecord> out;
        while (st.step())
            out.push_back(readRun(st));
        return out;
    });
}

RunRecord Project::run(int64_t runId) const {
    return m_impl->read([&](Database& db) {
        auto st = db.prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1");
        st.bind(1, runId);
        if (!st.step())
            requireRun(db, runId);
        return readRun(st);
    });
}

void Project::appendMetrics(int64_t runId, const std::vector<MetricPoint>& points) {
    m_impl->write([&](Database& db) {
        requireRun(db, runId);
        auto st = db.prepare(
            "INSERT OR REPLACE INTO metrics(run_id, name, step, value) VALUES(?1, ?2, ?3, ?4)");
        for (const auto& p : points) {
            st.bind(1, runId).bind(2, p.name).bind(3, p.step).bind(4, p.value);
            st.run();
        }
    });
}

std::vector<MetricPoint> Project::metrics(int64_t runId, const std::string& name,
                                          int64_t afterStep) const {
    return m_impl->read([&](Database& db) {
        auto st = db.prepare("SELECT step, name, value FROM metrics WHERE run_id = ?1 AND "
                             "(?2 = '' OR name = ?2) AND step > ?3 ORDER BY name, step");
        st.bind(1, runId).bind(2, name).bind(3, afterStep);
        std::vector<MetricPoint> out;
        while (st.step())
            out.push_back({st.getInt(0), st.getText(1), st.getDouble(2)});
        return out;
    });
}

void Project::writeEvals(int64_t runId, const std::vector<EvalValue>& evals) {
    m_impl->write([&](Database& db) {
        requireRun(db, runId);
        auto st =
            db.prepare("INSERT OR REPLACE INTO evals(run_id, metric, value) VALUES(?1, ?2, ?3)");
        for (const auto& e : evals) {
            st.bind(1, runId).bind(2, e.metric).bind(3, e.value);
            st.run();
        }
    });
}

std::vector<EvalValue> Project::evals(int64_t runId) const {
    return m_impl->read([&](Database& db) {
        auto st = db.prepare("SELECT metric, value FROM evals WHERE run_id = ?1 ORDER BY metric");
        st.bind(1, runId);
        std::vector<EvalValue> out;
        while (st.step())
            out.push_back({st.getText(0), st.getDouble(1)});
        return out;
    });
}

} // namespace mistudio
