// One feature's whole page, read in one snapshot on the read connection.
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store/project_impl.h"
#include "store/schema.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

namespace mistudio {

using store::Database;
using store::fromBlob;
using store::Statement;

FeatureStats readFeatureStats(const Statement& st) {
    FeatureStats s;
    s.index = st.getInt(0);
    s.density = st.getDouble(1);
    s.maxActivation = st.getDouble(2);
    s.meanActivation = st.getDouble(3);
    s.label = st.getText(4);
    s.notes = st.getText(5);
    const std::string tagsText = st.getText(6);
    const auto tags = tagsText == "[]" ? nlohmann::json::array()
                                       : nlohmann::json::parse(tagsText, nullptr, false);
    if (tags.is_array())
        for (const auto& t : tags)
            if (t.is_string())
                s.tags.push_back(t.get<std::string>());
    s.flags = uint32_t(st.getInt(7));
    return s;
}

namespace {

// Looks token strings up once per distinct id.
class TokenNames {
public:
    TokenNames(Database& db, int64_t runId)
        : m_runId(runId), m_st(db, "SELECT text FROM run_tokens WHERE run_id = ?1 AND "
                                   "token_id = ?2") {}
    const std::string& operator()(int32_t id) {
        auto it = m_cache.find(id);
        if (it != m_cache.end())
            return it->second;
        m_st.bind(1, m_runId).bind(2, int64_t(id));
        std::string text = m_st.step() ? m_st.getText(0) : std::string();
        m_st.reset();
        return m_cache.emplace(id, std::move(text)).first->second;
    }

private:
    int64_t m_runId;
    Statement m_st;
    std::unordered_map<int32_t, std::string> m_cache;
};

void readExamples(Database& db, int64_t runId, int64_t index, FeaturePage& page,
                  TokenNames& names) {
    auto st = db.prepare("SELECT kind, bin, rank, bin_min, bin_max, bin_contains, document_id, "
                         "document_offset, max_position, token_ids, activations "
                         "FROM feature_examples WHERE run_id = ?1 AND feature = ?2 "
                         "ORDER BY kind, bin DESC, rank");
    st.bind(1, runId).bind(2, index);
    while (st.step()) {
        FeatureExample e;
        e.kind = ExampleKind(st.getInt(0));
        e.bin = int(st.getInt(1));
        e.rank = int(st.getInt(2));
        e.binMin = st.getDouble(3);
        e.binMax = st.getDouble(4);
        e.binContains = st.getDouble(5);
        e.documentId = st.getInt(6);
        e.documentOffset = st.getInt(7);
        e.maxPosition = int(st.getInt(8));
        e.tokenIds = fromBlob<int32_t>(st.getBlob(9), "token ids");
        e.activations = fromBlob<float>(st.getBlob(10), "activations");
        for (int32_t id : e.tokenIds)
            e.tokens.push_back(names(id));
        auto& list = e.kind == ExampleKind::Top        ? page.topExamples
                     : e.kind == ExampleKind::Quantile ? page.quantileExamples
                                                       : page.randomExamples;
        list.push_back(std::move(e));
    }
}

std::vector<TokenValue> tokenValues(std::string_view idBlob, std::string_view valueBlob,
                                    TokenNames& names) {
    const auto ids = fromBlob<int32_t>(idBlob, "logit token ids");
    const auto values = fromBlob<float>(valueBlob, "logit values");
    std::vector<TokenValue> out;
    for (size_t i = 0; i < ids.size() && i < values.size(); ++i)
        out.push_back({ids[i], names(ids[i]), values[i]});
    return out;
}

void readDetails(Database& db, int64_t runId, int64_t index, FeaturePage& page, TokenNames& names) {
    auto lg = db.prepare("SELECT positive_ids, positive_values, negative_ids, negative_values "
                         "FROM logit_effects WHERE run_id = ?1 AND feature = ?2");
    lg.bind(1, runId).bind(2, index);
    if (lg.step()) {
        page.logitsPositive = tokenValues(lg.getBlob(0), lg.getBlob(1), names);
        page.logitsNegative = tokenValues(lg.getBlob(2), lg.getBlob(3), names);
    }
    auto h = db.prepare("SELECT edges, counts FROM histograms WHERE run_id = ?1 AND feature = ?2");
    h.bind(1, runId).bind(2, index);
    if (h.step()) {
        page.histogram.edges = fromBlob<float>(h.getBlob(0), "histogram edges");
        page.histogram.counts = fromBlob<int64_t>(h.getBlob(1), "histogram counts");
    }
    auto n =
        db.prepare("SELECT indices, cosines FROM neighbors WHERE run_id = ?1 AND feature = ?2");
    n.bind(1, runId).bind(2, index);
    if (n.step()) {
        const auto idx = fromBlob<int64_t>(n.getBlob(0), "neighbor indices");
        const auto cos = fromBlob<float>(n.getBlob(1), "neighbor cosines");
        for (size_t i = 0; i < idx.size() && i < cos.size(); ++i)
            page.neighbors.push_back({idx[i], cos[i]});
    }
}

} // namespace

FeaturePage Project::featurePage(int64_t runId, int64_t index) const {
    return m_impl->read([&](Database& db) {
        auto st = db.prepare(std::string("SELECT ") + kFeatureStatsColumns +
                             " FROM features WHERE run_id = ?1 AND idx = ?2");
        st.bind(1, runId).bind(2, index);
        if (!st.step()) {
            requireRun(db, runId);
            throw Exception(ErrorCode::NotFound,
                            "Run " + std::to_string(runId) + " has no feature " +
                                std::to_string(index) + " (the run has " +
                                std::to_string(db.queryInt("SELECT count(*) FROM features WHERE "
                                                           "run_id = " +
                                                           std::to_string(runId))) +
                                " analysed features)",
                            m_impl->path, "Check the index, or analyze the run first");
        }
        FeaturePage page;
        page.stats = readFeatureStats(st);
        TokenNames names(db, runId);
        readExamples(db, runId, index, page, names);
        readDetails(db, runId, index, page, names);
        return page;
    });
}

int64_t Project::featureCount(int64_t runId) const {
    return m_impl->read([&](Database& db) {
        auto st = db.prepare("SELECT count(*) FROM features WHERE run_id = ?1");
        st.bind(1, runId);
        st.step();
        return st.getInt(0);
    });
}

} // namespace mistudio
