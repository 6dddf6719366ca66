// Streaming writer behaviour, bf16 bit layout and FP8 decoding.
#include "io/safetensors.h"
#include "safetensors_test.h"

#include <QDir>
#include <QFileInfo>
#include <bit>
#include <cmath>
#include <torch/version.h>

using namespace mistudio;
using namespace mistudio::io;

namespace {

template <typename Fn> QString errorOf(Fn&& fn, ErrorCode expected) {
    try {
        fn();
    } catch (const Exception& e) {
        if (e.code() != expected)
            return QStringLiteral("wrong code: ") + e.what();
        return QString::fromUtf8(e.what());
    }
    return QStringLiteral("<no error>");
}

QStringList leftovers(const QTemporaryDir& dir) {
    return QDir(dir.path()).entryList({QStringLiteral("*.tmp-*")}, QDir::Files);
}

} // namespace

void TestSafetensors::writerStreamsChunksAndCleansUp() {
    const std::string path = m_tmp.filePath(QStringLiteral("chunks.safetensors")).toStdString();
    std::vector<float> a(1000);
    for (size_t i = 0; i < a.size(); ++i)
        a[i] = static_cast<float>(i) * 0.5f - 3.0f;
    std::vector<int64_t> b = {1, -2, 3};
    {
        SafetensorsWriter w(path, {{"kind", "chunks"}});
        w.declare("a", DType::F32, {10, 100});
        w.declare("b", DType::I64, {3});
        w.setMetadata("rows", "10");
        for (size_t off = 0; off < a.size(); off += 300) // uneven chunks of 300 floats
            w.write("a", a.data() + off, std::min<size_t>(300, a.size() - off) * sizeof(float));
        w.write("b", b.data(), b.size() * sizeof(int64_t));
        QVERIFY(!QFileInfo::exists(QString::fromStdString(path))); // nothing in place yet
        QCOMPARE(leftovers(m_tmp).size(), 1);
        w.commit();
    }
    QCOMPARE(leftovers(m_tmp).size(), 0);
    auto file = SafetensorsFile::open(path);
    QCOMPARE(file->metadata().at("kind"), std::string("chunks"));
    QCOMPARE(file->metadata().at("rows"), std::string("10"));
    QVERIFY(at::equal(file->view("a").flatten(), at::tensor(a)));
    QVERIFY(at::equal(file->view("b"), at::tensor(b)));

    // Abandoned writer: neither the target nor the temp file remains, an old file is untouched.
    {
        SafetensorsWriter w(path);
        w.declare("x", DType::F32, {2});
        float x[2] = {1, 2};
        w.write("x", x, sizeof(x));
    }
    QCOMPARE(leftovers(m_tmp).size(), 0);
    QVERIFY(SafetensorsFile::open(path)->find("a") != nullptr);
}

void TestSafetensors::writerRejectsMisuse() {
    const std::string path = m_tmp.filePath(QStringLiteral("misuse.safetensors")).toStdString();
    SafetensorsWriter w(path);
    w.declare("t", DType::F32, {2, 2});
    QVERIFY(errorOf([&] { w.declare("t", DType::F32, {1}); }, ErrorCode::InvalidArgument)
                .contains(QStringLiteral("declared twice")));
    QVERIFY(errorOf([&] { w.declare("__metadata__", DType::F32, {1}); }, ErrorCode::InvalidArgument)
                .contains(QStringLiteral("invalid tensor name")));
    const float data[5] = {};
    QVERIFY(errorOf([&] { w.write("nope", data, 4); }, ErrorCode::InvalidArgument)
                .contains(QStringLiteral("'nope'")));
    QVERIFY(errorOf([&] { w.write("t", data, 20); }, ErrorCode::InvalidArgument)
                .contains(QStringLiteral("more bytes")));
    QVERIFY(errorOf(
                [&] {
                    w.write("t", at::zeros({2, 2}, at::kDouble));
                },
                ErrorCode::InvalidArgument)
                .contains(QStringLiteral("declared F32")));
    w.write("t", data, 8);
    QVERIFY(errorOf([&] { w.setMetadata("k", "v"); }, ErrorCode::InvalidArgument)
                .contains(QStringLiteral("after data")));
    QVERIFY(errorOf([&] { w.declare("late", DType::F32, {1}); }, ErrorCode::InvalidArgument)
                .contains(QStringLiteral("after data")));
    QVERIFY(errorOf([&] { w.commit(); }, ErrorCode::InvalidArgument)
                .contains(QStringLiteral("8 of 16 bytes")));
    QVERIFY(errorOf([] { SafetensorsWriter("/nonexistent-dir/x.safetensors"); }, ErrorCode::Io)
                .contains(QStringLiteral("/nonexistent-dir/x.safetensors")));
}

