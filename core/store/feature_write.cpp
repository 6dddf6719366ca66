// Writing analysis results: feature statistics, examples, logit effects, histograms, neighbors
// and token strings. Each public call is one transaction.
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store/feature_blobs.h"
#include "store/project_impl.h"
#include "store/schema.h"

#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

namespace mistudio {

using store::asBlob;
using store::Database;
using store::Statement;

namespace {

std::string tagsJson(const std::vector<std::string>& tags) {
    return nlohmann::json(tags).dump();
}

// Statements reused across one batch (preparing per row would dominate the batch time).
struct FeatureWriter {
    FeatureWriter(Database& database, int64_t run) : db(database), runId(run) {}

    Database& db;
    int64_t runId;
    Statement stats{db, "INSERT INTO features(run_id, idx, density, max_act, mean_act, label, "
                        "notes, tags, flags) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                        "ON CONFLICT(run_id, idx) DO UPDATE SET density = excluded.density, "
                        "max_act = excluded.max_act, mean_act = excluded.mean_act, "
                        "flags = excluded.flags, "
                        "label = iif(excluded.label <> '', excluded.label, label), "
                        "notes = iif(excluded.notes <> '', excluded.notes, notes), "
                        "tags = iif(excluded.tags <> '[]', excluded.tags, tags)"};
    Statement clearExamples{db, "DELETE FROM feature_examples WHERE run_id = ?1 AND feature = ?2"};
    // feature_tokens is keyed by token first (for "fires on"), so a feature's entries are found
    // through its old examples rather than by a scan.
    Statement oldExamples{db, "SELECT token_ids, activations FROM feature_examples "
                              "WHERE run_id = ?1 AND feature = ?2"};
    Statement clearToken{db, "DELETE FROM feature_tokens WHERE run_id = ?1 AND token_id = ?2 AND "
                             "feature = ?3"};
    Statement example{db, "INSERT INTO feature_examples(run_id, feature, kind, bin, rank, bin_min, "
                          "bin_max, bin_contains, document_id, document_offset, max_position, "
                          "max_value, token_ids, activations) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                          "?8, ?9, ?10, ?11, ?12, ?13, ?14)"};
    Statement firing{db, "INSERT OR IGNORE INTO feature_tokens(run_id, token_id, feature) "
                         "VALUES(?1, ?2, ?3)"};
    // Skips the write when the string is unchanged (the common case on re-analysis).
    Statement token{db,
                    "INSERT INTO run_tokens(run_id, token_id, text, key) VALUES(?1, ?2, ?3, ?4) "
                    "ON CONFLICT(run_id, token_id) DO UPDATE SET text = excluded.text, "
                    "key = excluded.key WHERE text <> excluded.text"};
    std::unordered_map<int32_t, std::string> tokensWritten; // this batch, to skip repeats
    Statement logits{db, "INSERT OR REPLACE INTO logit_effects(run_id, feature, positive_ids, "
                         "positive_values, negative_ids, negative_values) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"};
    Statement histogram{db, "INSERT OR REPLACE INTO histograms(run_id, feature, edges, counts) "
                            "VALUES(?1, ?2, ?3, ?4)"};
    Statement neighbors{db, "INSERT OR REPLACE INTO neighbors(run_id, feature, indices, cosines) "
                            "VALUES(?1, ?2, ?3, ?4)"};

    void writeStats(const FeatureStats& s) {
        if (s.index < 0)
            throw Exception(ErrorCode::InvalidArgument,
                            "Feature index " + std::to_string(s.index) + " is negative",
                            "run " + std::to_string(runId), "Pass indices in [0, d_sae)");
        stats.bind(1, runId).bind(2, s.index).bind(3, s.density).bind(4, s.maxActivation);
        stats.bind(5, s.meanActivation).bind(6, s.label).bind(7, s.notes).bind(8, tagsJson(s.tags));
        stats.bind(9, int64_t(s.flags));
        stats.run();
    }

    void writeTokenString(int32_t id, const std::string& text) {
        auto [it, fresh] = tokensWritten.try_emplace(id, text);
        if (!fresh && it->second == text)
            return;
        it->second = text;
        token.bind(1, runId).bind(2, int64_t(id)).bind(3, text).bind(4, store::tokenKey(text));
        token.run();
    }

    void clearOld(int64_t feature) {
        std::set<int32_t> old;
        oldExamples.bind(1, runId).bind(2, feature);
        while (oldExamples.step())
            for (int32_t t :
                 store::firingTokens(store::fromBlob<int32_t>(oldExamples.getBlob(0), "token ids"),
                                     store::fromBlob<float>(oldExamples.getBlob(1), "activations")))
                old.insert(t);
        oldExamples.reset();
        for (int32_t t : old) {
            clearToken.bind(1, runId).bind(2, int64_t(t)).bind(3, feature);
            clearToken.run();
        }
        clearExamples.bind(1, runId).bind(2, feature);
        clearExamples.run();
    }

