// Bad input through the CLI (issue 12): each case must exit 1 (not crash) with a message that
// names what is wrong and where. Regressions of the fuzzers' findings are here: a config.json or
// tokenizer.json nested 200,000 deep (stack overflow in recursive readers), token ids that are
// floats or huge (undefined float → int conversion, a 2^31-entry table), plus NaN activations
// into training and an absurd config.json size claim.
#include "reliability_support.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <functional>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

using namespace mistudio::test;

namespace {

const QString kModel = QStringLiteral("fixtures/models/aidreams260k");

void writeText(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
}

QByteArray nested(int depth, const QByteArray& open, const QByteArray& inner,
                  const QByteArray& close) {
    return open.repeated(depth) + inner + close.repeated(depth);
}

/// Expects a clean refusal: exit code 1 and every word in stderr.
void expectRefusal(const CliRun& r, const QStringList& words) {
    QVERIFY2(r.code == 1, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
    for (const QString& w : words)
        QVERIFY2(QString::fromUtf8(r.err).contains(w), qPrintable(w + " not in: " + r.err));
}

} // namespace

class TestBadInputs : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void deeplyNestedConfigJson();
    void configClaimingATrillionParameters();
    void tokenizerIdsThatAreNotTokenIds();
    void deeplyNestedTokenizerJson();
    void tokenizerReferencesThatLoop();
    void tokenizerUnknownComponents();
    void nanActivationsIntoTraining();

private:
    QJsonObject baseTokenizer() const;
    CliRun tokenize(const QString& dir);
    CliRun tokenizeVariant(const QString& name, const std::function<void(QJsonObject&)>& edit);
    QTemporaryDir m_dir;
};

void TestBadInputs::initTestCase() {
    if (cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set to a built mistudio-cli");
    writeText(m_dir.filePath("text.jsonl"), "{\"text\": \"hello world\"}\n");
}

QJsonObject TestBadInputs::baseTokenizer() const {
    QFile f(QString::fromStdString(fixture(kModel)) + "/tokenizer.json");
    f.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(f.readAll()).object();
}

CliRun TestBadInputs::tokenize(const QString& dir) {
    return runCli({"tokenize", "--tokenizer", dir, "--input", m_dir.filePath("text.jsonl")});
}

CliRun TestBadInputs::tokenizeVariant(const QString& name,
                                      const std::function<void(QJsonObject&)>& edit) {
    QJsonObject tok = baseTokenizer();
    edit(tok);
    const QString dir = m_dir.filePath(name);
    writeText(dir + "/tokenizer.json", QJsonDocument(tok).toJson());
    // 60 s: every case here takes well under a second; a loop without progress hits the limit.
    return runCli({"tokenize", "--tokenizer", dir, "--input", m_dir.filePath("text.jsonl")}, {},
                  60000);
}

void TestBadInputs::deeplyNestedConfigJson() {
    const QString dir = m_dir.filePath("deep-config");
    writeText(dir + "/config.json",
              "{\"model_type\": \"gpt2\", \"n_layer\": " + nested(200000, "[", "1", "]") + "}");
    expectRefusal(runCli({"inspect", dir}), {"nested deeper than 64", dir + "/config.json"});
}

void TestBadInputs::configClaimingATrillionParameters() {
    const QString dir = m_dir.filePath("huge-config");
    writeText(dir + "/config.json", QJsonDocument(QJsonObject{{"model_type", "llama"},
                                                              {"hidden_size", 1 << 20},
                                                              {"intermediate_size", 1 << 22},
                                                              {"num_hidden_layers", 1000},
                                                              {"num_attention_heads", 4096},
                                                              {"vocab_size", 1 << 20}})
                                        .toJson());
    expectRefusal(runCli({"inspect", dir}), {"parameters", dir + "/config.json"});
}

void TestBadInputs::tokenizerIdsThatAreNotTokenIds() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    const QJsonObject base = baseTokenizer();
    QVERIFY(base["model"].toObject()["vocab"].isObject());
    struct Case {
        const char* name;
        QJsonValue id;
    };
    for (const Case& c : {Case{"float", 1e15}, Case{"huge", 2147483647.0}, Case{"negative", -3},
                          Case{"fraction", 2.5}}) {
        QJsonObject tok = base, model = tok["model"].toObject();
        QJsonObject vocab = model["vocab"].toObject();
        vocab.insert(QStringLiteral("zzz-bad-token"), c.id);
        model["vocab"] = vocab;
        tok["model"] = model;
        const QString dir = m_dir.filePath(QStringLiteral("tok-%1").arg(c.name));
        writeText(dir + "/tokenizer.json", QJsonDocument(tok).toJson());
        expectRefusal(tokenize(dir), {"zzz-bad-token", "not an integer in [0, 16777216)",
                                      dir + "/tokenizer.json"});
    }
    // An added token's id and a template post-processor's id are checked the same way.
    QJsonObject tok = base;
    QJsonArray added = tok["added_tokens"].toArray();
    added.append(QJsonObject{{"id", 1e12}, {"content", "<bad>"}, {"special", true}});
    tok["added_tokens"] = added;
    const QString dir = m_dir.filePath("tok-added");
    writeText(dir + "/tokenizer.json", QJsonDocument(tok).toJson());
    expectRefusal(tokenize(dir), {"added token '<bad>'", "not an integer"});
}

