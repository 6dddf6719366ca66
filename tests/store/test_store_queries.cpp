// Feature-list queries against a brute-force evaluation of the same data (every sort order, each
// filter alone and combined, fires-on-token), and reads that run while another thread writes.
#include "mistudio/project.h"
#include "store_test_data.h"

#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <atomic>
#include <thread>

using namespace mistudio;

namespace {

std::string lowerAscii(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return s;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\n\r\f\v");
    if (b == std::string::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t\n\r\f\v") - b + 1);
}

bool firesOn(const FeatureRecord& r, const std::function<bool(int32_t)>& tokenMatches) {
    for (const auto& e : r.examples)
        for (size_t i = 0; i < e.tokenIds.size(); ++i)
            if (e.activations[i] > 0 && tokenMatches(e.tokenIds[i]))
                return true;
    return false;
}

bool matches(const FeatureRecord& r, const FeatureQuery& q) {
    const FeatureStats& s = r.stats;
    if (q.minDensity && s.density < *q.minDensity)
        return false;
    if (q.maxDensity && s.density > *q.maxDensity)
        return false;
    if ((s.flags & q.requireFlags) != q.requireFlags || (s.flags & q.excludeFlags) != 0)
        return false;
    if (!q.text.empty()) {
        const std::string t = lowerAscii(q.text);
        if (lowerAscii(s.label).find(t) == std::string::npos &&
            lowerAscii(s.notes).find(t) == std::string::npos)
            return false;
    }
    if (!q.tag.empty() && std::find(s.tags.begin(), s.tags.end(), q.tag) == s.tags.end())
        return false;
    if (q.firesOnTokenId && !firesOn(r, [&](int32_t t) { return t == *q.firesOnTokenId; }))
        return false;
    if (!q.firesOnToken.empty()) {
        const std::string key = lowerAscii(trimmed(q.firesOnToken));
        auto textMatches = [&](int32_t t) {
            const std::string text = test::tokenText(t);
            return text == q.firesOnToken || lowerAscii(trimmed(text)) == key;
        };
        if (!firesOn(r, textMatches))
            return false;
    }
    return true;
}

// Sort key comparison, ties broken by index in the same direction as the sort.
bool before(const FeatureStats& a, const FeatureStats& b, const FeatureQuery& q) {
    auto cmp = [&](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
    int c = 0;
    switch (q.sort) {
    case FeatureSort::Density: c = cmp(a.density, b.density); break;
    case FeatureSort::MaxActivation: c = cmp(a.maxActivation, b.maxActivation); break;
    case FeatureSort::MeanActivation: c = cmp(a.meanActivation, b.meanActivation); break;
    case FeatureSort::Label: c = cmp(lowerAscii(a.label), lowerAscii(b.label)); break;
    case FeatureSort::Index: break;
    }
    if (c == 0)
        c = cmp(a.index, b.index);
    return q.descending ? c > 0 : c < 0;
}

FeatureList bruteForce(const std::vector<FeatureRecord>& all, const FeatureQuery& q) {
    std::vector<FeatureStats> hits;
    for (const auto& r : all)
        if (matches(r, q))
            hits.push_back(r.stats);
    std::sort(hits.begin(), hits.end(),
              [&](const FeatureStats& a, const FeatureStats& b) { return before(a, b, q); });
    FeatureList out;
    out.total = int64_t(hits.size());
    for (int64_t i = q.offset; i < int64_t(hits.size()) && i < q.offset + q.limit; ++i)
        out.rows.push_back(hits[size_t(i)]);
    return out;
}

std::vector<FeatureQuery> queries() {
    std::vector<FeatureQuery> out;
    for (FeatureSort sort : {FeatureSort::Index, FeatureSort::Density, FeatureSort::MaxActivation,
                             FeatureSort::MeanActivation, FeatureSort::Label})
        for (bool desc : {false, true}) {
            FeatureQuery q;
            q.sort = sort, q.descending = desc, q.offset = 13, q.limit = 37;
            out.push_back(q);
            q.minDensity = 0.01, q.maxDensity = 0.03, q.offset = 0, q.limit = 1000;
            out.push_back(q);
        }
    auto add = [&](auto edit) {
        FeatureQuery q;
        q.sort = FeatureSort::MaxActivation, q.descending = true, q.limit = 1000;
        edit(q);
        out.push_back(q);
    };
    add([](FeatureQuery& q) { q.requireFlags = FeatureDead; });
    add([](FeatureQuery& q) { q.offset = 10000; }); // past the end: total, no rows
    add([](FeatureQuery& q) { q.offset = 590, q.limit = 0; });
    add([](FeatureQuery& q) { q.requireFlags = FeatureDense | FeatureUltraRare; });
    add([](FeatureQuery& q) { q.excludeFlags = FeatureDead | FeatureDense; });
    add([](FeatureQuery& q) { q.text = "cat"; }); // label "Cat facts", "cats…", notes "CAT"
    add([](FeatureQuery& q) { q.text = "100%"; });
    add([](FeatureQuery& q) { q.text = "e_e"; }); // '_' is literal, not a LIKE wildcard
    add([](FeatureQuery& q) { q.text = "%"; });
    add([](FeatureQuery& q) { q.tag = "animal"; });
    add([](FeatureQuery& q) { q.tag = "anim"; }); // tags match whole
    add([](FeatureQuery& q) { q.firesOnTokenId = 1; });
    add([](FeatureQuery& q) { q.firesOnTokenId = 39; });
    add([](FeatureQuery& q) { q.firesOnToken = "the"; }); // " the" and "THE"
    add([](FeatureQuery& q) { q.firesOnToken = "\n"; });
    add([](FeatureQuery& q) { q.firesOnToken = "nothing-like-it"; });
    add([](FeatureQuery& q) { q.firesOnTokenId = 1, q.firesOnToken = "the"; }); // both
    add([](FeatureQuery& q) {
        q.firesOnToken = " Cat", q.minDensity = 0.02, q.excludeFlags = FeatureDead;
        q.text = "a", q.sort = FeatureSort::Label, q.offset = 2, q.limit = 5;
    });
    return out;
}

} // namespace

class TestStoreQueries : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void queriesMatchBruteForce_data();
    void queriesMatchBruteForce();
    void readersSeeWholeBatchesWhileWriting();
};

void TestStoreQueries::queriesMatchBruteForce_data() {
    QTest::addColumn<bool>("onFile");
    QTest::newRow("memory") << false;
    QTest::newRow("file") << true;
}

void TestStoreQueries::queriesMatchBruteForce() {
    QFETCH(bool, onFile);
    QTemporaryDir dir;
    Project p =
        onFile ? Project::create(dir.filePath("q.mistudio").toStdString()) : Project::inMemory();
    const int64_t other = p.createRun({});
    const int64_t run = p.createRun({});
    const auto records = test::makeFeatures(0, 600, 42);
    for (size_t i = 0; i < records.size(); i += 100)
        p.writeFeatures(run, {records.begin() + long(i), records.begin() + long(i) + 100});
    p.writeFeatures(other, test::makeFeatures(0, 50, 9)); // must never leak into `run`
    int nonEmpty = 0;
    for (const FeatureQuery& q : queries()) {
        const FeatureList expected = bruteForce(records, q);
        const FeatureList got = p.queryFeatures(run, q);
        QCOMPARE(got.total, expected.total);
        QCOMPARE(got.rows.size(), expected.rows.size());
        for (size_t i = 0; i < got.rows.size(); ++i) {
            QCOMPARE(got.rows[i].index, expected.rows[i].index);
            QCOMPARE(got.rows[i].label, expected.rows[i].label);
        }
        nonEmpty += got.total > 0 && got.total < 600;
    }
    QVERIFY(nonEmpty > 20); // the filters really filter
}

void TestStoreQueries::readersSeeWholeBatchesWhileWriting() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("live.mistudio").toStdString();
    Project writer = Project::create(path);
    const int64_t run = writer.createRun({});
    Project otherProcessLike = Project::open(path); // a second opener, as the GUI would be
    constexpr int kBatch = 50, kBatches = 20;
    std::atomic<bool> done{false};
    std::thread engine([&] {
        for (int b = 0; b < kBatches; ++b)
            writer.writeFeatures(run, test::makeFeatures(b * kBatch, kBatch, uint32_t(b), 10, 32));
        done = true;
    });
    int64_t lastSeen = 0;
    int reads = 0;
    FeatureQuery all;
    all.limit = 1 << 20;
    while (!done || reads < 2) {
        for (Project* reader : {&writer, &otherProcessLike}) {
            const FeatureList list = reader->queryFeatures(run, all);
            // One snapshot: the count and the rows agree, and only whole batches are visible.
            QCOMPARE(int64_t(list.rows.size()), list.total);
            QCOMPARE(list.total % kBatch, int64_t(0));
            QVERIFY(list.total >= lastSeen);
            lastSeen = list.total;
            if (list.total > 0) {
                const FeaturePage page = reader->featurePage(run, list.total - 1);
                QCOMPARE(int(page.topExamples.size()), 10);
                QCOMPARE(int(page.quantileExamples.size()), 4);
            }
            ++reads;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2)); // let the writer in
    }
    engine.join();
    QCOMPARE(otherProcessLike.featureCount(run), int64_t(kBatch * kBatches));
}

QTEST_GUILESS_MAIN(TestStoreQueries)
#include "test_store_queries.moc"
