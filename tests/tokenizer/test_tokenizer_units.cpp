// Unit tests: offsets, invalid UTF-8, display strings, batch == sequential, the regex engine's
// Oniguruma semantics, a synthetic pipeline with hand-computed results, and error messages.
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"
#include "test_support.h"
#include "test_tokenizer.h"
#include "tokenizer/pretokenizers.h"
#include "tokenizer/regex.h"
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

std::vector<std::pair<uint32_t, uint32_t>> spans(const std::vector<TokenSpan>& v) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const auto& s : v)
        out.emplace_back(s.begin, s.end);
    return out;
}

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

void TestTokenizer::regexFollowsOniguruma() {
    std::vector<tok::Match> m;
    // \s: U+0085 and U+3000 are White_Space, U+FEFF and U+200B are not.
    tok::Regex space(R"(\s+)", false, "test");
    const std::string s = "a\xC2\x85"
                          "b\xEF\xBB\xBF"
                          "c\xE2\x80\x8B"
                          "d\xE3\x80\x80";
    space.findAll(s, m);
    QCOMPARE(m.size(), size_t(2));
    QCOMPARE(m[0].b, 1u);
    QCOMPARE(m[1].b, static_cast<uint32_t>(s.size() - 3));
    // \w includes combining marks, not U+00B2 (superscript two, No).
    m.clear();
    tok::Regex word(R"(\w+)", false, "test");
    word.findAll("e\xCC\x81_1\xC2\xB2", m);
    QCOMPARE(m.size(), size_t(1));
    QCOMPARE(m[0].e, 5u);
    // Empty matches advance one character.
    m.clear();
    tok::Regex empty("x*", false, "test");
    empty.findAll("\xC3\xA9x", m);
    QCOMPARE(m.size(), size_t(2)); // "" at 0, "x" at 2
    QVERIFY_THROWS_EXCEPTION(Exception, tok::Regex("(", false, "test"));
}