void TestBadInputs::deeplyNestedTokenizerJson() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    QJsonObject tok = baseTokenizer();
    tok["pre_tokenizer"] = QStringLiteral("@DEEP@");
    QByteArray text = QJsonDocument(tok).toJson(QJsonDocument::Compact);
    text.replace("\"@DEEP@\"", nested(200000, "{\"type\":\"Sequence\",\"pretokenizers\":[",
                                      "{\"type\":\"Whitespace\"}", "]}"));
    const QString dir = m_dir.filePath("tok-deep");
    writeText(dir + "/tokenizer.json", text);
    expectRefusal(tokenize(dir), {"nested deeper than 64", dir + "/tokenizer.json"});
}

// JSON cannot hold a reference cycle; what refers to something else in tokenizer.json is a merge
// (to its two parts and their product), a token id (vocab, added tokens), a template's special
// token, and a pattern applied again after each match (a pattern that matches the empty string
// loops forever unless the matcher moves on). Each either encodes, in bounded time, to what
// `tokenizers` gives, or is refused naming the entry and the file.
void TestBadInputs::tokenizerReferencesThatLoop() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    auto model = [](QJsonObject& tok, const std::function<void(QJsonObject&)>& edit) {
        QJsonObject m = tok["model"].toObject();
        edit(m);
        tok["model"] = m;
    };
    const CliRun plain = tokenizeVariant("tok-plain", [](QJsonObject&) {});
    QCOMPARE(plain.code, 0);
    const QJsonArray plainIds = QJsonDocument::fromJson(plain.out).object()["ids"].toArray();
    QVERIFY(plainIds.size() > 5);

    // A merge whose parts or product is not a token: refused (as `tokenizers` does).
    auto firstMerge = [&](const QString& merge) {
        return [&, merge](QJsonObject& t) {
            model(t, [&](QJsonObject& m) {
                QJsonArray merges = m["merges"].toArray();
                merges.prepend(merge);
                m["merges"] = merges;
            });
        };
    };
    expectRefusal(tokenizeVariant("tok-merge-missing", firstMerge(QStringLiteral("zq qz"))),
                  {"merge 0 ('zq', 'qz')", "missing from the vocabulary", "tokenizer.json"});
    // A merge with an empty half would merge a token with nothing, again and again: refused.
    expectRefusal(tokenizeVariant("tok-merge-empty", firstMerge(QStringLiteral("n "))),
                  {"merge 0", "missing from the vocabulary"});
    // The same merge listed twice, two tokens sharing an id, an added token duplicating a vocab
    // entry under another id: accepted, and the encoding is the plain one (first rank wins).
    for (const auto& [name, edit] :
         std::vector<std::pair<QString, std::function<void(QJsonObject&)>>>{
             {"tok-merge-twice",
              [&](QJsonObject& t) {
                  model(t, [](QJsonObject& m) {
                      QJsonArray merges = m["merges"].toArray();
                      merges.append(merges.first());
                      m["merges"] = merges;
                  });
              }},
             {"tok-shared-id",
              [&](QJsonObject& t) {
                  model(t, [](QJsonObject& m) {
                      QJsonObject vocab = m["vocab"].toObject();
                      vocab.insert(QStringLiteral("zz-alias"), vocab.begin().value());
                      m["vocab"] = vocab;
                  });
              }},
             {"tok-added-alias", [](QJsonObject& t) {
                  QJsonArray added = t["added_tokens"].toArray();
                  added.append(QJsonObject{{"id", 5},
                                           {"content", "zz-added"},
                                           {"special", false},
                                           {"normalized", false}});
                  t["added_tokens"] = added;
              }}}) {
        const CliRun r = tokenizeVariant(name, edit);
        QVERIFY2(r.code == 0, qPrintable(name + ": " + r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out).object()["ids"].toArray(), plainIds);
    }
    // Patterns that match the empty string at every position: they terminate.
    const QJsonObject splitEmpty{{"type", "Split"},
                                 {"pattern", QJsonObject{{"Regex", "x*"}}},
                                 {"behavior", "Isolated"},
                                 {"invert", false}};
    const QJsonObject replaceEmpty{
        {"type", "Replace"}, {"pattern", QJsonObject{{"String", ""}}}, {"content", "ab"}};
    const QJsonObject replaceStar{
        {"type", "Replace"}, {"pattern", QJsonObject{{"Regex", "a*"}}}, {"content", "a"}};
    for (const auto& [name, key, value] : std::vector<std::tuple<QString, QString, QJsonObject>>{
             {"tok-split-empty", "pre_tokenizer", splitEmpty},
             {"tok-replace-empty", "normalizer", replaceEmpty},
             {"tok-replace-star", "normalizer", replaceStar}}) {
        const CliRun r = tokenizeVariant(name, [&](QJsonObject& t) { t[key] = value; });
        QVERIFY2(r.code == 0, qPrintable(name + ": " + r.err));
        QVERIFY2(!QJsonDocument::fromJson(r.out).object()["ids"].toArray().isEmpty(),
                 qPrintable(name));
    }
    // A template naming a special token it does not define: refused.
    expectRefusal(tokenizeVariant("tok-template",
                                  [](QJsonObject& t) {
                                      QJsonObject pp = t["post_processor"].toObject();
                                      pp["special_tokens"] = QJsonObject{};
                                      t["post_processor"] = pp;
                                  }),
                  {"special token '<s>' missing from special_tokens", "post_processor"});
}

