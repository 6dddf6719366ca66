// Unit tests on the fixture tokenizers: offsets, invalid UTF-8, display strings, batch ==
// sequential.
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"
#include "test_support.h"
#include "test_tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer_test_util.h"

#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

using namespace mistudio;
using namespace mistudio::test;

namespace {

// The bytes a GPT-2 byte-level token stands for (independent of the tokenizer's decoder).
std::string byteLevelBytes(const std::string& token) {
    std::string out;
    for (size_t i = 0; i < token.size();)
        out.push_back(static_cast<char>(tok::charToByte(tok::nextCodepoint(token, i))));
    return out;
}

} // namespace

// GPT-2 has no offset trimming: each token's offsets select exactly the bytes it encodes, and
// the tokens tile the input.
void TestTokenizer::byteOffsetsTileTheInput() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/gpt2/cases.jsonl");
    const Tokenizer& tk = fixtureTokenizer("gpt2");
    for (const auto& c : readCases(tokenizerFolder("gpt2"))) {
        const Encoding e = tk.encode(c.text, false);
        uint32_t pos = 0;
        for (size_t i = 0; i < e.ids.size(); ++i) {
            const TokenSpan o = e.byteOffsets[i];
            QCOMPARE(o.begin, pos);
            const std::string expected =
                tk.isSpecial(e.ids[i]) ? e.tokens[i] : byteLevelBytes(e.tokens[i]);
            QCOMPARE(c.text.substr(o.begin, o.end - o.begin), expected);
            pos = o.end;
        }
        QCOMPARE(static_cast<size_t>(pos), c.text.size());
    }
}

void TestTokenizer::offsetsHandComputed() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/llama2/tokenizer.json");
    const Tokenizer& gpt2 = fixtureTokenizer("gpt2");
    Encoding e = gpt2.encode("Hello world", true);
    QCOMPARE(e.tokens, (std::vector<std::string>{"Hello", "\xC4\xA0world"}));
    QCOMPARE(spans(e.byteOffsets), (std::vector<std::pair<uint32_t, uint32_t>>{{0, 5}, {5, 11}}));
    // "日本" is 6 bytes / 2 code points; " ok" follows.
    e = gpt2.encode("\xE6\x97\xA5\xE6\x9C\xAC ok", false);
    QCOMPARE(e.tokens.back(), std::string("\xC4\xA0ok"));
    QCOMPARE(e.byteOffsets.back(), (TokenSpan{6, 9}));
    QCOMPARE(e.charOffsets.back(), (TokenSpan{2, 5}));
    QCOMPARE(e.charOffsets.front().begin, 0u);

    const Tokenizer& llama = fixtureTokenizer("llama2");
    e = llama.encode("<s>Hello", true);
    QCOMPARE(show(e.ids), show({1, 1, 15043}));
    QCOMPARE(spans(e.byteOffsets),
             (std::vector<std::pair<uint32_t, uint32_t>>{{0, 0}, {0, 3}, {3, 8}}));
    QCOMPARE(e.specialMask, (std::vector<uint8_t>{1, 1, 0}));
}

