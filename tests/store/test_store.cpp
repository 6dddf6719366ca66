// Project store: round trips on :memory: and on files, runs and their status transitions,
// metrics, annotations that survive a re-analysis, and all-or-nothing batches.
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store/database.h"
#include "store_test_data.h"

#include <QTemporaryDir>
#include <QtTest>
#include <sqlite3.h>

using namespace mistudio;

namespace {

void compareExample(const FeatureExample& a, const FeatureExample& b) {
    QCOMPARE(a.tokenIds, b.tokenIds);
    QCOMPARE(a.tokens, b.tokens);
    QCOMPARE(a.activations, b.activations);
    QCOMPARE(a.documentId, b.documentId);
    QCOMPARE(a.documentOffset, b.documentOffset);
    QCOMPARE(a.rank, b.rank);
    QCOMPARE(a.bin, b.bin);
    // The stored max position is the arg max of the activations (first one on ties).
    int argmax = 0;
    for (size_t i = 1; i < b.activations.size(); ++i)
        if (b.activations[i] > b.activations[size_t(argmax)])
            argmax = int(i);
    QCOMPARE(a.maxPosition, argmax);
}

void compareRecord(const FeaturePage& page, const FeatureRecord& r) {
    QCOMPARE(page.stats.index, r.stats.index);
    QCOMPARE(page.stats.density, r.stats.density);
    QCOMPARE(page.stats.maxActivation, r.stats.maxActivation);
    QCOMPARE(page.stats.label, r.stats.label);
    QCOMPARE(page.stats.tags, r.stats.tags);
    QCOMPARE(page.stats.flags, r.stats.flags);
    std::vector<const FeatureExample*> top, quant, rnd;
    for (const auto& e : r.examples)
        (e.kind == ExampleKind::Top        ? top
         : e.kind == ExampleKind::Quantile ? quant
                                           : rnd)
            .push_back(&e);
    QCOMPARE(page.topExamples.size(), top.size());
    for (size_t i = 0; i < top.size(); ++i)
        compareExample(page.topExamples[i], *top[i]);
    QCOMPARE(page.quantileExamples.size(), quant.size());
    // Quantile examples come highest bin first; the generator wrote bin 0 then bin 1.
    QCOMPARE(page.quantileExamples.front().bin, 1);
    QCOMPARE(page.quantileExamples.back().bin, 0);
    QCOMPARE(page.randomExamples.size(), rnd.size());
    QCOMPARE(page.logitsPositive.size(), r.logitsPositive.size());
    for (size_t i = 0; i < r.logitsPositive.size(); ++i) {
        QCOMPARE(page.logitsPositive[i].tokenId, r.logitsPositive[i].tokenId);
        QCOMPARE(page.logitsPositive[i].token, r.logitsPositive[i].token);
        QCOMPARE(page.logitsPositive[i].value, r.logitsPositive[i].value);
        QCOMPARE(page.logitsNegative[i].value, r.logitsNegative[i].value);
    }
    QCOMPARE(page.histogram.edges, r.histogram.edges);
    QCOMPARE(page.histogram.counts, r.histogram.counts);
    QCOMPARE(page.neighbors.size(), r.neighbors.size());
    QCOMPARE(page.neighbors[1].index, r.neighbors[1].index);
    QCOMPARE(page.neighbors[1].cosine, r.neighbors[1].cosine);
}

template <typename Fn> QString errorOf(Fn&& fn) {
    try {
        fn();
    } catch (const Exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { QVERIFY(m_dir.isValid()); }
    void wrappersBindStepAndRollBack();
    void roundTripInMemory();
    void roundTripOnFileSurvivesReopen();
    void runStatusTransitions();
    void metricsAndEvals();
    void rewriteKeepsAnnotations();
    void badInputRollsBackTheBatch();

private:
    std::string file(const char* name) { return m_dir.filePath(name).toStdString(); }
    QTemporaryDir m_dir;
};

static void roundTrip(Project& p) {
    ModelRecord m;
    m.hubId = "openai-community/gpt2";
    m.revision = "607a30d783dfa663caf39e06633721c8d4cfcd7e";
    m.family = "gpt2", m.dModel = 768, m.nLayers = 12, m.vocabSize = 50257;
    m.quantSaved = "fp32", m.quantRequested = "int8", m.quantEffective = "fp16";
    const int64_t modelId = p.addModel(m);
    m.localPath = "/models/gpt2";
    QCOMPARE(p.addModel(m), modelId); // same hub id + revision: updated, not duplicated
    QCOMPARE(int(p.models().size()), 1);
    QCOMPARE(p.models()[0].localPath, m.localPath);
    QCOMPARE(p.models()[0].quantEffective, std::string("fp16"));
    const int64_t dsId = p.addDataset({0, "hf:roneneldan/TinyStories:train", 1000000, 4200});
    QCOMPARE(p.datasets()[0].documentCount, int64_t(4200));

    RunRecord run;
    run.name = "l6-topk", run.modelId = modelId, run.datasetId = dsId;
    run.configJson = R"({"k":32,"lr":0.0004})";
    run.hook = "blocks.6.hook_resid_post", run.architecture = "topk";
    run.dIn = 768, run.dSae = 1000, run.device = "cpu";
    const int64_t runId = p.createRun(run);
    const RunRecord back = p.run(runId);
    QCOMPARE(back.hook, run.hook);
    QCOMPARE(back.configJson, run.configJson);
    QCOMPARE(back.dSae, int64_t(1000));
    QCOMPARE(back.status, RunStatus::Running);
    QCOMPARE(back.modelId.value(), modelId);
    QVERIFY(!back.created.empty());

    const auto records = test::makeFeatures(0, 30, 7);
    p.writeFeatures(runId, records);
    QCOMPARE(p.featureCount(runId), int64_t(30));
    for (const auto& r : records)
        compareRecord(p.featurePage(runId, r.stats.index), r);
    QVERIFY(errorOf([&] { p.featurePage(runId, 30); }).contains("no feature 30"));
}

void TestStore::wrappersBindStepAndRollBack() {
    using namespace mistudio::store;
    Database db(":memory:", Database::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)");
    {
        Transaction tx(db);
        Statement ins = db.prepare("INSERT INTO t(name, score, data) VALUES(:name, ?2, ?3)");
        const std::vector<float> blob = {1.5f, -2.f};
        const auto bytes = asBlob(blob);
        ins.bind(":name", std::string("a")).bind(2, 0.5).bindBlob(3, bytes.data(), bytes.size());
        ins.run();
        ins.bind(":name", "b").bindNull(2).bindBlob(3, nullptr, 0); // empty blob, not NULL
        ins.run();
        tx.commit();
    }
    {
        Transaction tx(db); // destroyed without commit: rolled back
        db.exec("DELETE FROM t");
    }
    QCOMPARE(db.queryInt("SELECT count(*) FROM t"), int64_t(2));
    Statement sel = db.prepare("SELECT name, score, data, typeof(data) FROM t ORDER BY id");
    QVERIFY(sel.step());
    QCOMPARE(sel.getText(0), std::string("a"));
    QCOMPARE(sel.getDouble(1), 0.5);
    QCOMPARE(fromBlob<float>(sel.getBlob(2), "test"), (std::vector<float>{1.5f, -2.f}));
    QVERIFY(sel.step());
    QVERIFY(sel.isNull(1));
    QCOMPARE(sel.getText(3), std::string("blob"));
    QVERIFY(fromBlob<float>(sel.getBlob(2), "test").empty());
    QVERIFY(!sel.step());
    sel.reset();
    QVERIFY(sel.step()); // reset re-runs the statement
    QVERIFY(errorOf([&] { db.prepare("SELEKT 1"); }).contains("SELEKT"));
    QVERIFY(errorOf([&] { sel.indexOf(":missing"); }).contains(":missing"));
    QVERIFY(errorOf([&] {
                fromBlob<float>(std::string_view("abc"), "test");
            }).contains("not a multiple of 4"));
    Database moved = std::move(db);
    QCOMPARE(moved.queryInt("SELECT count(*) FROM t"), int64_t(2));
}

void TestStore::roundTripInMemory() {
    Project p = Project::inMemory();
    roundTrip(p);
}

void TestStore::roundTripOnFileSurvivesReopen() {
    const std::string path = file("study.mistudio");
    {
        Project p = Project::create(path);
        roundTrip(p);
        QVERIFY(QFileInfo(m_dir.filePath("study.assets")).isDir());
        QCOMPARE(p.toAssetPath(p.assetsDir() + "/run-1/sae"), std::string("run-1/sae"));
        QCOMPARE(p.resolveAssetPath("run-1/sae"), p.assetsDir() + "/run-1/sae");
    }
    Project p = Project::open(path);
    QCOMPARE(int(p.runs().size()), 1);
    const auto records = test::makeFeatures(0, 30, 7);
    compareRecord(p.featurePage(1, 17), records[17]);
    // The file is what the issue asks for: WAL, our application_id, the current schema.
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, nullptr);
    QCOMPARE(sqlite3_step(st), SQLITE_ROW);
    QCOMPARE(sqlite3_column_int(st, 0), Project::kApplicationId);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
    QCOMPARE(sqlite3_step(st), SQLITE_ROW);
    QCOMPARE(QString(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), QString("wal"));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

void TestStore::runStatusTransitions() {
    Project p = Project::inMemory();
    const int64_t a = p.createRun({}), b = p.createRun({}), c = p.createRun({});
    p.setRunStatus(a, RunStatus::Done);
    p.setRunStatus(b, RunStatus::Failed, "CUDA out of memory");
    p.setRunStatus(c, RunStatus::Cancelled);
    const auto runs = p.runs();
    QCOMPARE(runs[0].id, a); // oldest first
    QCOMPARE(runs[1].status, RunStatus::Failed);
    QCOMPARE(runs[1].error, std::string("CUDA out of memory"));
    QVERIFY(!runs[0].ended.empty());
    QCOMPARE(std::string(runStatusName(runs[2].status)), std::string("cancelled"));
    QVERIFY(errorOf([&] { p.setRunStatus(a, RunStatus::Running); }).contains("already done"));
    QVERIFY(errorOf([&] { p.setRunStatus(99, RunStatus::Done); }).contains("no run 99"));
    QVERIFY(errorOf([&] { parseRunStatus("paused"); }).contains("paused"));
}

void TestStore::metricsAndEvals() {
    Project p = Project::inMemory();
    const int64_t run = p.createRun({});
    std::vector<MetricPoint> batch;
    for (int s = 0; s < 100; ++s)
        batch.push_back({s, s % 2 ? "l0" : "loss", 1.0 / (s + 1)});
    p.appendMetrics(run, batch);
    p.appendMetrics(run, {{200, "loss", 0.5}});
    const auto loss = p.metrics(run, "loss");
    QCOMPARE(int(loss.size()), 51);
    QCOMPARE(loss[1].step, int64_t(2));
    QCOMPARE(loss[1].value, 1.0 / 3);
    QCOMPARE(int(p.metrics(run).size()), 101);
    const auto fresh = p.metrics(run, "loss", 96); // a live plot that has steps up to 96
    QCOMPARE(int(fresh.size()), 2);
    QCOMPARE(fresh[0].step, int64_t(98));
    QCOMPARE(fresh[1].step, int64_t(200));
    p.writeEvals(run, {{"fvu", 0.12}, {"l0", 31.5}});
    p.writeEvals(run, {{"fvu", 0.11}});
    const auto ev = p.evals(run);
    QCOMPARE(int(ev.size()), 2);
    QCOMPARE(ev[0].metric, std::string("fvu"));
    QCOMPARE(ev[0].value, 0.11);
    QVERIFY(errorOf([&] { p.appendMetrics(run + 1, batch); }).contains("no run"));
}

void TestStore::rewriteKeepsAnnotations() {
    Project p = Project::inMemory();
    const int64_t run = p.createRun({});
    auto records = test::makeFeatures(0, 3, 1);
    p.writeFeatures(run, records);
    p.setFeatureAnnotations(run, 1, "French words", "seen in news", {"language", "todo"});
    records[1].stats.label.clear(), records[1].stats.notes.clear(), records[1].stats.tags.clear();
    records[1].stats.density = 0.25;
    records[1].examples.resize(2); // a re-analysis replaces the examples
    p.writeFeatures(run, records);
    const FeaturePage page = p.featurePage(run, 1);
    QCOMPARE(page.stats.label, std::string("French words"));
    QCOMPARE(page.stats.notes, std::string("seen in news"));
    QCOMPARE(page.stats.tags, (std::vector<std::string>{"language", "todo"}));
    QCOMPARE(page.stats.density, 0.25);
    QCOMPARE(int(page.topExamples.size()), 2);
    QVERIFY(page.quantileExamples.empty());
    QVERIFY(errorOf([&] { p.setFeatureAnnotations(run, 42, "x", "", {}); }).contains("no feature"));
}

void TestStore::badInputRollsBackTheBatch() {
    Project p = Project::inMemory();
    const int64_t run = p.createRun({});
    auto records = test::makeFeatures(0, 10, 3);
    records[7].examples[0].activations.pop_back(); // one activation short
    const QString err = errorOf([&] { p.writeFeatures(run, records); });
    QVERIFY2(err.contains("activations") && err.contains("feature 7"), qPrintable(err));
    QCOMPARE(p.featureCount(run), int64_t(0)); // nothing of the batch was kept
}

QTEST_GUILESS_MAIN(TestStore)
#include "test_store.moc"
