// Exactness: every case of every fixture tokenizer against goldens from the Rust reference, the
// aidreams260k golden prompt, and the `tokenize` CLI end to end.
#include "test_tokenizer.h"

#include "mistudio/tokenizer.h"
#include "test_support.h"
#include "tokenizer_test_util.h"

#include <QDir>
#include <QProcess>
#include <QtTest>
#include <nlohmann/json.hpp>

using namespace mistudio;
using namespace mistudio::test;

void TestTokenizer::fixtureGoldens_data() {
    QTest::addColumn<QString>("name");
    const QDir dir(sharedDir() + "/fixtures/tokenizers");
    for (const QString& name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        QTest::newRow(qPrintable(name)) << name;
    if (!dir.exists())
        QTest::newRow("absent") << QString();
}

void TestTokenizer::fixtureGoldens() {
    QFETCH(QString, name);
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/" + name + "/cases.jsonl");
    const std::string n = name.toStdString();
    const Tokenizer& tk = fixtureTokenizer(n);
    const auto cases = readCases(tokenizerFolder(n));
    QVERIFY(!cases.empty());
    int okIds = 0, okSpecial = 0, okDecoded = 0, okTokens = 0;
    QStringList failures;
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        const Encoding plain = tk.encode(c.text, false);
        const Encoding special = tk.encode(c.text, true);
        const std::string decoded = tk.decode(c.ids, false);
        okIds += plain.ids == c.ids;
        okSpecial += special.ids == c.idsWithSpecial;
        okDecoded += decoded == c.decoded;
        okTokens += plain.tokens == c.tokens;
        if (plain.ids != c.ids)
            failures << QString::fromStdString("case " + std::to_string(i) + " ids " +
                                               show(plain.ids) + " != golden " + show(c.ids));
        if (special.ids != c.idsWithSpecial)
            failures << QString::fromStdString("case " + std::to_string(i) + " ids_with_special " +
                                               show(special.ids) + " != " + show(c.idsWithSpecial));
        if (decoded != c.decoded)
            failures << QString::fromStdString("case " + std::to_string(i) + " decoded '" +
                                               decoded + "' != '" + c.decoded + "'");
        if (plain.tokens != c.tokens)
            failures << QString::fromStdString("case " + std::to_string(i) + " tokens differ");
    }
    const int total = static_cast<int>(cases.size());
    qInfo("%s: ids %d/%d, ids_with_special %d/%d, decoded %d/%d, tokens %d/%d", qPrintable(name),
          okIds, total, okSpecial, total, okDecoded, total, okTokens, total);
    for (const QString& f : failures.mid(0, 12))
        qWarning("%s: %s", qPrintable(name), qPrintable(f));
    QCOMPARE(okIds, total);
    QCOMPARE(okSpecial, total);
    QCOMPARE(okDecoded, total);
    QCOMPARE(okTokens, total);
}

// Loading the tokenizer.json file alone (no tokenizer_config.json) must give the reference's
// default special-token handling too.
void TestTokenizer::tokenizerJsonAloneGivesReferenceSpecials() {
    for (const char* name : {"llama2", "mistral", "phi3"}) {
        MISTUDIO_REQUIRE_FIXTURE(QStringLiteral("fixtures/tokenizers/%1/tokenizer.json").arg(name));
        const Tokenizer tk = Tokenizer::load(tokenizerFolder(name) + "/tokenizer.json");
        for (const auto& c : readCases(tokenizerFolder(name)))
            QCOMPARE(show(tk.encode(c.text, true).ids), show(c.idsWithSpecial));
    }
}

