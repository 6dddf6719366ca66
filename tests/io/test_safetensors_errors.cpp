// Sharded folders, pickle refusal and corrupted files: each bad input gives a named error.
#include "io/safetensors.h"
#include "safetensors_test.h"
#include "test_support.h"

#include <QDir>
#include <QFile>

using namespace mistudio;
using namespace mistudio::io;

namespace {

struct Failure {
    ErrorCode code = ErrorCode::Ok;
    QString message;
};

template <typename Fn> Failure failureOf(Fn&& fn) {
    try {
        fn();
    } catch (const Exception& e) {
        return {e.code(), QString::fromUtf8(e.what())};
    }
    return {};
}

void writeText(const QString& path, const QByteArray& text) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

// A valid two-tensor header (a = [1, 2], b = [3, 4], F32) with its data.
const std::string kGoodHeader =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";

std::string goodData() {
    const float v[4] = {1, 2, 3, 4};
    return std::string(reinterpret_cast<const char*>(v), sizeof(v));
}

} // namespace

void TestSafetensors::shardedCheckpointThroughIndex() {
    QDir dir(m_tmp.filePath(QStringLiteral("sharded")));
    QVERIFY(dir.mkpath(QStringLiteral(".")));
    at::manual_seed(11);
    const at::Tensor a = at::randn({4, 8}), b = at::randn({8}), c = at::randn({3, 2, 2});
    saveTensors(dir.filePath(QStringLiteral("model-00001-of-00002.safetensors")).toStdString(),
                {{"layer.0.a", a}, {"layer.0.b", b}});
    saveTensors(dir.filePath(QStringLiteral("model-00002-of-00002.safetensors")).toStdString(),
                {{"layer.1.c", c}});
    writeText(dir.filePath(QStringLiteral("model.safetensors.index.json")),
              R"({"metadata": {"total_size": 208}, "weight_map": {
                  "layer.0.a": "model-00001-of-00002.safetensors",
                  "layer.0.b": "model-00001-of-00002.safetensors",
                  "layer.1.c": "model-00002-of-00002.safetensors"}})");
    const SafetensorsModel model = SafetensorsModel::open(dir.path().toStdString());
    QCOMPARE(model.files().size(), size_t(2));
    QCOMPARE(model.names(), (std::vector<std::string>{"layer.0.a", "layer.0.b", "layer.1.c"}));
    QCOMPARE(model.parameterCount(), int64_t(32 + 8 + 12));
    QVERIFY(at::equal(model.view("layer.0.a"), a));
    QVERIFY(at::equal(model.load("layer.1.c"), c));
    QCOMPARE(model.load("layer.0.b", at::kBFloat16).scalar_type(), at::kBFloat16);
    QVERIFY(model.info("layer.1.c").begin >= 8);
    model.release("layer.0.a");
    QVERIFY(at::equal(model.view("layer.0.a"), a));
    // As in transformers, a single model.safetensors wins over the index.
    const QString single = dir.filePath(QStringLiteral("model.safetensors"));
    saveTensors(single.toStdString(), {{"only", at::zeros({3})}});
    QCOMPARE(SafetensorsModel::open(dir.path().toStdString()).names(),
             std::vector<std::string>{"only"});
    QVERIFY(QFile::remove(single));
    // The same shards without an index: every .safetensors file is used.
    QVERIFY(QFile::remove(dir.filePath(QStringLiteral("model.safetensors.index.json"))));
    QCOMPARE(SafetensorsModel::open(dir.path().toStdString()).parameterCount(), int64_t(52));
    // A single file opens as a model too.
    const auto one = SafetensorsModel::open(model.files()[1]);
    QCOMPARE(one.names(), (std::vector<std::string>{"layer.1.c"}));
}