void TestTokenizer::syntheticPipeline() {
    // Split behaviors, on "a-b--c" (the reference's documented results).
    auto pieces = [](const nlohmann::json& pre, const std::string& text) {
        auto p = tok::makePreTokenizer(pre, "test");
        tok::PreTokState st;
        st.buf.assignIdentity(text, 0);
        st.pieces = {{0, static_cast<uint32_t>(text.size())}};
        p->apply(st);
        std::vector<std::string> out;
        for (const auto& r : st.pieces)
            out.push_back(st.buf.s.substr(r.b, r.e - r.b));
        return out;
    };
    using V = std::vector<std::string>;
    auto split = [](const char* behavior) {
        return nlohmann::json{{"type", "Split"},
                              {"pattern", {{"String", "-"}}},
                              {"behavior", behavior},
                              {"invert", false}};
    };
    QCOMPARE(pieces(split("Removed"), "a-b--c"), (V{"a", "b", "c"}));
    QCOMPARE(pieces(split("Isolated"), "a-b--c"), (V{"a", "-", "b", "-", "-", "c"}));
    QCOMPARE(pieces(split("MergedWithPrevious"), "a-b--c"), (V{"a-", "b-", "-", "c"}));
    QCOMPARE(pieces(split("MergedWithNext"), "a-b--c"), (V{"a", "-b", "-", "-c"}));
    QCOMPARE(pieces(split("Contiguous"), "a-b--c"), (V{"a", "-", "b", "--", "c"}));
    auto inverted = split("Removed");
    inverted["invert"] = true; // the matches are kept, the rest removed
    QCOMPARE(pieces(inverted, "a-b--c"), (V{"-", "-", "-"}));
    const std::string bar = "\xE2\x96\x81";
    QCOMPARE(pieces({{"type", "Metaspace"},
                     {"replacement", bar},
                     {"prepend_scheme", "never"},
                     {"split", false}},
                    "Hey friend"),
             (V{"Hey" + bar + "friend"}));
    QCOMPARE(pieces({{"type", "Metaspace"},
                     {"replacement", bar},
                     {"prepend_scheme", "always"},
                     {"split", true}},
                    "Hey friend"),
             (V{bar + "Hey", bar + "friend"}));
    QCOMPARE(
        pieces({{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}, "hi you"),
        (V{"\xC4\xA0hi", "\xC4\xA0you"}));
    QCOMPARE(pieces({{"type", "Whitespace"}}, "Hi, there!"), (V{"Hi", ",", "there", "!"}));

    // A whole tokenizer: NFKC + Lowercase + Strip, whitespace/punctuation/digit splitting, BPE
    // with fused unk, a single_word added token, BertProcessing and the WordPiece decoder.
    const nlohmann::json j = {
        {"model",
         {{"type", "BPE"},
          {"vocab",
           {{"[UNK]", 0},
            {"a", 1},
            {"b", 2},
            {"c", 3},
            {"ab", 4},
            {"abc", 5},
            {"!", 6},
            {"1", 7},
            {"2", 8},
            {"x", 9},
            {"[CLS]", 10},
            {"[SEP]", 11},
            {"xyz", 12}}},
          {"merges", {"a b", {"ab", "c"}}},
          {"unk_token", "[UNK]"},
          {"fuse_unk", true}}},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers", {{{"type", "NFKC"}}, {{"type", "Lowercase"}}, {{"type", "Strip"}}}}}},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "WhitespaceSplit"}},
            {{"type", "Punctuation"}, {"behavior", "Isolated"}},
            {{"type", "Digits"}, {"individual_digits", true}}}}}},
        {"post_processor",
         {{"type", "BertProcessing"}, {"sep", {"[SEP]", 11}}, {"cls", {"[CLS]", 10}}}},
        {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
        {"added_tokens",
         {{{"id", 10}, {"content", "[CLS]"}, {"special", true}, {"normalized", false}},
          {{"id", 11}, {"content", "[SEP]"}, {"special", true}, {"normalized", false}},
          {{"id", 12}, {"content", "xyz"}, {"single_word", true}, {"normalized", false}}}}};
    const std::string dir = writeTemp("synthetic.json", j.dump());
    const Tokenizer tk = Tokenizer::load(dir);
    // "  ＡＢＣ! ab12 zz xyz axyz " (fullwidth ABC: 3 bytes each)
    const std::string text = "  \xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3! ab12 zz xyz axyz ";
    const Encoding e = tk.encode(text, false);
    QCOMPARE(show(e.ids), show({5, 6, 4, 7, 8, 0, 12, 1, 9, 0}));
    QCOMPARE(spans(e.byteOffsets), (std::vector<std::pair<uint32_t, uint32_t>>{{2, 11},
                                                                               {11, 12},
                                                                               {13, 15},
                                                                               {15, 16},
                                                                               {16, 17},
                                                                               {18, 20},
                                                                               {21, 24},
                                                                               {25, 26},
                                                                               {26, 27},
                                                                               {27, 29}}));
    QCOMPARE(spans(e.charOffsets), (std::vector<std::pair<uint32_t, uint32_t>>{{2, 5},
                                                                               {5, 6},
                                                                               {7, 9},
                                                                               {9, 10},
                                                                               {10, 11},
                                                                               {12, 14},
                                                                               {15, 18},
                                                                               {19, 20},
                                                                               {20, 21},
                                                                               {21, 23}}));
    QCOMPARE(show(tk.encode(text, true).ids), show({10, 5, 6, 4, 7, 8, 0, 12, 1, 9, 0, 11}));
    QCOMPARE(tk.decode({5, 6, 4, 7, 8}), std::string("abc! ab 1 2"));
    QCOMPARE(tk.decode({10, 5, 11}, true), std::string("abc"));
    QCOMPARE(tk.vocabSize(), size_t(13));
}

void TestTokenizer::badFilesGiveClearErrors() {
    // The error code, or Ok when it loads; messages must say where and how to fix.
    auto codeOf = [](const std::string& path) -> ErrorCode {
        try {
            Tokenizer::load(path);
        } catch (const Exception& e) {
            const std::string what = e.what();
            return what.find(path) != std::string::npos ||
                           what.find("tokenizer") != std::string::npos
                       ? e.code()
                       : ErrorCode::Internal;
        }
        return ErrorCode::Ok;
    };
    QCOMPARE(codeOf("/nonexistent/tokenizer.json"), ErrorCode::NotFound);
    QCOMPARE(codeOf(writeTemp("broken.json", "{\"model\": {")), ErrorCode::InvalidFormat);
    QCOMPARE(codeOf(writeTemp("wordlevel.json",
                              R"({"model": {"type": "WordLevel", "vocab": {"a": 0}}})")),
             ErrorCode::Unsupported);
    QCOMPARE(codeOf(writeTemp("unigram.json", R"({"model": {"type": "Unigram", "vocab": []}})")),
             ErrorCode::Unsupported);
    QCOMPARE(
        codeOf(writeTemp("badmerge.json",
                         R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a q"]}})")),
        ErrorCode::InvalidFormat);
    QCOMPARE(codeOf(writeTemp("badnorm.json", R"({"model": {"type": "BPE", "vocab": {"a": 0},
        "merges": []}, "normalizer": {"type": "Precompiled"}})")),
             ErrorCode::Unsupported);
}

