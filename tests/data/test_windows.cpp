// Token windows: the exact layout on a small corpus with a toy tokenizer (one id per byte),
// computed by hand, plus determinism, shuffling and tracing positions back to the text.
#include "mistudio/dataset.h"
#include "mistudio/result.h"
#include "mistudio/windows.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <set>

using namespace mistudio;
using namespace mistudio::data;

namespace {

constexpr int32_t BOS = 1, EOS = 2, PAD = 0;

TokenizerFunctions byteTokenizer(bool bos = true) {
    TokenizerFunctions t;
    t.encode = [](const std::string& s) {
        return std::vector<int32_t>(s.begin(), s.end()); // ASCII corpus: id = byte
    };
    if (bos)
        t.bos = BOS;
    t.eos = EOS;
    t.pad = PAD;
    return t;
}

WindowPacker::DocumentSource fromTexts(std::vector<std::string> texts) {
    auto i = std::make_shared<size_t>(0);
    return [texts = std::move(texts), i]() -> std::optional<Document> {
        if (*i >= texts.size())
            return std::nullopt;
        Document d;
        d.id = *i;
        d.text = texts[(*i)++];
        return d;
    };
}

const std::vector<std::string> kCorpus = {"abc", "de", "", "fghij"};

std::vector<TokenWindow> all(WindowPacker& p) {
    std::vector<TokenWindow> out;
    while (auto w = p.next())
        out.push_back(std::move(*w));
    return out;
}

void expectWindow(const TokenWindow& w, std::vector<int32_t> tokens, std::vector<int64_t> docs,
                  std::vector<int32_t> pos, std::vector<uint8_t> include) {
    QCOMPARE(w.tokens, tokens);
    QCOMPARE(w.document, docs);
    QCOMPARE(w.position, pos);
    QCOMPARE(w.include, include);
}

} // namespace

