// The queries behind the feature browser: a filtered, sorted page of the feature list, and one
// feature's whole page. Both read one snapshot on the read connection.
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

namespace {

constexpr const char* kStatsColumns = "idx, density, max_act, mean_act, label, notes, tags, flags";

FeatureStats readStats(const Statement& st) {
    FeatureStats s;
    s.index = st.getInt(0);
    s.density = st.getDouble(1);
    s.maxActivation = st.getDouble(2);
    s.meanActivation = st.getDouble(3);
    s.label = st.getText(4);
    s.notes = st.getText(5);
    const auto tags = nlohmann::json::parse(st.getText(6), nullptr, false);
    if (tags.is_array())
        for (const auto& t : tags)
            if (t.is_string())
                s.tags.push_back(t.get<std::string>());
    s.flags = uint32_t(st.getInt(7));
    return s;
}

std::string likePattern(const std::string& text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "%";
}

const char* sortColumn(FeatureSort sort) {
    switch (sort) {
    case FeatureSort::Density: return "density";
    case FeatureSort::MaxActivation: return "max_act";
    case FeatureSort::MeanActivation: return "mean_act";
    case FeatureSort::Label: return "label COLLATE NOCASE";
    case FeatureSort::Index: break;
    }
    return nullptr;
}

// The WHERE clause for a query; parameters are bound by name in bindFilters.
std::string whereClause(const FeatureQuery& q) {
    std::string w = " WHERE run_id = :run";
    if (q.minDensity)
        w += " AND density >= :dmin";
    if (q.maxDensity)
        w += " AND density <= :dmax";
    if (q.requireFlags)
        w += " AND (flags & :req) = :req";
    if (q.excludeFlags)
        w += " AND (flags & :ex) = 0";
    if (!q.text.empty())
        w += " AND (label LIKE :text ESCAPE '\\' OR notes LIKE :text ESCAPE '\\')";
    if (!q.tag.empty())
        w += " AND EXISTS (SELECT 1 FROM json_each(features.tags) WHERE value = :tag)";
    if (q.firesOnTokenId)
        w += " AND idx IN (SELECT feature FROM feature_tokens WHERE run_id = :run AND "
             "token_id = :tokid)";
    if (!q.firesOnToken.empty())
        w += " AND idx IN (SELECT feature FROM feature_tokens WHERE run_id = :run AND token_id IN "
             "(SELECT token_id FROM run_tokens WHERE run_id = :run AND "
             "(text = :tok OR key = :tokkey)))";
    return w;
}

void bindFilters(Statement& st, int64_t runId, const FeatureQuery& q) {
    st.bind(":run", runId);
    if (q.minDensity)
        st.bind(":dmin", *q.minDensity);
    if (q.maxDensity)
        st.bind(":dmax", *q.maxDensity);
    if (q.requireFlags)
        st.bind(":req", int64_t(q.requireFlags));
    if (q.excludeFlags)
        st.bind(":ex", int64_t(q.excludeFlags));
    if (!q.text.empty())
        st.bind(":text", likePattern(q.text));
    if (!q.tag.empty())
        st.bind(":tag", q.tag);
    if (q.firesOnTokenId)
        st.bind(":tokid", int64_t(*q.firesOnTokenId));
    if (!q.firesOnToken.empty())
        st.bind(":tok", q.firesOnToken).bind(":tokkey", store::tokenKey(q.firesOnToken));
}

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

FeatureList Project::queryFeatures(int64_t runId, const FeatureQuery& q) const {
    if (q.limit < 0 || q.offset < 0)
        throw Exception(ErrorCode::InvalidArgument, "A feature page needs offset >= 0, limit >= 0",
                        "feature query", "Pass a non-negative offset and limit");
    const std::string where = whereClause(q);
    const char* column = sortColumn(q.sort);
    const char* dir = q.descending ? " DESC" : " ASC";
    std::string order = " ORDER BY ";
    if (column)
        order += std::string(column) + dir + ", ";
    order += std::string("idx") + dir; // ties break by index, in the same direction
    return m_impl->read([&](Database& db) {
        requireRun(db, runId);
        FeatureList out;
        auto count = db.prepare("SELECT count(*) FROM features" + where);
        bindFilters(count, runId, q);
        count.step();
        out.total = count.getInt(0);
        auto st = db.prepare(std::string("SELECT ") + kStatsColumns + " FROM features" + where +
                             order + " LIMIT :limit OFFSET :offset");
        bindFilters(st, runId, q);
        st.bind(":limit", q.limit).bind(":offset", q.offset);
        while (st.step())
            out.rows.push_back(readStats(st));
        return out;
    });
}

FeaturePage Project::featurePage(int64_t runId, int64_t index) const {
    return m_impl->read([&](Database& db) {
        auto st = db.prepare(std::string("SELECT ") + kStatsColumns +
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
        page.stats = readStats(st);
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
