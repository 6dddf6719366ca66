// safetensors reader/writer against the fixtures and an independent stdlib-Python parser.
#include "io/safetensors.h"
#include "mistudio/memory.h"
#include "safetensors_test.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <bit>
#include <cmath>
#include <cstring>
#include <torch/version.h>

using namespace mistudio;
using namespace mistudio::io;

namespace st_test {

bool havePython() {
    return !QStandardPaths::findExecutable(QStringLiteral("python3")).isEmpty();
}

QJsonObject pythonReference(const std::string& path) {
    QProcess py;
    const QString script =
        qEnvironmentVariable("MISTUDIO_SOURCE_DIR") + QStringLiteral("/tests/io/st_reference.py");
    py.start(QStringLiteral("python3"), {script, QString::fromStdString(path)});
    if (!py.waitForFinished(120000) || py.exitCode() != 0)
        qFatal("st_reference.py failed on %s: %s", path.c_str(),
               py.readAllStandardError().constData());
    return QJsonDocument::fromJson(py.readAllStandardOutput()).object();
}

std::string writeRaw(const QTemporaryDir& dir, const QString& name, const std::string& header,
                     const std::string& data, uint64_t declaredLength) {
    const uint64_t n = declaredLength == UINT64_MAX ? header.size() : declaredLength;
    std::string blob(8, '\0');
    for (int i = 0; i < 8; ++i)
        blob[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    blob += header + data;
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(blob.data(), static_cast<qint64>(blob.size()));
    return path.toStdString();
}

} // namespace st_test

namespace {

QStringList fixtureModels() {
    return QDir(mistudio::test::sharedDir() + QStringLiteral("/fixtures/models"))
        .entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
}

// Compares every tensor of `file` with the Python parser's view of the same bytes.
void compareWithReference(const SafetensorsFile& file) {
    const QJsonObject ref = st_test::pythonReference(file.path());
    const QJsonObject tensors = ref.value(QStringLiteral("tensors")).toObject();
    QCOMPARE(static_cast<qsizetype>(file.tensors().size()), tensors.size());
    for (const TensorInfo& t : file.tensors()) {
        const QJsonObject r = tensors.value(QString::fromStdString(t.name)).toObject();
        QVERIFY2(!r.isEmpty(), t.name.c_str());
        QCOMPARE(QString(dtypeName(t.dtype)), r.value(QStringLiteral("dtype")).toString());
        QCOMPARE(static_cast<double>(t.begin), r.value(QStringLiteral("begin")).toDouble());
        QCOMPARE(static_cast<double>(t.end), r.value(QStringLiteral("end")).toDouble());
        const QJsonArray shape = r.value(QStringLiteral("shape")).toArray();
        QCOMPARE(static_cast<qsizetype>(t.shape.size()), shape.size());
        for (size_t i = 0; i < t.shape.size(); ++i)
            QCOMPARE(t.shape[i], static_cast<int64_t>(shape[static_cast<int>(i)].toDouble()));
        const at::Tensor v = file.load(t.name, at::kDouble);
        QCOMPARE(v.sizes().vec(), t.shape);
        const double sum = v.sum().item<double>();
        const double refSum = r.value(QStringLiteral("sum")).toDouble();
        const double scale = v.abs().sum().item<double>() + 1.0;
        QVERIFY2(std::abs(sum - refSum) <= 1e-12 * scale, t.name.c_str());
        QCOMPARE(v.numel() ? v.abs().max().item<double>() : 0.0,
                 r.value(QStringLiteral("absmax")).toDouble());
        const QJsonArray first = r.value(QStringLiteral("first")).toArray();
        const at::Tensor flat = v.flatten();
        for (int i = 0; i < first.size(); ++i)
            QCOMPARE(flat[i].item<double>(), first[i].toDouble());
    }
}

} // namespace

void TestSafetensors::fixturesMatchIndependentReader() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/gpt2/model.safetensors");
    if (!st_test::havePython())
        QSKIP("python3 not found: the independent reader tests/io/st_reference.py needs it");
    const QStringList models = fixtureModels();
    QVERIFY(models.size() >= 10);
    for (const QString& m : models) {
        for (const char* name : {"model.safetensors", "golden.safetensors"}) {
            const auto path = test::fixture(QStringLiteral("fixtures/models/%1/%2").arg(m, name));
            auto file = SafetensorsFile::open(path);
            QVERIFY(!file->tensors().empty());
            QCOMPARE(file->metadata().at("format"), std::string("pt"));
            compareWithReference(*file);
        }
    }
}