void TestBadInputs::tokenizerUnknownComponents() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    expectRefusal(tokenizeVariant("tok-unigram",
                                  [](QJsonObject& t) {
                                      QJsonObject m = t["model"].toObject();
                                      m["type"] = QStringLiteral("Unigram");
                                      t["model"] = m;
                                  }),
                  {"tokenizer model 'Unigram' is not supported", "tokenizer.json"});
    expectRefusal(tokenizeVariant("tok-fancy",
                                  [](QJsonObject& t) {
                                      t["normalizer"] = QJsonObject{{"type", "FancyNorm"}};
                                  }),
                  {"normalizer type 'FancyNorm' is not supported", "supported:"});
    expectRefusal(tokenizeVariant("tok-fancy-pre",
                                  [](QJsonObject& t) {
                                      t["pre_tokenizer"] = QJsonObject{{"type", "FancySplit"}};
                                  }),
                  {"FancySplit", "tokenizer.json"});
}

void TestBadInputs::nanActivationsIntoTraining() {
    std::vector<float> values = randomValues(2048 * 16, 3);
    values[700 * 16 + 5] = std::numeric_limits<float>::quiet_NaN();
    values[900 * 16] = std::numeric_limits<float>::infinity();
    const QString acts = m_dir.filePath("nan-acts.safetensors");
    writeSafetensors(acts, {{"activations", {2048, 16}, values}});
    const QJsonObject run{
        {"activations", acts},
        {"tokens", 2048},
        {"out", m_dir.filePath("nan-out")},
        {"sae",
         QJsonObject{{"architecture", "topk"}, {"k", 4}, {"d_sae", 32}, {"batch_size", 64}}}};
    writeText(m_dir.filePath("nan-run.json"), QJsonDocument(run).toJson());
    const CliRun r = runCli({"train", "--config", m_dir.filePath("nan-run.json")});
    QVERIFY2(r.code == 1, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains("NaN", Qt::CaseInsensitive) || err.contains("finite"), qPrintable(err));
}

QTEST_GUILESS_MAIN(TestBadInputs)
#include "test_bad_inputs.moc"
