// Local dataset sources: each format's documents, lazy reading, and the errors a person sees.
#include "mistudio/dataset.h"
#include "mistudio/result.h"
#include "test_support.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

using namespace mistudio;
using namespace mistudio::data;

namespace {

std::vector<std::string> texts(const DatasetSpec& spec, ReadStats* stats = nullptr) {
    DocumentReader r(spec);
    std::vector<std::string> out;
    while (auto d = r.next())
        out.push_back(d->text);
    if (stats)
        *stats = r.stats();
    return out;
}

std::string errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Exception& e) {
        return e.what();
    }
    return {};
}

#define EXPECT_ERROR_CONTAINS(expr, needle)                                                        \
    do {                                                                                           \
        const std::string msg_ = errorOf([&] { (void)(expr); });                                   \
        QVERIFY2(msg_.find(needle) != std::string::npos,                                           \
                 qPrintable(QString::fromStdString("'" + msg_ + "' lacks '" + (needle) + "'")));   \
    } while (0)

using Strings = std::vector<std::string>;

} // namespace

class TestDataset : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::string file(const std::string& name, const std::string& content) {
        const std::string p = m_dir.path().toStdString() + "/" + name;
        std::filesystem::create_directories(std::filesystem::path(p).parent_path());
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

private Q_SLOTS:
    void jsonLines() {
        const auto p =
            file("a.jsonl", "\xEF\xBB\xBF{\"text\": \"h\\u00e9llo\", \"id\": 1}\r\n\n"
                            "{\"id\": 2, \"text\": \"line\\nbreak\"}\n"
                            "{\"text\": null}\n{\"text\": \"   \"}\n{\"text\": \"\\u0000x\"}\n");
        ReadStats s;
        QCOMPARE(texts({p}, &s), (Strings{"h\xC3\xA9llo", "line\nbreak", "x"}));
        QCOMPARE(s.nulls, 1u);
        QCOMPARE(s.emptySkipped, 1u);
        QCOMPARE(s.nulCharsRemoved, 1u);
        DocumentReader r({p});
        QCOMPARE(r.next()->line, 1u);
        QCOMPARE(r.next()->line, 3u);
    }

    void missingFieldNamesLineAndFields() {
        const auto p = file("data.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"body\": \"c\", "
                                          "\"id\": 3}\n");
        EXPECT_ERROR_CONTAINS(texts({p}), "field 'text' not found in line 3 of data.jsonl; fields "
                                          "present: body, id");
        EXPECT_ERROR_CONTAINS(texts({p}), "--text-field");
        // Reading is lazy: the first two documents come out before the bad line is reached.
        QCOMPARE(previewDataset({p}, 2).documents.size(), size_t(2));
        DatasetSpec spec{p};
        spec.textField = "body";
        EXPECT_ERROR_CONTAINS(texts(spec), "field 'body' not found in line 1");
        const auto q = file("num.jsonl", "{\"text\": 5}\n");
        EXPECT_ERROR_CONTAINS(texts({q}), "field 'text' in line 1 of num.jsonl is a number");
        const auto bad = file("bad.jsonl", "{\"text\": \"a\"\n");
        EXPECT_ERROR_CONTAINS(texts({bad}), "invalid JSON in line 1 of bad.jsonl");
    }

    void jsonArrayAndDataObject() {
        const auto a = file("a.json", " [ {\"text\": \"one ] }\", \"x\": [1, {\"y\": \"]\"}]},\n"
                                      "{\"text\": \"two \\\" quote\"} ] ");
        QCOMPARE(texts({a}), (Strings{"one ] }", "two \" quote"}));
        const auto b = file("b.json", "{\"version\": {\"v\": [1, 2]}, \"name\": \"x\", \"data\": "
                                      "[{\"text\": \"first\"}, {\"content\": \"c\", \"text\": "
                                      "\"second\"}], \"after\": 1}");
        QCOMPARE(texts({b}), (Strings{"first", "second"}));
        DatasetSpec spec{b};
        spec.textField = "content";
        EXPECT_ERROR_CONTAINS(texts(spec), "field 'content' not found in element 1 of b.json; "
                                           "fields present: text");
        const auto c = file("c.json", "{\"rows\": []}");
        EXPECT_ERROR_CONTAINS(texts({c}), "without a \"data\" array");
        const auto d = file("d.json", "[{\"text\": \"a\"}, {\"text\": ");
        EXPECT_ERROR_CONTAINS(texts({d}), "unexpected end of file");
    }