void TestSafetensors::goldenMaxAbsMatchesGoldenJson() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama/golden.json");
    for (const QString& m : fixtureModels()) {
        QFile f(QString::fromStdString(test::fixture("fixtures/models/" + m + "/golden.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject tensors = QJsonDocument::fromJson(f.readAll())
                                        .object()
                                        .value(QStringLiteral("tensors"))
                                        .toObject();
        QVERIFY(!tensors.isEmpty());
        auto file =
            SafetensorsFile::open(test::fixture("fixtures/models/" + m + "/golden.safetensors"));
        for (auto it = tensors.begin(); it != tensors.end(); ++it) {
            const QJsonObject g = it.value().toObject();
            if (!g.contains(QStringLiteral("max_abs")))
                continue;
            const at::Tensor v = file->view(it.key().toStdString());
            QCOMPARE(v.abs().max().item<double>(), g.value(QStringLiteral("max_abs")).toDouble());
            QCOMPARE(v.dim(), g.value(QStringLiteral("shape")).toArray().size());
        }
    }
}

void TestSafetensors::modelFolderCountsParameters() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/gemma/model.safetensors");
    for (const QString& m : st_test::havePython() ? fixtureModels() : QStringList()) {
        const auto dir = test::fixture("fixtures/models/" + m);
        const SafetensorsModel model = SafetensorsModel::open(dir);
        QCOMPARE(model.files().size(), size_t(1));
        const QJsonObject ref = st_test::pythonReference(dir + "/model.safetensors")
                                    .value(QStringLiteral("tensors"))
                                    .toObject();
        int64_t expected = 0;
        for (const auto& v : ref) {
            int64_t n = 1;
            for (const auto& d : v.toObject().value(QStringLiteral("shape")).toArray())
                n *= static_cast<int64_t>(d.toDouble());
            expected += n;
        }
        QCOMPARE(model.parameterCount(), expected);
        QCOMPARE(static_cast<qsizetype>(model.names().size()), ref.size());
    }
    // Tied embeddings: gemma stores no lm_head; asking for it names the tensor and the folder.
    const auto gemmaDir = test::fixture("fixtures/models/gemma");
    const SafetensorsModel gemma = SafetensorsModel::open(gemmaDir);
    QVERIFY(gemma.has("model.embed_tokens.weight"));
    QVERIFY(!gemma.has("lm_head.weight"));
    try {
        gemma.info("lm_head.weight");
        QFAIL("expected NotFound");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::NotFound);
        QVERIFY(QString(e.what()).contains(QStringLiteral("lm_head.weight")));
        QVERIFY(QString(e.what()).contains(QString::fromStdString(gemmaDir)));
    }
    QCOMPARE(gemma.load("model.embed_tokens.weight").sizes().vec(),
             (std::vector<int64_t>{512, 64}));
}

void TestSafetensors::viewsAreZeroCopyAndOutliveTheFile() {
    QVERIFY(m_tmp.isValid());
    const std::string path = m_tmp.filePath(QStringLiteral("zc.safetensors")).toStdString();
    at::Tensor w = at::arange(0, 1000, at::kFloat).view({10, 100});
    saveTensors(path, {{"w", w}});
    at::Tensor v;
    {
        auto file = SafetensorsFile::open(path);
        v = file->view("w");
        QCOMPARE(v.data_ptr(),
                 static_cast<void*>(const_cast<std::byte*>(file->data(*file->find("w")))));
        file->release("w"); // pages dropped; reading faults them back in from the file
        QVERIFY(at::equal(v, w));
    } // the file object is gone; the view keeps the mapping alive
    QVERIFY(at::equal(v, w));
    at::Tensor copy = SafetensorsFile::open(path)->load("w", at::kDouble);
    QCOMPARE(copy.scalar_type(), at::kDouble);
    QVERIFY(at::equal(copy, w.to(at::kDouble)));
}

void TestSafetensors::releaseDropsPagesFromRss() {
    // 64 MB tensor: reading it maps its pages into the process (RSS); release() must unmap them.
    const std::string path = m_tmp.filePath(QStringLiteral("big.safetensors")).toStdString();
    const int64_t n = 16 << 20;
    saveTensors(path, {{"big", at::ones({n})}});
    auto file = SafetensorsFile::open(path);
    const at::Tensor v = file->view("big");
    const int64_t before = sampleMemory().cpuRss;
    QCOMPARE(v.sum().item<double>(), static_cast<double>(n)); // touches every page
    const int64_t touched = sampleMemory().cpuRss;
    file->release("big");
    const int64_t released = sampleMemory().cpuRss;
    const int64_t mb = 1 << 20;
    QVERIFY2(touched - before > 48 * mb && touched - released > 48 * mb,
             qPrintable(QStringLiteral("RSS MB before %1 touched %2 released %3")
                            .arg(before / mb)
                            .arg(touched / mb)
                            .arg(released / mb)));
    QCOMPARE(v.sum().item<double>(), static_cast<double>(n)); // readable again from the file
}

void TestSafetensors::writerRoundTripsEveryDtype() {
    at::manual_seed(7);
    const std::vector<std::pair<std::string, at::Tensor>> tensors = {
        {"b", at::rand({3, 5}) > 0.5},
        {"u8", at::randint(0, 255, {7}, at::kByte)},
        {"f16", at::randn({4, 3}).to(at::kHalf)},
        {"f64", at::randn({2, 2, 2}, at::kDouble)},
        {"i8", at::randint(-128, 127, {5}, at::kChar)},
        {"bf16", at::randn({6}).to(at::kBFloat16)},
        {"i16", at::randint(-30000, 30000, {3}, at::kShort)},
        {"f32", at::randn({5, 4})},
        {"i32", at::randint(-100000, 100000, {9}, at::kInt)},
        {"i64", at::randint(-(int64_t(1) << 40), int64_t(1) << 40, {4}, at::kLong)},
        {"scalar", at::full({}, 3.5)},
        {"empty", at::zeros({0, 4})},
    };
    const std::string path = m_tmp.filePath(QStringLiteral("all.safetensors")).toStdString();
    saveTensors(path, tensors, {{"format", "pt"}, {"note", "round trip"}});
    auto file = SafetensorsFile::open(path);
    QCOMPARE(file->metadata().at("note"), std::string("round trip"));
    for (const auto& [name, t] : tensors) {
        const TensorInfo* info = file->find(name);
        QVERIFY2(info, name.c_str());
        QCOMPARE(info->begin % dtypeSize(info->dtype), uint64_t(0)); // aligned layout
        QCOMPARE(toScalarType(info->dtype), t.scalar_type());
        QVERIFY2(at::equal(file->view(name), t), name.c_str());
    }
    if (st_test::havePython())
        compareWithReference(*file);
}
