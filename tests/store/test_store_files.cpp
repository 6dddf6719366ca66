// Project files on disk: migration of a hand-made version-1 file, and refusal (with the file left
// byte-identical) of newer-schema, non-SQLite, foreign SQLite and damaged files.
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store_test_data.h"

#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <sqlite3.h>

using namespace mistudio;

namespace {

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void writeAll(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

void sqlExec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string msg = err ? err : "?";
        sqlite3_free(err);
        QFAIL(qPrintable(QString::fromStdString("SQL failed: " + msg)));
    }
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

class TestStoreFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { QVERIFY(m_dir.isValid()); }
    void migratesAHandMadeVersion1File();
    void newerSchemaIsRefusedUntouched();
    void nonSqliteFileIsRefusedUntouched();
    void foreignSqliteFileIsRefusedUntouched();
    void damagedProjectIsRefusedUntouched();
    void createRefusesAnExistingFile();

private:
    std::string file(const char* name) { return m_dir.filePath(name).toStdString(); }
    QTemporaryDir m_dir;
};

void TestStoreFiles::migratesAHandMadeVersion1File() {
    // A version-1 file as the first release wrote it, built here with the raw C API.
    const std::string path = file("old.mistudio");
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlExec(db,
            "PRAGMA journal_mode = WAL; PRAGMA application_id = 1835619188;"
            "CREATE TABLE models(id INTEGER PRIMARY KEY, hub_id TEXT NOT NULL, revision TEXT "
            "NOT NULL DEFAULT '', local_path TEXT NOT NULL DEFAULT '', family TEXT NOT NULL "
            "DEFAULT '', d_model INTEGER NOT NULL DEFAULT 0, n_layers INTEGER NOT NULL DEFAULT "
            "0, vocab_size INTEGER NOT NULL DEFAULT 0, quant_saved TEXT NOT NULL DEFAULT '', "
            "quant_requested TEXT NOT NULL DEFAULT '', quant_effective TEXT NOT NULL DEFAULT "
            "'', UNIQUE(hub_id, revision));"
            "CREATE TABLE datasets(id INTEGER PRIMARY KEY, spec TEXT NOT NULL UNIQUE, "
            "token_count INTEGER NOT NULL DEFAULT 0, document_count INTEGER NOT NULL DEFAULT 0);"
            "CREATE TABLE runs(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', model_id "
            "INTEGER REFERENCES models(id), dataset_id INTEGER REFERENCES datasets(id), config "
            "TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, created TEXT NOT NULL, started "
            "TEXT NOT NULL DEFAULT '', ended TEXT NOT NULL DEFAULT '', device TEXT NOT NULL "
            "DEFAULT '', error TEXT NOT NULL DEFAULT '', sae_path TEXT NOT NULL DEFAULT '', "
            "hook TEXT NOT NULL DEFAULT '', architecture TEXT NOT NULL DEFAULT '', d_in "
            "INTEGER NOT NULL DEFAULT 0, d_sae INTEGER NOT NULL DEFAULT 0);"
            "CREATE TABLE metrics(run_id INTEGER NOT NULL, name TEXT NOT NULL, step INTEGER "
            "NOT NULL, value REAL, PRIMARY KEY(run_id, name, step)) WITHOUT ROWID;"
            "CREATE TABLE evals(run_id INTEGER NOT NULL, metric TEXT NOT NULL, value REAL, "
            "PRIMARY KEY(run_id, metric)) WITHOUT ROWID;"
            "CREATE TABLE features(run_id INTEGER NOT NULL, idx INTEGER NOT NULL, density REAL "
            "NOT NULL DEFAULT 0, max_act REAL NOT NULL DEFAULT 0, mean_act REAL NOT NULL "
            "DEFAULT 0, label TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '', flags "
            "INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(run_id, idx)) WITHOUT ROWID;"
            "CREATE TABLE feature_examples(run_id INTEGER NOT NULL, feature INTEGER NOT NULL, "
            "kind INTEGER NOT NULL, bin INTEGER NOT NULL, rank INTEGER NOT NULL, bin_min REAL, "
            "bin_max REAL, bin_contains REAL, document_id INTEGER NOT NULL, document_offset "
            "INTEGER NOT NULL, max_position INTEGER NOT NULL, max_value REAL NOT NULL, "
            "token_ids BLOB NOT NULL, activations BLOB NOT NULL, PRIMARY KEY(run_id, feature, "
            "kind, bin, rank)) WITHOUT ROWID;"
            "CREATE TABLE logit_effects(run_id INTEGER NOT NULL, feature INTEGER NOT NULL, "
            "positive_ids BLOB NOT NULL, positive_values BLOB NOT NULL, negative_ids BLOB NOT "
            "NULL, negative_values BLOB NOT NULL, PRIMARY KEY(run_id, feature)) WITHOUT ROWID;"
            "CREATE TABLE histograms(run_id INTEGER NOT NULL, feature INTEGER NOT NULL, edges "
            "BLOB NOT NULL, counts BLOB NOT NULL, PRIMARY KEY(run_id, feature)) WITHOUT ROWID;"
            "CREATE TABLE neighbors(run_id INTEGER NOT NULL, feature INTEGER NOT NULL, indices "
            "BLOB NOT NULL, cosines BLOB NOT NULL, PRIMARY KEY(run_id, feature)) WITHOUT ROWID;"
            "CREATE TABLE run_tokens(run_id INTEGER NOT NULL, token_id INTEGER NOT NULL, text "
            "TEXT NOT NULL, PRIMARY KEY(run_id, token_id)) WITHOUT ROWID;"
            "INSERT INTO runs(name, status, created, hook, d_sae) VALUES('old run', 'done', "
            "'2025-01-01T00:00:00Z', 'blocks.2.hook_resid_pre', 4);"
            "INSERT INTO features(run_id, idx, density, max_act, label) VALUES(1, 3, 0.01, 4.5, "
            "'dogs');"
            "INSERT INTO run_tokens VALUES(1, 5, ' Dog'), (1, 6, ' cat');"
            // Tokens 5, 6, 5 with activations 0, 2.5, 0: fires on token 6 only.
            "INSERT INTO feature_examples VALUES(1, 3, 0, 0, 0, NULL, NULL, NULL, 9, 0, 1, 2.5, "
            "x'050000000600000005000000', x'000000000000204000000000');"
            "PRAGMA user_version = 1;");
    sqlite3_close(db);

    Project p = Project::open(path);
    const RunRecord run = p.run(1);
    QCOMPARE(run.name, std::string("old run"));
    QCOMPARE(run.status, RunStatus::Done);
    const FeaturePage page = p.featurePage(1, 3);
    QCOMPARE(page.stats.label, std::string("dogs"));
    QVERIFY(page.stats.tags.empty());
    QCOMPARE(page.topExamples.at(0).tokens, (std::vector<std::string>{" Dog", " cat", " Dog"}));
    QCOMPARE(page.topExamples.at(0).activations[1], 2.5f);
    // The v2 "fires on token" index was backfilled from the v1 examples.
    FeatureQuery q;
    q.firesOnToken = "CAT";
    QCOMPARE(int(p.queryFeatures(1, q).rows.size()), 1);
    q.firesOnToken = "dog";
    QCOMPARE(int(p.queryFeatures(1, q).rows.size()), 0);
    p.setFeatureAnnotations(1, 3, "dogs", "", {"pets"}); // new v2 column is writable
}

