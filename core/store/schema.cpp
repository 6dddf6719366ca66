#include "store/schema.h"

#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store/feature_blobs.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <vector>

namespace mistudio::store {

namespace {

// Version 1: the first released layout. Never edit it: files in the wild were made with it.
const char* kSchemaV1 = R"sql(
CREATE TABLE models(
  id INTEGER PRIMARY KEY, hub_id TEXT NOT NULL, revision TEXT NOT NULL DEFAULT '',
  local_path TEXT NOT NULL DEFAULT '', family TEXT NOT NULL DEFAULT '',
  d_model INTEGER NOT NULL DEFAULT 0, n_layers INTEGER NOT NULL DEFAULT 0,
  vocab_size INTEGER NOT NULL DEFAULT 0, quant_saved TEXT NOT NULL DEFAULT '',
  quant_requested TEXT NOT NULL DEFAULT '', quant_effective TEXT NOT NULL DEFAULT '',
  UNIQUE(hub_id, revision));
CREATE TABLE datasets(
  id INTEGER PRIMARY KEY, spec TEXT NOT NULL UNIQUE,
  token_count INTEGER NOT NULL DEFAULT 0, document_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE runs(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '',
  model_id INTEGER REFERENCES models(id), dataset_id INTEGER REFERENCES datasets(id),
  config TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL CHECK(status IN ('running','done','failed','cancelled')),
  created TEXT NOT NULL, started TEXT NOT NULL DEFAULT '', ended TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
  sae_path TEXT NOT NULL DEFAULT '', hook TEXT NOT NULL DEFAULT '',
  architecture TEXT NOT NULL DEFAULT '', d_in INTEGER NOT NULL DEFAULT 0,
  d_sae INTEGER NOT NULL DEFAULT 0);
CREATE TABLE metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL,
  step INTEGER NOT NULL, value REAL, PRIMARY KEY(run_id, name, step)) WITHOUT ROWID;
CREATE TABLE evals(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, metric TEXT NOT NULL,
  value REAL, PRIMARY KEY(run_id, metric)) WITHOUT ROWID;
CREATE TABLE features(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
  density REAL NOT NULL DEFAULT 0, max_act REAL NOT NULL DEFAULT 0,
  mean_act REAL NOT NULL DEFAULT 0, label TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '', flags INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(run_id, idx)) WITHOUT ROWID;
CREATE TABLE feature_examples(
  run_id INTEGER NOT NULL, feature INTEGER NOT NULL, kind INTEGER NOT NULL,
  bin INTEGER NOT NULL, rank INTEGER NOT NULL, bin_min REAL, bin_max REAL, bin_contains REAL,
  document_id INTEGER NOT NULL, document_offset INTEGER NOT NULL,
  max_position INTEGER NOT NULL, max_value REAL NOT NULL,
  token_ids BLOB NOT NULL, activations BLOB NOT NULL,
  PRIMARY KEY(run_id, feature, kind, bin, rank),
  FOREIGN KEY(run_id, feature) REFERENCES features(run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE logit_effects(
  run_id INTEGER NOT NULL, feature INTEGER NOT NULL,
  positive_ids BLOB NOT NULL, positive_values BLOB NOT NULL,
  negative_ids BLOB NOT NULL, negative_values BLOB NOT NULL,
  PRIMARY KEY(run_id, feature),
  FOREIGN KEY(run_id, feature) REFERENCES features(run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE histograms(
  run_id INTEGER NOT NULL, feature INTEGER NOT NULL, edges BLOB NOT NULL, counts BLOB NOT NULL,
  PRIMARY KEY(run_id, feature),
  FOREIGN KEY(run_id, feature) REFERENCES features(run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE neighbors(
  run_id INTEGER NOT NULL, feature INTEGER NOT NULL, indices BLOB NOT NULL, cosines BLOB NOT NULL,
  PRIMARY KEY(run_id, feature),
  FOREIGN KEY(run_id, feature) REFERENCES features(run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE run_tokens(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, token_id INTEGER NOT NULL,
  text TEXT NOT NULL, PRIMARY KEY(run_id, token_id)) WITHOUT ROWID;
)sql";

// Version 2: tags, and the "fires on token" index (backfilled from the examples). The feature
// list is sorted in memory (feature_list.cpp), so it needs no per-statistic index.
const char* kSchemaV2 = R"sql(
ALTER TABLE features ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE run_tokens ADD COLUMN key TEXT NOT NULL DEFAULT '';
CREATE INDEX run_tokens_key ON run_tokens(run_id, key);
CREATE TABLE feature_tokens(
  run_id INTEGER NOT NULL, token_id INTEGER NOT NULL, feature INTEGER NOT NULL,
  PRIMARY KEY(run_id, token_id, feature),
  FOREIGN KEY(run_id, feature) REFERENCES features(run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;
)sql";

void backfillV2(Database& db) {
    {
        Statement read(db, "SELECT run_id, token_id, text FROM run_tokens");
        Statement write(db, "UPDATE run_tokens SET key = ?3 WHERE run_id = ?1 AND token_id = ?2");
        while (read.step()) {
            write.bind(1, read.getInt(0))
                .bind(2, read.getInt(1))
                .bind(3, tokenKey(read.getText(2)));
            write.run();
        }
    }
    Statement read(db, "SELECT run_id, feature, token_ids, activations FROM feature_examples");
    Statement write(db, "INSERT OR IGNORE INTO feature_tokens(run_id, token_id, feature) "
                        "VALUES(?1, ?2, ?3)");
    while (read.step()) {
        const auto ids = fromBlob<int32_t>(read.getBlob(2), "token ids");
        const auto acts = fromBlob<float>(read.getBlob(3), "activations");
        for (int32_t token : firingTokens(ids, acts)) {
            write.bind(1, read.getInt(0)).bind(2, int64_t(token)).bind(3, read.getInt(1));
            write.run();
        }
    }
}

struct Migration {
    int version;
    const char* sql;
    std::function<void(Database&)> data; // optional data step after the DDL
};

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> list = {
        {1, kSchemaV1, nullptr},
        {2, kSchemaV2, backfillV2},
    };
    return list;
}

uint32_t bigEndian32(const unsigned char* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

// snprintf rather than string concatenation: GCC 12 warns falsely (-Warray-bounds) on the latter.
std::string pragmaSet(const char* name, int64_t value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "PRAGMA %s = %lld", name, static_cast<long long>(value));
    return buf;
}

std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

void checkIdentity(const std::string& path, uint32_t appId, int64_t version) {
    if (appId != uint32_t(Project::kApplicationId))
        throw Exception(ErrorCode::InvalidFormat,
                        "This file is an SQLite database of another application (application_id " +
                            hex32(appId) + "), not a miStudio project; it was not modified",
                        path, "Open a .mistudio project file, or create a new project");
    if (version > kSchemaVersion)
        throw Exception(ErrorCode::Unsupported,
                        "This project was written by a newer version of miStudio (schema version " +
                            std::to_string(version) +
                            ") and this build reads schema versions up to " +
                            std::to_string(kSchemaVersion) +
                            "; forward compatibility is not guaranteed, so it was not opened",
                        path, "Update miStudio to open this project");
    if (version < 1)
        throw Exception(ErrorCode::InvalidFormat,
                        "This miStudio project has no schema (user_version 0): its creation was "
                        "interrupted",
                        path, "Delete it and create the project again");
}

} // namespace

std::string tokenKey(const std::string& text) {
    size_t b = 0, e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1])))
        --e;
    std::string key = text.substr(b, e - b);
    for (char& c : key)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

void checkFileHeader(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Exception(ErrorCode::NotFound, "Cannot read the project file", path,
                        "Check the path and the file's permissions");
    unsigned char header[100] = {};
    in.read(reinterpret_cast<char*>(header), sizeof header);
    static const char kMagic[] = "SQLite format 3"; // followed by a NUL, 16 bytes in all
    if (in.gcount() < 100 || std::memcmp(header, kMagic, 16) != 0)
        throw Exception(ErrorCode::InvalidFormat,
                        "This file is not a miStudio project: it is not an SQLite database (it may "
                        "be damaged or a different kind of file); it was not modified",
                        path, "Open a .mistudio project file, or create a new project");
    checkIdentity(path, bigEndian32(header + 68), bigEndian32(header + 60));
}

void checkOpenedDatabase(Database& db) {
    // Reading the schema makes SQLite parse page 1 and the catalogue: a damaged file fails here.
    db.queryInt("SELECT count(*) FROM sqlite_master");
    checkIdentity(db.path(), uint32_t(db.queryInt("PRAGMA application_id")),
                  db.queryInt("PRAGMA user_version"));
}

void configureConnection(Database& db) {
    // 32 MiB of page cache: batch writes touch several indexes at scattered keys.
    db.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;");
    db.setBusyTimeout(5000);
}

void migrate(Database& db) {
    const int64_t current = db.queryInt("PRAGMA user_version");
    for (const Migration& m : migrations()) {
        if (m.version <= current)
            continue;
        Transaction tx(db);
        if (m.version == 1)
            db.exec(pragmaSet("application_id", Project::kApplicationId));
        db.exec(m.sql);
        if (m.data)
            m.data(db);
        db.exec(pragmaSet("user_version", m.version));
        tx.commit();
    }
}

} // namespace mistudio::store