// bos/eos/pad come from tokenizer_config.json (string or {"content": ...}); without one, the
// usual names are looked up.
void TestTokenizer::specialIdsFromConfig() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/qwen3/tokenizer_config.json");
    const Tokenizer& qwen = fixtureTokenizer("qwen3");
    QVERIFY(!qwen.bosId().has_value()); // "bos_token": null
    QCOMPARE(qwen.eosId().value_or(-1), 151645);
    QCOMPARE(qwen.padId().value_or(-1), 151643);
    QCOMPARE(qwen.vocabSize(), size_t(151669));
    const Tokenizer& llama3 = fixtureTokenizer("llama3");
    QCOMPARE(llama3.bosId().value_or(-1), 128000);
    QCOMPARE(llama3.eosId().value_or(-1), 128001);
    QVERIFY(llama3.isSpecial(128009));
    const Tokenizer& gpt2 = fixtureTokenizer("gpt2"); // no tokenizer_config.json
    QCOMPARE(gpt2.eosId().value_or(-1), 50256);
    QVERIFY(!gpt2.unkId().has_value());
    QCOMPARE(fixtureTokenizer("llama2").unkId().value_or(-1), 0);
    QVERIFY(fixtureTokenizer("llama2").info().addBosToken);
    QVERIFY(!fixtureTokenizer("phi3").isSpecial(2)); // </s> is special: false in phi3
    QCOMPARE(fixtureTokenizer("phi3").idToToken(32010).value_or(""), std::string("<|user|>"));
    QCOMPARE(fixtureTokenizer("phi3").tokenToId("<|user|>").value_or(-1), 32010);
}

void TestTokenizer::aidreamsGoldenPrompt() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/golden.json");
    const std::string dir = fixture("fixtures/models/aidreams260k");
    const auto golden = nlohmann::json::parse(readFile(dir + "/golden.json"));
    const Tokenizer tk = Tokenizer::load(dir);
    const Encoding e = tk.encode(golden.at("prompt").get<std::string>(), true);
    const auto expectedTokens = golden.at("input_tokens").get<std::vector<std::string>>();
    QCOMPARE(e.tokens, expectedTokens);
    std::vector<int32_t> expectedIds;
    for (const auto& t : expectedTokens)
        expectedIds.push_back(tk.tokenToId(t).value_or(-1));
    QCOMPARE(show(e.ids), show(expectedIds));
    const auto& greedy = golden.at("greedy");
    const Encoding g = tk.encode(greedy.at("prompt").get<std::string>(), true);
    QCOMPARE(show(g.ids), show(greedy.at("prompt_ids").get<std::vector<int32_t>>()));
    QCOMPARE(tk.bosId().value_or(-1), 1);
    QCOMPARE(tk.eosId().value_or(-1), 2);
}


void TestTokenizer::cliTokenizeMatchesGoldens() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/llama2/cases.jsonl");
    if (cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set");
    const auto cases = readCases(tokenizerFolder("llama2"));
    std::string input;
    for (const auto& c : cases)
        input += nlohmann::json({{"text", c.text}}).dump() + "\n";
    const QString inPath = QString::fromStdString(writeTemp("cli_cases.jsonl", input));
    const QString folder = QString::fromStdString(tokenizerFolder("llama2"));
    for (const bool noSpecial : {false, true}) {
        QStringList args = {"tokenize", "--tokenizer", folder, "--input", inPath};
        if (noSpecial)
            args << "--no-special";
        const CliRun r = runCli(args);
        QVERIFY2(r.code == 0, r.err.constData());
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), static_cast<qsizetype>(cases.size()));
        for (size_t i = 0; i < cases.size(); ++i) {
            const auto j = nlohmann::json::parse(lines[static_cast<qsizetype>(i)].toStdString());
            const auto ids = j.at("ids").get<std::vector<int32_t>>();
            QCOMPARE(show(ids), show(noSpecial ? cases[i].ids : cases[i].idsWithSpecial));
            QCOMPARE(j.at("tokens").size(), ids.size());
        }
    }
    // --model takes a local model folder holding tokenizer.json.
    const CliRun m = runCli({"tokenize", "--model", folder, "--no-special", "--input", inPath});
    QCOMPARE(m.code, 0);
    QCOMPARE(m.out.trimmed().split('\n').size(), static_cast<qsizetype>(cases.size()));
}

void TestTokenizer::cliRejectsBadInput() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/tokenizers/gpt2/tokenizer.json");
    if (cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set");
    const QString tk = QString::fromStdString(tokenizerFolder("gpt2"));
    const QString bad =
        QString::fromStdString(writeTemp("bad.jsonl", "{\"text\": \"ok\"}\n{oops\n"));
    CliRun r = runCli({"tokenize", "--tokenizer", tk, "--input", bad});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("line 2"), r.err.constData());
    r = runCli({"tokenize", "--input", bad}); // neither --model nor --tokenizer
    QCOMPARE(r.code, 2);
    r = runCli({"tokenize", "--tokenizer", "/nonexistent/tok", "--input", bad});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("not found"));
}

QTEST_MAIN(TestTokenizer)