void TestStoreFiles::newerSchemaIsRefusedUntouched() {
    const std::string path = file("future.mistudio");
    Project::create(path);
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlExec(db, "PRAGMA user_version = 99");
    sqlite3_close(db);
    const std::string before = readAll(path);
    const QString err = errorOf([&] { Project::open(path); });
    QVERIFY2(err.contains("written by a newer version of miStudio (schema version 99)"),
             qPrintable(err));
    QVERIFY(err.contains("Update miStudio"));
    QCOMPARE(readAll(path), before);
}

void TestStoreFiles::nonSqliteFileIsRefusedUntouched() {
    const std::string path = file("notes.mistudio");
    const std::string bytes = "This is a text file, not a database.\n" + std::string(300, 'x');
    writeAll(path, bytes);
    const QString err = errorOf([&] { Project::open(path); });
    QVERIFY2(err.contains("not an SQLite database"), qPrintable(err));
    QCOMPARE(readAll(path), bytes);
    writeAll(path, "");
    QVERIFY(errorOf([&] { Project::open(path); }).contains("not an SQLite database"));
    QCOMPARE(readAll(path), std::string());
}

void TestStoreFiles::foreignSqliteFileIsRefusedUntouched() {
    const std::string path = file("firefox.sqlite");
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlExec(db, "CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url TEXT);"
                "INSERT INTO moz_places(url) VALUES('https://example.com')");
    sqlite3_close(db);
    const std::string before = readAll(path);
    const QString err = errorOf([&] { Project::open(path); });
    QVERIFY2(err.contains("another application (application_id 0x00000000)"), qPrintable(err));
    QCOMPARE(readAll(path), before);
}

void TestStoreFiles::damagedProjectIsRefusedUntouched() {
    const std::string path = file("damaged.mistudio");
    {
        Project p = Project::create(path);
        const int64_t run = p.createRun({});
        p.writeFeatures(run, test::makeFeatures(0, 200, 5));
    }
    std::string bytes = readAll(path);
    QVERIFY(bytes.size() > 3 * 8192);
    // Keep the 100-byte header (it still says "miStudio project"), scribble over the rest of page
    // 1 (the schema) and beyond.
    for (size_t i = 100; i < bytes.size(); ++i)
        bytes[i] = char((i * 131) ^ 0x5a);
    writeAll(path, bytes);
    const QString err = errorOf([&] {
        Project p = Project::open(path);
        p.featurePage(1, 0);
    });
    QVERIFY2(!err.isEmpty(), "a damaged project must be reported");
    QCOMPARE(readAll(path), bytes);
}

void TestStoreFiles::createRefusesAnExistingFile() {
    const std::string path = file("exists.mistudio");
    writeAll(path, "precious");
    QVERIFY(errorOf([&] { Project::create(path); }).contains("already exists"));
    QCOMPARE(readAll(path), std::string("precious"));
    QVERIFY(errorOf([&] { Project::open(file("missing.mistudio")); }).contains("does not exist"));
}

QTEST_GUILESS_MAIN(TestStoreFiles)
#include "test_store_files.moc"