void TestSafetensors::shardedIndexErrors() {
    QDir dir(m_tmp.filePath(QStringLiteral("badindex")));
    QVERIFY(dir.mkpath(QStringLiteral(".")));
    saveTensors(dir.filePath(QStringLiteral("s1.safetensors")).toStdString(),
                {{"x", at::ones({2})}});
    const QString index = dir.filePath(QStringLiteral("model.safetensors.index.json"));
    const std::string folder = dir.path().toStdString();
    struct Case {
        QByteArray json;
        ErrorCode code;
        QString needle;
    };
    const std::vector<Case> cases = {
        {R"({"weight_map": {"x": "s1.safetensors", "y": "s1.safetensors"}})",
         ErrorCode::InvalidFormat, QStringLiteral("'y'")},
        {R"({"weight_map": {"x": "../s1.safetensors"}})", ErrorCode::InvalidFormat,
         QStringLiteral("not a file inside")},
        {R"({"weight_map": {"x": "/etc/passwd"}})", ErrorCode::InvalidFormat,
         QStringLiteral("not a file inside")},
        {R"({"weight_map": {"x": "s2.safetensors"}})", ErrorCode::NotFound,
         QStringLiteral("s2.safetensors")},
        {R"({"weight_map": [1, 2]})", ErrorCode::InvalidFormat, QStringLiteral("weight_map")},
        {R"({"weight_map": )", ErrorCode::InvalidFormat, QStringLiteral("not valid JSON")},
    };
    for (const Case& c : cases) {
        writeText(index, c.json);
        const Failure f = failureOf([&] { SafetensorsModel::open(folder); });
        QVERIFY2(f.code == c.code && f.message.contains(c.needle),
                 qPrintable(QString::fromUtf8(c.json) + QStringLiteral(" -> ") + f.message));
    }
}

void TestSafetensors::pickleOnlyFolderRefused() {
    QDir dir(m_tmp.filePath(QStringLiteral("pickle")));
    QVERIFY(dir.mkpath(QStringLiteral(".")));
    writeText(dir.filePath(QStringLiteral("config.json")), "{}");
    // A pickle that would run a shell command if it were ever unpickled.
    writeText(dir.filePath(QStringLiteral("pytorch_model.bin")),
              "cposix\nsystem\n(S'touch PWNED'\ntR.");
    writeText(dir.filePath(QStringLiteral("extra.ckpt")), "x");
    const Failure f = failureOf([&] { SafetensorsModel::open(dir.path().toStdString()); });
    QCOMPARE(f.code, ErrorCode::Unsupported);
    QVERIFY2(f.message.contains(QStringLiteral("pickle")) &&
                 f.message.contains(QStringLiteral("pytorch_model.bin")) &&
                 f.message.contains(QStringLiteral("extra.ckpt")) &&
                 f.message.contains(QStringLiteral("arbitrary code")) &&
                 f.message.contains(QStringLiteral("safetensors")) &&
                 f.message.contains(dir.path()),
             qPrintable(f.message));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("PWNED"))));
    QVERIFY(QFile::remove(dir.filePath(QStringLiteral("pytorch_model.bin"))));
    QVERIFY(QFile::remove(dir.filePath(QStringLiteral("extra.ckpt"))));
    const Failure empty = failureOf([&] { SafetensorsModel::open(dir.path().toStdString()); });
    QVERIFY2(empty.code == ErrorCode::NotFound &&
                 empty.message.contains(QStringLiteral("no .safetensors")),
             qPrintable(empty.message));
}