class TestWindows : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void concatenatedLayoutWithBos() {
        WindowOptions o;
        o.contextLength = 4;
        WindowPacker p(fromTexts(kCorpus), byteTokenizer(), o);
        const auto w = all(p);
        QCOMPARE(w.size(), size_t(4));
        // Stream: a b c EOS d e EOS f g h i j (the empty document is skipped), 3 per window.
        expectWindow(w[0], {BOS, 'a', 'b', 'c'}, {-1, 0, 0, 0}, {-1, 0, 1, 2}, {0, 1, 1, 1});
        expectWindow(w[1], {BOS, EOS, 'd', 'e'}, {-1, 0, 1, 1}, {-1, 3, 0, 1}, {0, 0, 1, 1});
        expectWindow(w[2], {BOS, EOS, 'f', 'g'}, {-1, 1, 3, 3}, {-1, 2, 0, 1}, {0, 0, 1, 1});
        expectWindow(w[3], {BOS, 'h', 'i', 'j'}, {-1, 3, 3, 3}, {-1, 2, 3, 4}, {0, 1, 1, 1});
        const WindowStats& s = p.stats();
        QCOMPARE(s.windows, 4u);
        QCOMPARE(s.documentsRead, 4u);
        QCOMPARE(s.emptyDocuments, 1u);
        QCOMPARE(s.documentsUsed, 3u);
        QCOMPARE(s.tokens, 10u);
        QCOMPARE(s.includedPositions, 10u);
        QCOMPARE(s.excludedPositions, 6u);
        QCOMPARE(s.droppedTokens, 0u);
    }

    void lastPartialWindowIsDropped() {
        WindowOptions o;
        o.contextLength = 6; // 5 tokens after BOS: abcEd | eEfgh | ij (dropped)
        WindowPacker p(fromTexts(kCorpus), byteTokenizer(), o);
        const auto w = all(p);
        QCOMPARE(w.size(), size_t(2));
        expectWindow(w[1], {BOS, 'e', EOS, 'f', 'g', 'h'}, {-1, 1, 1, 3, 3, 3}, {-1, 1, 2, 0, 1, 2},
                     {0, 1, 0, 1, 1, 1});
        QCOMPARE(p.stats().droppedTokens, 2u);
        QCOMPARE(p.stats().documentsUsed, 3u);
        QCOMPARE(p.stats().tokens, 8u);
    }

    void keepSpecialAndNoBos() {
        WindowOptions o;
        o.contextLength = 4;
        o.keepSpecialPositions = true;
        WindowPacker p(fromTexts(kCorpus), byteTokenizer(false), o);
        const auto w = all(p);
        QCOMPARE(w.size(), size_t(3)); // abcE | deEf | ghij
        expectWindow(w[0], {'a', 'b', 'c', EOS}, {0, 0, 0, 0}, {0, 1, 2, 3}, {1, 1, 1, 1});
        expectWindow(w[1], {'d', 'e', EOS, 'f'}, {1, 1, 1, 3}, {0, 1, 2, 0}, {1, 1, 1, 1});
        expectWindow(w[2], {'g', 'h', 'i', 'j'}, {3, 3, 3, 3}, {1, 2, 3, 4}, {1, 1, 1, 1});
    }

    void oneDocumentPerWindow() {
        WindowOptions o;
        o.contextLength = 4;
        o.packing = Packing::DocumentPerWindow;
        WindowPacker p(fromTexts(kCorpus), byteTokenizer(), o);
        const auto w = all(p);
        QCOMPARE(w.size(), size_t(3));
        expectWindow(w[0], {BOS, 'a', 'b', 'c'}, {-1, 0, 0, 0}, {-1, 0, 1, 2}, {0, 1, 1, 1});
        expectWindow(w[1], {BOS, 'd', 'e', PAD}, {-1, 1, 1, -1}, {-1, 0, 1, -1}, {0, 1, 1, 0});
        expectWindow(w[2], {BOS, 'f', 'g', 'h'}, {-1, 3, 3, 3}, {-1, 0, 1, 2}, {0, 1, 1, 1});
        QCOMPARE(p.stats().truncatedTokens, 2u);
        QCOMPARE(p.stats().documentsUsed, 3u);
        QCOMPARE(p.stats().tokens, 8u);
    }

    void threadsDoNotChangeTheResult() {
        std::vector<std::string> texts;
        for (int i = 0; i < 200; ++i)
            texts.push_back("doc" + std::to_string(i * 7919 % 1000) + std::string(i % 13, 'x'));
        auto run = [&](int threads, bool shuffle, uint64_t seed) {
            WindowOptions o;
            o.contextLength = 16;
            o.threads = threads;
            o.batchDocuments = 7;
            o.shuffleDocuments = shuffle;
            o.shuffleBuffer = 50;
            o.seed = seed;
            WindowPacker p(fromTexts(texts), byteTokenizer(), o);
            std::vector<int32_t> flat;
            std::vector<int64_t> docs;
            for (const auto& w : all(p)) {
                flat.insert(flat.end(), w.tokens.begin(), w.tokens.end());
                docs.insert(docs.end(), w.document.begin(), w.document.end());
            }
            return std::make_pair(flat, docs);
        };
        QVERIFY(run(1, false, 0) == run(4, false, 0));
        const auto a = run(1, true, 42);
        QVERIFY(a == run(3, true, 42));
        QVERIFY(a != run(1, true, 43));
        QVERIFY(a.first != run(1, false, 0).first);
        // Shuffled: every document (all but the tail of the last window) appears, in one run.
        std::set<int64_t> seen(a.second.begin(), a.second.end());
        seen.erase(kNoDocument);
        QVERIFY(seen.size() >= 195);
    }

    // Positions trace back to the text: token at (doc, pos) is byte pos of document doc.
    void positionsTraceBackToText() {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/c.jsonl";
        std::ofstream(path) << "{\"text\": \"alpha beta\"}\n{\"text\": \"  \"}\n"
                               "{\"text\": \"gamma\"}\n{\"text\": \"delta epsilon zeta\"}\n";
        DocumentReader reader(DatasetSpec{path});
        std::vector<std::string> texts = {"alpha beta", "gamma", "delta epsilon zeta"};
        WindowOptions o;
        o.contextLength = 5;
        WindowPacker p(WindowPacker::fromReader(reader), byteTokenizer(), o);
        int checked = 0;
        while (auto w = p.next())
            for (size_t i = 0; i < w->tokens.size(); ++i) {
                if (!w->include[i])
                    continue;
                const auto& text = texts.at(static_cast<size_t>(w->document[i]));
                QCOMPARE(w->tokens[i], int32_t(text.at(static_cast<size_t>(w->position[i]))));
                ++checked;
            }
        QCOMPARE(checked, int(p.stats().tokens));
        QVERIFY(checked >= 28); // 33 tokens, the last partial window dropped
    }

    void badOptionsAreRefused() {
        WindowOptions o;
        o.contextLength = 1;
        QVERIFY_THROWS_EXCEPTION(Exception, WindowPacker(fromTexts(kCorpus), byteTokenizer(), o));
        o.contextLength = 8;
        o.packing = Packing::DocumentPerWindow;
        auto t = byteTokenizer();
        t.pad.reset();
        t.eos.reset();
        QVERIFY_THROWS_EXCEPTION(Exception, WindowPacker(fromTexts(kCorpus), t, o));
    }
};

QTEST_GUILESS_MAIN(TestWindows)
#include "test_windows.moc"