    void writeExample(int64_t feature, const FeatureExample& e, std::set<int32_t>& fires);
    void writeDetails(const FeatureRecord& r);
};

void FeatureWriter::writeExample(int64_t feature, const FeatureExample& e,
                                 std::set<int32_t>& fires) {
    const std::string where =
        "run " + std::to_string(runId) + ", feature " + std::to_string(feature);
    if (e.tokenIds.size() != e.activations.size() || e.tokenIds.empty())
        throw Exception(ErrorCode::InvalidArgument,
                        "An example has " + std::to_string(e.tokenIds.size()) + " tokens and " +
                            std::to_string(e.activations.size()) + " activations",
                        where, "Give one activation per token, and at least one token");
    if (!e.tokens.empty() && e.tokens.size() != e.tokenIds.size())
        throw Exception(ErrorCode::InvalidArgument,
                        "An example's token strings do not match its ids", where,
                        "Give one string per token id, or none");
    int maxPos = e.maxPosition;
    if (maxPos < 0) {
        maxPos = 0;
        for (size_t i = 1; i < e.activations.size(); ++i)
            if (e.activations[i] > e.activations[size_t(maxPos)])
                maxPos = int(i);
    }
    if (size_t(maxPos) >= e.activations.size())
        throw Exception(ErrorCode::InvalidArgument,
                        "An example's max position " + std::to_string(maxPos) + " is outside it",
                        where, "Pass a position in [0, tokens) or -1 to compute it");
    const int bin = e.kind == ExampleKind::Quantile ? e.bin : 0;
    example.bind(1, runId).bind(2, feature).bind(3, int(e.kind)).bind(4, bin).bind(5, e.rank);
    example.bind(6, e.binMin).bind(7, e.binMax).bind(8, e.binContains);
    example.bind(9, e.documentId).bind(10, e.documentOffset).bind(11, maxPos);
    example.bind(12, double(e.activations[size_t(maxPos)]));
    const auto ids = asBlob(e.tokenIds);
    const auto acts = asBlob(e.activations);
    example.bindBlob(13, ids.data(), ids.size()).bindBlob(14, acts.data(), acts.size());
    example.run();
    for (int32_t t : store::firingTokens(e.tokenIds, e.activations))
        fires.insert(t);
    for (size_t i = 0; i < e.tokens.size(); ++i)
        writeTokenString(e.tokenIds[i], e.tokens[i]);
}

template <typename T> void bindVector(Statement& st, int index, const std::vector<T>& v) {
    const auto blob = asBlob(v);
    st.bindBlob(index, blob.data(), blob.size());
}

void FeatureWriter::writeDetails(const FeatureRecord& r) {
    const int64_t f = r.stats.index;
    clearOld(f);
    std::set<int32_t> fires;
    for (const auto& e : r.examples)
        writeExample(f, e, fires);
    for (int32_t t : fires) {
        firing.bind(1, runId).bind(2, int64_t(t)).bind(3, f);
        firing.run();
    }
    std::vector<int32_t> ids[2];
    std::vector<float> values[2];
    const std::vector<TokenValue>* sides[2] = {&r.logitsPositive, &r.logitsNegative};
    for (int s = 0; s < 2; ++s)
        for (const auto& tv : *sides[s]) {
            ids[s].push_back(tv.tokenId);
            values[s].push_back(tv.value);
            if (!tv.token.empty())
                writeTokenString(tv.tokenId, tv.token);
        }
    logits.bind(1, runId).bind(2, f);
    bindVector(logits, 3, ids[0]), bindVector(logits, 4, values[0]);
    bindVector(logits, 5, ids[1]), bindVector(logits, 6, values[1]);
    logits.run();
    if (!r.histogram.counts.empty() && r.histogram.edges.size() != r.histogram.counts.size() + 1)
        throw Exception(ErrorCode::InvalidArgument, "A histogram needs one more edge than counts",
                        "feature " + std::to_string(f), "Pass bins+1 edges");
    histogram.bind(1, runId).bind(2, f);
    bindVector(histogram, 3, r.histogram.edges), bindVector(histogram, 4, r.histogram.counts);
    histogram.run();
    std::vector<int64_t> nIdx;
    std::vector<float> nCos;
    for (const auto& n : r.neighbors)
        nIdx.push_back(n.index), nCos.push_back(n.cosine);
    neighbors.bind(1, runId).bind(2, f);
    bindVector(neighbors, 3, nIdx), bindVector(neighbors, 4, nCos);
    neighbors.run();
}

} // namespace

void Project::writeFeatures(int64_t runId, const std::vector<FeatureRecord>& batch) {
    m_impl->write([&](Database& db) {
        requireRun(db, runId);
        FeatureWriter w(db, runId);
        for (const auto& r : batch) {
            w.writeStats(r.stats);
            w.writeDetails(r);
        }
    });
}

void Project::writeFeatureStats(int64_t runId, const std::vector<FeatureStats>& batch) {
    m_impl->write([&](Database& db) {
        requireRun(db, runId);
        FeatureWriter w(db, runId);
        for (const auto& s : batch)
            w.writeStats(s);
    });
}

void Project::writeTokenStrings(int64_t runId,
                                const std::vector<std::pair<int32_t, std::string>>& tokens) {
    m_impl->write([&](Database& db) {
        requireRun(db, runId);
        FeatureWriter w(db, runId);
        for (const auto& [id, text] : tokens)
            w.writeTokenString(id, text);
    });
}

void Project::setFeatureAnnotations(int64_t runId, int64_t index, const std::string& label,
                                    const std::string& notes,
                                    const std::vector<std::string>& tags) {
    m_impl->write([&](Database& db) {
        auto st = db.prepare("UPDATE features SET label = ?3, notes = ?4, tags = ?5 "
                             "WHERE run_id = ?1 AND idx = ?2");
        st.bind(1, runId).bind(2, index).bind(3, label).bind(4, notes).bind(5, tagsJson(tags));
        st.run();
        if (db.changes() == 0)
            throw Exception(ErrorCode::NotFound,
                            "Run " + std::to_string(runId) + " has no feature " +
                                std::to_string(index),
                            m_impl->path, "Run the analysis first, or check the index");
    });
}

} // namespace mistudio