    void csvQuotingAndTsv() {
        const auto c = file("a.csv", "id,text,label\r\n1,plain,x\r\n2,\"with, comma\",y\r\n"
                                     "3,\"multi\nline \"\"quoted\"\"\",z\n\n4,,w\n5,last,v");
        ReadStats s;
        QCOMPARE(texts({c}, &s),
                 (Strings{"plain", "with, comma", "multi\nline \"quoted\"", "last"}));
        QCOMPARE(s.emptySkipped, 1u);
        DocumentReader r({c});
        r.next();
        r.next();
        QCOMPARE(r.next()->line, 4u);
        QCOMPARE(r.next()->line, 8u);
        const auto t = file("a.tsv", "text\tn\nalpha, beta\t1\n\"tab\there\"\t2\n");
        QCOMPARE(texts({t}), (Strings{"alpha, beta", "tab\there"}));
        const auto m = file("m.csv", "a,b\n1,2\n");
        EXPECT_ERROR_CONTAINS(texts({m}), "column 'text' not found in the header of m.csv; "
                                          "columns present: a, b");
        const auto f = file("f.csv", "text,b\nx,1\ny\n");
        EXPECT_ERROR_CONTAINS(texts({f}), "record at line 3 of f.csv has 1 fields, the header 2");
        const auto u = file("u.csv", "text\n\"open\n");
        EXPECT_ERROR_CONTAINS(texts({u}), "unterminated quoted field");
    }

    void textFilesAndBlocks() {
        const auto p = file("t.txt", "First para\nstill first.\n\n  \n\nSecond.\r\n\r\nThird");
        QCOMPARE(texts({p}), (Strings{"First para\nstill first.\n\n  \n\nSecond.\r\n\r\nThird"}));
        DatasetSpec spec{p};
        spec.txtSplit = TxtSplit::BlankLines;
        QCOMPARE(texts(spec), (Strings{"First para\nstill first.", "Second.", "Third"}));
        DocumentReader r(spec);
        r.next();
        QCOMPARE(r.next()->line, 6u);
    }

    void folderIsRecursiveAndSorted() {
        const std::string root = m_dir.path().toStdString() + "/folder";
        file("folder/b.txt", "bee");
        file("folder/a/z.jsonl", "{\"text\": \"zed\"}\n");
        file("folder/c.csv", "text\ncee\n");
        file("folder/.hidden/x.txt", "hidden");
        file("folder/notes.md", "ignored");
        const Preview p = previewDataset({root}, 10);
        Strings got;
        for (const auto& d : p.documents)
            got.push_back(d.text);
        QCOMPARE(got, (Strings{"zed", "bee", "cee"}));
        QCOMPARE(p.stats.files, 3u);
        QCOMPARE(p.documents[2].id, 2u);
        QVERIFY(p.documents[0].source.find("z.jsonl") != std::string::npos);
        QCOMPARE(previewDataset({root}, 2).documents.size(), size_t(2));
    }

    void invalidUtf8IsReplacedAndCounted() {
        // A stray continuation byte, a truncated 3-byte sequence, an overlong '/', a surrogate.
        const auto p =
            file("u.txt", "ok \x80 x \xE2\x82 y \xC0\xAF z \xED\xA0\x80 \xF0\x9F\x99\x82");
        ReadStats s;
        const auto t = texts({p}, &s);
        QCOMPARE(t.size(), size_t(1));
        const std::string r = "\xEF\xBF\xBD";
        QCOMPARE(t[0], "ok " + r + " x " + r + r + " y " + r + r + " z " + r + r + r +
                           " \xF0\x9F\x99\x82");
        QCOMPARE(s.invalidUtf8, 8u);
        const auto j = file("u.jsonl", "{\"text\": \"bad \xFF byte\"}\n");
        QCOMPARE(texts({j}, &s), (Strings{"bad " + r + " byte"}));
        QCOMPARE(s.invalidUtf8, 1u);
    }