void TestSafetensors::bf16IsUpperHalfOfFloat32() {
    // Expected values built from bit patterns, independently of LibTorch's bf16 conversion.
    std::vector<float> source = {1.0f, -2.5f,       3.14159265f, 1e-20f, -65504.0f, 1.17549435e-38f,
                                 0.1f, 123456.789f, INFINITY,    -0.0f};
    std::vector<uint16_t> bits;
    std::vector<float> expected;
    for (float f : source) {
        const uint32_t u = std::bit_cast<uint32_t>(f);
        bits.push_back(static_cast<uint16_t>(u >> 16));
        expected.push_back(std::bit_cast<float>(u & 0xFFFF0000u));
    }
    const std::string path = m_tmp.filePath(QStringLiteral("bf16.safetensors")).toStdString();
    SafetensorsWriter w(path);
    w.declare("h", DType::BF16, {2, 5});
    w.write("h", bits.data(), bits.size() * 2);
    w.commit();
    auto file = SafetensorsFile::open(path);
    const at::Tensor got = file->load("h", at::kFloat).flatten();
    for (size_t i = 0; i < expected.size(); ++i)
        QCOMPARE(std::bit_cast<uint32_t>(got[static_cast<int64_t>(i)].item<float>()),
                 std::bit_cast<uint32_t>(expected[i]));
    QCOMPARE(file->view("h").scalar_type(), at::kBFloat16);
    // The Python reader decodes the same bytes the same way (sum of finite values aside).
    if (!st_test::havePython())
        return;
    const QJsonObject ref = st_test::pythonReference(path)
                                .value(QStringLiteral("tensors"))
                                .toObject()
                                .value(QStringLiteral("h"))
                                .toObject();
    QCOMPARE(ref.value(QStringLiteral("first")).toArray().at(2).toDouble(),
             static_cast<double>(expected[2]));
}

void TestSafetensors::fp8DecodesOrIsRefusedClearly() {
    std::vector<uint8_t> codes(256);
    for (int i = 0; i < 256; ++i)
        codes[i] = static_cast<uint8_t>(i);
    const std::string path = m_tmp.filePath(QStringLiteral("fp8.safetensors")).toStdString();
    SafetensorsWriter w(path);
    w.declare("e4m3", DType::F8_E4M3, {256});
    w.declare("e5m2", DType::F8_E5M2, {16, 16});
    w.write("e4m3", at::tensor(at::ArrayRef<uint8_t>(codes)));
    w.write("e5m2", codes.data(), codes.size());
    w.commit();
    auto file = SafetensorsFile::open(path);
    const at::Tensor e4 = file->load("e4m3", at::kFloat);
    const at::Tensor e5 = file->load("e5m2", at::kFloat).flatten();
    // Hand-computed E4M3 (bias 7, no infinities): 0x38 = 1, 0x7E = 448 (max), 0x01 = 2^-9
    // (smallest subnormal), 0x08 = 2^-6, 0xB8 = -1, 0x7F/0xFF = NaN.
    QCOMPARE(e4[0x38].item<float>(), 1.0f);
    QCOMPARE(e4[0x7E].item<float>(), 448.0f);
    QCOMPARE(e4[0x01].item<float>(), std::ldexp(1.0f, -9));
    QCOMPARE(e4[0x08].item<float>(), std::ldexp(1.0f, -6));
    QCOMPARE(e4[0xB8].item<float>(), -1.0f);
    QCOMPARE(e4[0x44].item<float>(), 3.0f); // 0 1000 100: 2^1 * 1.5
    QVERIFY(std::isnan(e4[0x7F].item<float>()) && std::isnan(e4[0xFF].item<float>()));
    QCOMPARE(at::isnan(e4).sum().item<int64_t>(), int64_t(2));
    // E5M2 is the upper byte of an IEEE half: compare all 256 codes with LibTorch's half.
    std::vector<int16_t> halves(256);
    for (int i = 0; i < 256; ++i)
        halves[i] = static_cast<int16_t>(static_cast<uint16_t>(i << 8));
    const at::Tensor ref = at::tensor(at::ArrayRef<int16_t>(halves)).view(at::kHalf).to(at::kFloat);
    QVERIFY(at::equal(at::isnan(e5), at::isnan(ref)));
    QVERIFY(at::equal(at::nan_to_num(e5, 0.0), at::nan_to_num(ref, 0.0)));
    QCOMPARE(e5[0x3C].item<float>(), 1.0f);
    QCOMPARE(e5[0x7B].item<float>(), 57344.0f);
    // Raw bytes always available; integer conversion refused with a message naming the tensor.
    QVERIFY(at::equal(file->rawView("e4m3"), at::tensor(at::ArrayRef<uint8_t>(codes))));
    QVERIFY(errorOf([&] { file->load("e4m3", at::kInt); }, ErrorCode::Unsupported)
                .contains(QStringLiteral("'e4m3'")));
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 1)
    const QString msg = errorOf([&] { file->view("e4m3"); }, ErrorCode::Unsupported);
    QVERIFY2(msg.contains(QStringLiteral("F8_E4M3")) && msg.contains(QStringLiteral("LibTorch")),
             qPrintable(msg));
#else
    QVERIFY(at::equal(file->view("e4m3").to(at::kFloat).nan_to_num(0.0), e4.nan_to_num(0.0)));
#endif
}
