// Memory prediction from headers: layer truncation, formats, the unembedding, bad input.
#include <QFile>
#include <QtTest>

#include "mistudio/memory_plan.h"
#include "mistudio/result.h"
#include "test_support.h"

using namespace mistudio;

namespace {
/// Bytes of the data section of a single-file safetensors model (file size − 8 − header).
int64_t dataBytes(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray head = f.read(8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | static_cast<uint8_t>(head[i]);
    return f.size() - 8 - static_cast<int64_t>(n);
}
}  // namespace

class TestMemoryPlan : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fullModelInFp32IsTheFileData();
    void earlyExitLoadsFewerLayers();
    void formatsOrderBySize();
    void badInputIsRefused();
};

void TestMemoryPlan::fullModelInFp32IsTheFileData() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
    MemoryPlanRequest r;
    r.modelFolder = test::fixture("fixtures/models/llama");
    const MemoryPrediction p = predictMemory(r);
    // All fixture weights are F32: fp32 compute keeps exactly the bytes on disk.
    QCOMPARE(p.weightBytes, dataBytes(QString::fromStdString(r.modelFolder + "/model.safetensors")));
    QCOMPARE(p.layersLoaded, int64_t(3));
    QVERIFY(p.needsUnembedding);
    QCOMPARE(p.totalBytes, p.weightBytes + p.activationBytes + p.workspaceBytes);
}

void TestMemoryPlan::earlyExitLoadsFewerLayers() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
    MemoryPlanRequest r;
    r.modelFolder = test::fixture("fixtures/models/llama");
    r.upToHook = "blocks.0.hook_resid_post";
    const MemoryPrediction one = predictMemory(r);
    r.upToHook = "blocks.1.hook_resid_post";
    const MemoryPrediction two = predictMemory(r);
    r.upToHook = "hook_embed";
    const MemoryPrediction none = predictMemory(r);
    QCOMPARE(one.layersLoaded, int64_t(1));
    QCOMPARE(none.layersLoaded, int64_t(0));
    // Layers are identical in size: each one adds the same bytes.
    QCOMPARE(two.weightBytes - one.weightBytes, one.weightBytes - none.weightBytes);
    QVERIFY(!one.needsUnembedding);
    // hook_embed loads only the embedding: 512 × 64 fp32.
    QCOMPARE(none.weightBytes, int64_t(512 * 64 * 4));
}

void TestMemoryPlan::formatsOrderBySize() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/gpt2");
    MemoryPlanRequest r;
    r.modelFolder = test::fixture("fixtures/models/gpt2");
    r.upToHook = "blocks.1.hook_resid_post";
    int64_t previous = INT64_MAX;
    for (const char* q : {"none", "bf16", "int8", "int4", "nf4"}) {
        r.quant = q;
        const int64_t w = predictMemory(r).weightBytes;
        QVERIFY2(w < previous || std::string(q) == "nf4", q);  // nf4 (blocks of 64) ≈ int4
        previous = std::min(previous, w);
    }
}

void TestMemoryPlan::badInputIsRefused() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
    MemoryPlanRequest r;
    r.modelFolder = test::fixture("fixtures/models/llama");
    r.upToHook = "blocks.9.hook_resid_post";  // only 3 layers
    QVERIFY_THROWS_EXCEPTION(Exception, predictMemory(r));
    r.upToHook = "blocks.1.hook_resid_post";
    r.quant = "int3";
    QVERIFY_THROWS_EXCEPTION(Exception, predictMemory(r));
}

QTEST_GUILESS_MAIN(TestMemoryPlan)
#include "test_memory_plan.moc"