void TestSafetensors::corruptedFilesGiveNamedErrors() {
    const std::string data = goodData();
    const std::string good = st_test::writeRaw(m_tmp, QStringLiteral("good.st"), kGoodHeader, data);
    QVERIFY(at::equal(SafetensorsFile::open(good)->view("b"), at::tensor({3.0f, 4.0f})));
    auto replace = [](std::string s, const std::string& from, const std::string& to) {
        return s.replace(s.find(from), from.size(), to);
    };
    struct Case {
        QString file;
        std::string header, data;
        uint64_t declared;
        QString needle, tensor;
    };
    const uint64_t asIs = UINT64_MAX;
    const std::vector<Case> cases = {
        {"truncated_data", kGoodHeader, data.substr(0, 12), asIs, "outside the data section", "b"},
        {"truncated_header", kGoodHeader.substr(0, 40), "", kGoodHeader.size(),
         "beyond the end of the file", ""},
        {"length_beyond_file", kGoodHeader, data, 100000, "beyond the end of the file", ""},
        {"length_over_limit", kGoodHeader, data, 200'000'000, "100 MB", ""},
        {"overlap", replace(kGoodHeader, "[8,16]", "[4,12]"), data, asIs, "overlaps", "b"},
        {"byte_count", replace(kGoodHeader, "\"shape\":[2]", "\"shape\":[3]"), data, asIs,
         "needs 12", "a"},
        {"unknown_dtype", replace(kGoodHeader, "\"F32\"", "\"F12\""), data, asIs, "unknown dtype",
         "a"},
        {"non_json", "{\"a\": {\"dtype\": \"F32\", oops", data, asIs, "not well-formed JSON", ""},
        {"not_object", "[1, 2, 3]", data, asIs, "not an object", ""},
        {"negative_offset", replace(kGoodHeader, "[0,8]", "[-8,0]"), data, asIs,
         "non-negative integer", "a"},
        {"float_shape", replace(kGoodHeader, "[2]", "[2.5]"), data, asIs, "non-negative integer",
         "a"},
        {"missing_field", replace(kGoodHeader, "\"shape\":[2],", ""), data, asIs, "needs", "a"},
        {"bad_metadata", replace(kGoodHeader, "\"pt\"", "7"), data, asIs, "__metadata__", ""},
        {"deep_json", std::string(5000, '[') + std::string(5000, ']'), data, asIs,
         "not well-formed JSON", ""},
    };
    for (const Case& c : cases) {
        const std::string path = st_test::writeRaw(m_tmp, c.file, c.header, c.data, c.declared);
        const Failure f = failureOf([&] { SafetensorsFile::open(path); });
        const QString detail = c.file + QStringLiteral(": ") + f.message;
        QVERIFY2(f.code == ErrorCode::InvalidFormat, qPrintable(detail));
        QVERIFY2(f.message.contains(c.needle), qPrintable(detail));
        QVERIFY2(f.message.contains(QString::fromStdString(path)), qPrintable(detail));
        if (!c.tensor.isEmpty())
            QVERIFY2(f.message.contains(QStringLiteral("tensor '%1'").arg(c.tensor)),
                     qPrintable(detail));
    }
    // Shorter than the length prefix.
    QFile tiny(m_tmp.filePath(QStringLiteral("tiny.st")));
    QVERIFY(tiny.open(QIODevice::WriteOnly));
    tiny.write("abc");
    tiny.close();
    const Failure f = failureOf([&] { SafetensorsFile::open(tiny.fileName().toStdString()); });
    QVERIFY2(f.code == ErrorCode::InvalidFormat && f.message.contains(QStringLiteral("shorter")),
             qPrintable(f.message));
    QCOMPARE(
        failureOf([&] { SafetensorsFile::open(m_tmp.filePath("missing").toStdString()); }).code,
        ErrorCode::NotFound);
}

void TestSafetensors::headerParserOnBuffer() {
    const std::string data = goodData();
    std::string blob(8, '\0');
    blob[0] = static_cast<char>(kGoodHeader.size());
    blob += kGoodHeader + data;
    const auto* bytes = reinterpret_cast<const std::byte*>(blob.data());
    const ParsedHeader h = parseHeader(bytes, blob.size(), blob.size(), "buffer");
    QCOMPARE(h.headerBytes, uint64_t(kGoodHeader.size()));
    QCOMPARE(h.tensors.size(), size_t(2));
    QCOMPARE(h.tensors[0].name, std::string("a")); // header order
    QCOMPARE(h.tensors[1].begin, h.dataStart + 8);
    QCOMPARE(h.metadata.at("format"), std::string("pt"));
    // A buffer holding less than the header refuses instead of reading past its end.
    const Failure f = failureOf([&] { parseHeader(bytes, 20, blob.size(), "buffer"); });
    QVERIFY2(f.code == ErrorCode::InvalidFormat && f.message.contains(QStringLiteral("buffer")),
             qPrintable(f.message));
}

void TestSafetensors::misalignedTensorIsCopied() {
    // Header of 9 bytes + 8-byte prefix: data starts at byte 17, so F32 data is misaligned.
    const std::string header = R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    const std::string padded = header + std::string((4 - (8 + header.size()) % 4) % 4 + 1, ' ');
    const float v[4] = {1.5f, -2.0f, 3.25f, 8.0f};
    const std::string path = st_test::writeRaw(m_tmp, QStringLiteral("misaligned.st"), padded,
                                               std::string(reinterpret_cast<const char*>(v), 16));
    auto file = SafetensorsFile::open(path);
    QVERIFY((file->find("x")->begin % 4) != 0);
    const at::Tensor t = file->view("x");
    QVERIFY(at::equal(t, at::tensor({1.5f, -2.0f, 3.25f, 8.0f})));
    QVERIFY(t.data_ptr() != static_cast<const void*>(file->data(*file->find("x"))));
}

QTEST_GUILESS_MAIN(TestSafetensors)
#include "moc_safetensors_test.cpp"