// ByteLevel trim_offsets (pythia's post-processor) leaves the leading space out of the offsets;
// RobertaProcessing wraps in cls/sep; a tokenizer_config.json of a Llama class with
// add_eos_token adds </s> (as transformers does).
void TestTokenizer::postProcessing() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/pythia/tokenizer.json");
    const Encoding p = fixtureTokenizer("pythia").encode("Hello world", true);
    QCOMPARE(spans(p.byteOffsets), (std::vector<std::pair<uint32_t, uint32_t>>{{0, 5}, {6, 11}}));

    const nlohmann::json roberta = {
        {"model",
         {{"type", "BPE"}, {"vocab", {{"<s>", 0}, {"</s>", 1}, {"a", 2}}}, {"merges", {}}}},
        {"post_processor",
         {{"type", "RobertaProcessing"},
          {"sep", {"</s>", 1}},
          {"cls", {"<s>", 0}},
          {"trim_offsets", false}}}};
    const Tokenizer r = Tokenizer::load(writeTemp("roberta.json", roberta.dump()));
    QCOMPARE(show(r.encode("aa", true).ids), show({0, 2, 2, 1}));
    QCOMPARE(show(r.encode("aa", false).ids), show({2, 2}));

    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/tokenizer.json");
    const std::string src = fixture("fixtures/models/aidreams260k/tokenizer.json");
    const std::string dir = writeTemp("eos_model", "");
    std::filesystem::remove(dir);
    std::filesystem::create_directory(dir);
    std::filesystem::copy_file(src, dir + "/tokenizer.json");
    std::ofstream(dir + "/tokenizer_config.json")
        << R"({"tokenizer_class": "LlamaTokenizer", "add_bos_token": false,
              "add_eos_token": true, "bos_token": "<s>", "eos_token": {"content": "</s>"}})";
    const Tokenizer t = Tokenizer::load(dir);
    const Encoding e = t.encode("a", true);
    QCOMPARE(e.ids.back(), 2);
    QVERIFY(e.ids.front() != 1);
    QCOMPARE(t.eosId().value_or(-1), 2);
    QCOMPARE(show(t.encode("a", false).ids), show(Tokenizer::load(src).encode("a", false).ids));
}

// continuing_subword_prefix / end_of_word_suffix decorate the characters before lookup, and a
// merge's result drops the prefix of its right part; ignore_merges emits a whole-word token.
void TestTokenizer::subwordAffixes() {
    const nlohmann::json suffix = {
        {"model",
         {{"type", "BPE"},
          {"vocab", {{"a", 0}, {"b", 1}, {"b</w>", 2}, {"ab</w>", 3}, {"a</w>", 4}}},
          {"merges", {"a b</w>"}},
          {"end_of_word_suffix", "</w>"}}},
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
        {"decoder", {{"type", "BPEDecoder"}, {"suffix", "</w>"}}}};
    const Tokenizer s = Tokenizer::load(writeTemp("suffix.json", suffix.dump()));
    QCOMPARE(show(s.encode("ab ba", false).ids), show({3, 1, 4}));
    QCOMPARE(s.decode({3, 1, 4}), std::string("ab ba"));

    nlohmann::json prefix = {
        {"model",
         {{"type", "BPE"},
          {"vocab", {{"a", 0}, {"##b", 1}, {"ab", 2}, {"b", 3}, {"##a", 4}, {"##ab", 5}}},
          {"merges", {"a ##b"}},
          {"continuing_subword_prefix", "##"}}},
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
        {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", false}}}};
    const Tokenizer p = Tokenizer::load(writeTemp("prefix.json", prefix.dump()));
    QCOMPARE(show(p.encode("ab ba", false).ids), show({2, 3, 4}));
    QCOMPARE(p.decode({2, 3, 4}), std::string("ab ba"));
    QCOMPARE(show(p.encode("aab", false).ids), show({0, 4, 1})); // "a" "##a" "##b": no merge

    // ignore_merges: a word that is a vocabulary entry is one token even without a merge path.
    nlohmann::json whole = {{"model",
                             {{"type", "BPE"},
                              {"vocab", {{"x", 0}, {"y", 1}, {"xyx", 2}}},
                              {"merges", nlohmann::json::array()},
                              {"ignore_merges", true}}}};
    const Tokenizer w = Tokenizer::load(writeTemp("ignore.json", whole.dump()));
    QCOMPARE(show(w.encode("xyx", false).ids), show({2}));
    whole["model"]["ignore_merges"] = false;
    const Tokenizer w2 = Tokenizer::load(writeTemp("merges.json", whole.dump()));
    QCOMPARE(show(w2.encode("xyx", false).ids), show({0, 1, 0}));
}