void TestTokenizer::invalidUtf8BecomesReplacementChar() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/gpt2/tokenizer.json");
    for (const char* name : {"gpt2", "llama2"}) {
        const Tokenizer& tk = fixtureTokenizer(name);
        const std::string bad = "ab\xFF"
                                "cd\xE6\x97"; // 7 bytes
        const std::string good = "ab\xEF\xBF\xBD"
                                 "cd\xEF\xBF\xBD"; // as Python would replace
        const Encoding e = tk.encode(bad, false);
        QCOMPARE(show(e.ids), show(tk.encode(good, false).ids));
        QCOMPARE(tk.decode(e.ids), good);
        // Each U+FFFD maps back to the invalid bytes it replaced: byte 2, and bytes 5..7.
        for (const TokenSpan& o : e.byteOffsets) {
            QVERIFY(o.end <= bad.size());
            if (o.begin == 2)
                QCOMPARE(o.end, 3u);
            if (o.begin == 5)
                QCOMPARE(o.end, 7u);
        }
        QCOMPARE(e.byteOffsets.back().end, 7u);
        QCOMPARE(e.charOffsets.back().end, 6u); // a b FFFD c d FFFD
    }
    // Truncated and overlong sequences, lone continuation bytes, NUL: no crash, ids valid.
    const Tokenizer& tk = fixtureTokenizer("gpt2");
    for (const std::string& s :
         {std::string("\xC0\xAF"), std::string("\x80\x80"), std::string("\xF4\x90\x80\x80"),
          std::string("a\0b", 3), std::string("\xED\xA0\x80")}) {
        const Encoding e = tk.encode(s, true);
        QVERIFY(!e.ids.empty());
        for (int32_t id : e.ids)
            QVERIFY(id >= 0 && static_cast<size_t>(id) < tk.vocabSize());
    }
    // Random bytes (fixed seed) through four different pipelines: valid ids, offsets inside the
    // input, decode without error.
    std::mt19937 rng(1234);
    for (const char* name : {"gpt2", "llama2", "mistral", "qwen3"}) {
        const Tokenizer& t = fixtureTokenizer(name);
        for (int round = 0; round < 200; ++round) {
            std::string s(rng() % 48, '\0');
            for (char& c : s) {
                const uint32_t r = rng();
                c = static_cast<char>(r % 4 == 0 ? 0x80 + (r >> 8) % 0x80 : (r >> 8) % 0x80);
            }
            const Encoding e = t.encode(s, true);
            QCOMPARE(e.ids.size(), e.byteOffsets.size());
            for (size_t i = 0; i < e.ids.size(); ++i) {
                QVERIFY(e.ids[i] >= 0 && static_cast<size_t>(e.ids[i]) < t.vocabSize());
                QVERIFY(e.byteOffsets[i].begin <= e.byteOffsets[i].end);
                QVERIFY(e.byteOffsets[i].end <= s.size());
            }
            QVERIFY(tok::isValidUtf8(t.decode(e.ids)));
        }
    }
}

void TestTokenizer::displayTokenIsReadable() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/llama2/tokenizer.json");
    const Tokenizer& gpt2 = fixtureTokenizer("gpt2");
    QCOMPARE(gpt2.displayToken(*gpt2.tokenToId("\xC4\xA0world")), std::string(" world"));
    QCOMPARE(gpt2.displayToken(*gpt2.tokenToId("\xC4\x8A")), std::string("\\n"));   // "Ċ"
    QCOMPARE(gpt2.displayToken(*gpt2.tokenToId("\xC3\xA6")), std::string("\\xE6")); // byte E6
    // "Ã©" is the byte-level form of the two bytes of é.
    const auto ri = gpt2.tokenToId("\xC3\x83\xC2\xA9");
    QVERIFY(ri.has_value());
    QCOMPARE(gpt2.displayToken(*ri), std::string("\xC3\xA9"));
    const auto partial = gpt2.tokenToId("\xC3\xA6\xC4\xB9"); // two of them: incomplete UTF-8
    QVERIFY(partial.has_value());
    QCOMPARE(gpt2.displayToken(*partial), std::string("\\xE6\\x97"));
    QCOMPARE(gpt2.displayToken(50256), std::string("<|endoftext|>"));
    QCOMPARE(gpt2.displayToken(-5), std::string());
    const Tokenizer& llama = fixtureTokenizer("llama2");
    QCOMPARE(llama.displayToken(15043), std::string(" Hello"));
    QCOMPARE(llama.displayToken(*llama.tokenToId("<0x0A>")), std::string("\\n"));
    QCOMPARE(llama.displayToken(*llama.tokenToId("<0xE6>")), std::string("\\xE6"));
    QCOMPARE(llama.displayToken(*llama.tokenToId("<0x41>")), std::string("A"));
}

void TestTokenizer::batchEqualsSequential() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/qwen3/cases.jsonl");
    for (const char* name : {"gpt2", "qwen3", "phi3"}) {
        const Tokenizer& tk = fixtureTokenizer(name);
        std::vector<std::string> texts;
        for (int rep = 0; rep < 4; ++rep)
            for (const auto& c : readCases(tokenizerFolder(name)))
                texts.push_back(c.text);
        const auto batch = tk.encodeBatch(texts, true, 4);
        QCOMPARE(batch.size(), texts.size());
        for (size_t i = 0; i < texts.size(); ++i) {
            const Encoding one = tk.encode(texts[i], true);
            QCOMPARE(batch[i].ids, one.ids);
            QCOMPARE(batch[i].tokens, one.tokens);
            QCOMPARE(batch[i].byteOffsets, one.byteOffsets);
            QCOMPARE(batch[i].charOffsets, one.charOffsets);
        }
    }
}
