// The feature list behind the browser: a filtered, sorted page of a run's features. Statistics
// are cached in memory per run (see FeatureStatsCache); "fires on token" uses the feature_tokens
// index. Everything is read in one snapshot of the read connection.
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store/project_impl.h"
#include "store/schema.h"

#include <algorithm>
#include <unordered_set>

namespace mistudio {

using store::Database;
using store::Statement;

namespace {

std::string lowerAscii(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return s;
}

void refreshCache(Database& db, int64_t runId, uint64_t writeCount, FeatureStatsCache& cache) {
    const int64_t version = db.queryInt("PRAGMA data_version");
    if (cache.runId == runId && cache.dataVersion == version && cache.writeCount == writeCount)
        return;
    cache.rows.clear();
    auto st = db.prepare(std::string("SELECT ") + kFeatureStatsColumns +
                         " FROM features WHERE run_id = ?1 ORDER BY idx");
    st.bind(1, runId);
    while (st.step()) {
        FeatureStatsCache::Row row{readFeatureStats(st), {}, {}};
        row.labelKey = lowerAscii(row.stats.label);
        row.notesKey = lowerAscii(row.stats.notes);
        cache.rows.push_back(std::move(row));
    }
    cache.runId = runId, cache.dataVersion = version, cache.writeCount = writeCount;
}

// Features of the run with a stored example where a matching token has activation > 0.
std::unordered_set<int64_t> featuresFiringOn(Database& db, int64_t runId, const FeatureQuery& q) {
    std::string sql = "SELECT feature FROM feature_tokens WHERE run_id = ?1 AND token_id ";
    if (q.firesOnTokenId)
        sql += "= ?2";
    else
        sql += "IN (SELECT token_id FROM run_tokens WHERE run_id = ?1 AND key = ?2)";
    auto st = db.prepare(sql);
    st.bind(1, runId);
    if (q.firesOnTokenId)
        st.bind(2, int64_t(*q.firesOnTokenId));
    else
        st.bind(2, store::tokenKey(q.firesOnToken));
    std::unordered_set<int64_t> out;
    while (st.step())
        out.insert(st.getInt(0));
    return out;
}

using Row = FeatureStatsCache::Row;

bool passesStats(const Row& r, const FeatureQuery& q, const std::string& text) {
    const FeatureStats& s = r.stats;
    if (q.minDensity && !(s.density >= *q.minDensity))
        return false;
    if (q.maxDensity && !(s.density <= *q.maxDensity))
        return false;
    if ((s.flags & q.requireFlags) != q.requireFlags || (s.flags & q.excludeFlags) != 0)
        return false;
    if (!text.empty() && r.labelKey.find(text) == std::string::npos &&
        r.notesKey.find(text) == std::string::npos)
        return false;
    if (!q.tag.empty() && std::find(s.tags.begin(), s.tags.end(), q.tag) == s.tags.end())
        return false;
    return true;
}

// Strict weak order for the requested sort; ties break by index in the same direction.
auto comparator(const FeatureQuery& q) {
    return [sort = q.sort, desc = q.descending](const Row* a, const Row* b) {
        int c = 0;
        auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
        switch (sort) {
        case FeatureSort::Density: c = cmp(a->stats.density, b->stats.density); break;
        case FeatureSort::MaxActivation:
            c = cmp(a->stats.maxActivation, b->stats.maxActivation);
            break;
        case FeatureSort::MeanActivation:
            c = cmp(a->stats.meanActivation, b->stats.meanActivation);
            break;
        case FeatureSort::Label: c = a->labelKey.compare(b->labelKey); break;
        case FeatureSort::Index: break;
        }
        if (c == 0)
            c = cmp(a->stats.index, b->stats.index);
        return desc ? c > 0 : c < 0;
    };
}

} // namespace

FeatureList Project::queryFeatures(int64_t runId, const FeatureQuery& q) const {
    if (q.limit < 0 || q.offset < 0)
        throw Exception(ErrorCode::InvalidArgument, "A feature page needs offset >= 0, limit >= 0",
                        "feature query", "Pass a non-negative offset and limit");
    return m_impl->read([&](Database& db) {
        requireRun(db, runId); // also starts the snapshot the cache check below relies on
        FeatureStatsCache& cache = m_impl->statsCache;
        refreshCache(db, runId, m_impl->writeCount.load(), cache);
        const bool byToken = q.firesOnTokenId || !q.firesOnToken.empty();
        std::unordered_set<int64_t> firing;
        if (byToken)
            firing = featuresFiringOn(db, runId, q);
        const std::string text = lowerAscii(q.text);
        std::vector<const Row*> hits;
        for (const Row& r : cache.rows)
            if ((!byToken || firing.count(r.stats.index)) && passesStats(r, q, text))
                hits.push_back(&r);
        // Both token filters given: the id query above ran; apply the text one as well.
        if (q.firesOnTokenId && !q.firesOnToken.empty()) {
            FeatureQuery byText;
            byText.firesOnToken = q.firesOnToken;
            const auto alsoFiring = featuresFiringOn(db, runId, byText);
            hits.erase(
                std::remove_if(hits.begin(), hits.end(),
                               [&](const Row* r) { return !alsoFiring.count(r->stats.index); }),
                hits.end());
        }
        FeatureList out;
        out.total = int64_t(hits.size());
        const size_t begin = size_t(std::min<int64_t>(q.offset, out.total));
        const size_t end =
            size_t(std::min<int64_t>(out.total, q.offset + std::min<int64_t>(q.limit, out.total)));
        // Select the page's rows in O(n), then sort only them.
        const auto cmp = comparator(q);
        if (begin > 0)
            std::nth_element(hits.begin(), hits.begin() + long(begin), hits.end(), cmp);
        if (end < hits.size())
            std::nth_element(hits.begin() + long(begin), hits.begin() + long(end), hits.end(), cmp);
        std::sort(hits.begin() + long(begin), hits.begin() + long(end), cmp);
        for (size_t i = begin; i < end; ++i)
            out.rows.push_back(hits[i]->stats);
        return out;
    });
}

} // namespace mistudio