    void badInputsGiveMessages() {
        const auto nul = file("n.jsonl", std::string("{\"text\": \"a\"}\n{\"te\0xt\": 1}\n", 26));
        EXPECT_ERROR_CONTAINS(texts({nul}), "NUL byte in line 2 of n.jsonl");
        const auto nulTxt = file("n.txt", std::string("a\0b", 3));
        EXPECT_ERROR_CONTAINS(texts({nulTxt}), "UTF-16");
        EXPECT_ERROR_CONTAINS(texts({file("e.jsonl", "\n\n")}), "holds no documents");
        EXPECT_ERROR_CONTAINS(texts({file("e2.csv", "text\n\"\"\n")}), "holds no documents");
        EXPECT_ERROR_CONTAINS(texts({file("x.docx", "zz")}),
                              "unknown dataset file extension '.docx'");
        EXPECT_ERROR_CONTAINS(texts({m_dir.path().toStdString() + "/nope.jsonl"}), "not found");
        // A line over the limit is refused before it is held in memory whole.
        DatasetSpec spec{file("long.jsonl", "{\"text\": \"" + std::string(100000, 'a') + "\"}\n")};
        spec.maxRecordBytes = 4096;
        EXPECT_ERROR_CONTAINS(texts(spec), "line 1 of long.jsonl is longer than 4096 bytes");
        spec.path = file("long.json", "[{\"text\": \"" + std::string(100000, 'a') + "\"}]");
        EXPECT_ERROR_CONTAINS(texts(spec), "element 1 is longer than 4096 bytes");
        spec.path = file("long.csv", "text\n" + std::string(100000, 'a') + "\n");
        EXPECT_ERROR_CONTAINS(texts(spec), "record longer than 4096 bytes");
        spec.path = file("long.txt", std::string(100000, 'a'));
        spec.maxDocumentBytes = 4096;
        EXPECT_ERROR_CONTAINS(texts(spec), "document limit");
    }

    void parquetThroughTheReader() {
        const std::string dir =
            std::string(qgetenv("MISTUDIO_SOURCE_DIR").constData()) + "/tests/data/parquet/";
        ReadStats s;
        const auto t = texts({dir + "snappy_v1_dict_optional.parquet"}, &s);
        QVERIFY(!t.empty());
        QVERIFY(s.nulls > 0);
        DatasetSpec spec{dir + "snappy_v1_dict_optional.parquet"};
        spec.textField = "missing";
        EXPECT_ERROR_CONTAINS(texts(spec), "columns present: id, text");
    }

    void cliPreview() {
        const auto p = file("cli.jsonl", "{\"body\": \"caf\u00e9\"}\n{\"body\": \"two\"}\n"
                                         "{\"body\": \"three\"}\n");
        QProcess cli;
        cli.start(test::cliPath(), {"dataset-preview", QString::fromStdString(p), "--text-field",
                                    "body", "--limit", "2"});
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        const QList<QByteArray> lines = cli.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        const QJsonObject first = QJsonDocument::fromJson(lines[0]).object();
        QCOMPARE(first["text"].toString(), QString::fromUtf8("caf\xC3\xA9"));
        QCOMPARE(first["id"].toInt(), 0);
        QCOMPARE(first["line"].toInt(), 1);
        QCOMPARE(QJsonDocument::fromJson(lines[1]).object()["text"].toString(), QString("two"));

        cli.start(test::cliPath(), {"dataset-preview", QString::fromStdString(p)});
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 1);
        QVERIFY(cli.readAllStandardError().contains(
            "field 'text' not found in line 1 of cli.jsonl; fields present: body"));
        cli.start(test::cliPath(), {"dataset-preview"});
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 2);
    }
};

QTEST_GUILESS_MAIN(TestDataset)
#include "test_dataset.moc"
