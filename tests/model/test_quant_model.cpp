// Quantized execution (--quant) against the fixtures' fp32 transformers goldens: for every mode
// and fixture model, the relative error ‖h_q − h‖/‖h‖ of every hidden_states.N and of the logits
// stays within the mode's bound, and quantized modes really hold fewer weight bytes.
#include "io/safetensors.h"
#include "mistudio/memory_plan.h"
#include "model/quant_accuracy.h"
#include "model/transformer.h"
#include "test_support.h"

#include <QtTest>

using namespace mistudio;

namespace {
// Bounds per mode on hidden states and logits. none/bf16/fp16 run fp32 on the CPU (the
// goldens' own 1e-4 tolerance, relative); int8 per-channel is tight; 4-bit formats looser.
// Measured worst cases over the fixtures (`mistudio-cli bench quant`, random tiny models with
// d=64, which quantize worse than trained ones): int8 0.027, nf4 0.33, int4 0.38.
constexpr double kFloatBound = 1e-4;
constexpr double kInt8Bound = 0.04;
constexpr double kNF4Bound = 0.45;
constexpr double kInt4Bound = 0.50;

const char* const kModels[] = {"gpt2", "gpt_neox", "llama", "mistral", "qwen2",
                               "phi",  "phi3",     "gemma", "gemma2",  "aidreams260k"};

struct ModeBound {
    const char* mode;
    double bound;
};
constexpr ModeBound kModes[] = {{"none", kFloatBound}, {"bf16", kFloatBound}, {"fp16", kFloatBound},
                                {"int8", kInt8Bound},  {"nf4", kNF4Bound},    {"int4", kInt4Bound}};
} // namespace

class TestQuantModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accuracy_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<double>("bound");
        for (const char* m : kModels)
            for (const auto& mb : kModes)
                QTest::newRow(qPrintable(QStringLiteral("%1/%2").arg(m, mb.mode)))
                    << QString(m) << QString(mb.mode) << mb.bound;
    }
    void accuracy() {
        QFETCH(QString, model);
        QFETCH(QString, mode);
        QFETCH(double, bound);
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/" + model);
        const std::string dir = test::fixture("fixtures/models/" + model);
        const auto golden = io::SafetensorsFile::open(dir + "/golden.safetensors");
        std::vector<at::Tensor> hidden;
        for (int i = 0; golden->find("hidden_states." + std::to_string(i)); ++i)
            hidden.push_back(golden->load("hidden_states." + std::to_string(i), at::kFloat));
        const auto acc = model::measureQuantAccuracy(dir, mode.toStdString(),
                                                     golden->load("input_ids", at::kLong), hidden,
                                                     golden->load("logits", at::kFloat));
        for (size_t i = 0; i < acc.hidden.size(); ++i)
            QVERIFY2(acc.hidden[i] <= bound, qPrintable(QStringLiteral("hidden_states.%1: %2 > %3")
                                                            .arg(i)
                                                            .arg(acc.hidden[i])
                                                            .arg(bound)));
        QVERIFY2(acc.logits <= bound,
                 qPrintable(QStringLiteral("logits: %1 > %2").arg(acc.logits).arg(bound)));
        // A quantized run must actually differ from fp32 (the weights were quantized).
        if (mode == "int8" || mode == "nf4" || mode == "int4")
            QVERIFY2(acc.logits > 1e-6, "quantized logits identical to fp32");
    }

    // nf4 with double-quantized (8-bit) block scales: within nf4's bound on every fixture,
    // different from plain nf4 (the scales really went through int8), and smaller.
    void doubleQuantNf4() {
        for (const char* m : kModels) {
            MISTUDIO_REQUIRE_FIXTURE(QStringLiteral("fixtures/models/") + m);
            const std::string dir = test::fixture(QStringLiteral("fixtures/models/") + m);
            const auto golden = io::SafetensorsFile::open(dir + "/golden.safetensors");
            std::vector<at::Tensor> hidden;
            for (int i = 0; golden->find("hidden_states." + std::to_string(i)); ++i)
                hidden.push_back(golden->load("hidden_states." + std::to_string(i), at::kFloat));
            const at::Tensor ids = golden->load("input_ids", at::kLong);
            const at::Tensor logits = golden->load("logits", at::kFloat);
            const auto dq = model::measureQuantAccuracy(dir, "nf4", ids, hidden, logits, true);
            const auto plain = model::measureQuantAccuracy(dir, "nf4", ids, hidden, logits);
            QVERIFY2(dq.maxHidden() <= kNF4Bound && dq.logits <= kNF4Bound,
                     qPrintable(QStringLiteral("%1: hidden %2 logits %3")
                                    .arg(m)
                                    .arg(dq.maxHidden())
                                    .arg(dq.logits)));
            QVERIFY2(dq.logits != plain.logits, m);
            // The plan never under-counts double-quantized weights (it is exact for plain nf4,
            // see predictedWeightBytesMatchRuntime).
            MemoryPlanRequest plan;
            plan.modelFolder = dir;
            plan.quant = "nf4";
            plan.doubleQuant = true;
            const int64_t predicted = predictMemory(plan).weightBytes;
            QVERIFY2(predicted >= dq.weightBytes && predicted <= dq.weightBytes * 1.05,
                     qPrintable(QStringLiteral("%1: plan %2 vs runtime %3")
                                    .arg(m)
                                    .arg(predicted)
                                    .arg(dq.weightBytes)));
            QVERIFY2(dq.weightBytes < plain.weightBytes, qPrintable(QStringLiteral("%1: %2 vs %3")
                                                                        .arg(m)
                                                                        .arg(dq.weightBytes)
                                                                        .arg(plain.weightBytes)));
        }
    }

    void quantizedWeightsAreSmaller() {
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
        const std::string dir = test::fixture("fixtures/models/llama");
        auto bytesOf = [&](const std::string& mode) {
            model::LoadOptions o;
            o.quant = mode;
            auto m = model::Transformer::open(dir, o);
            m->preload(m->config().nLayers, true);
            return m->weightBytes();
        };
        const int64_t fp32 = bytesOf("none"), int8 = bytesOf("int8"), nf4 = bytesOf("nf4");
        QVERIFY2(int8 < fp32 / 3,
                 qPrintable(QStringLiteral("int8 %1 vs fp32 %2").arg(int8).arg(fp32)));
        QVERIFY2(nf4 < int8, qPrintable(QStringLiteral("nf4 %1 vs int8 %2").arg(nf4).arg(int8)));
    }

    // predictMemory's weight bytes (from the headers alone) are what the runtime then holds.
    void predictedWeightBytesMatchRuntime_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("mode");
        for (const char* m : kModels)
            for (const char* q : {"none", "int8", "nf4", "int4"})
                QTest::newRow(qPrintable(QStringLiteral("%1/%2").arg(m, q)))
                    << QString(m) << QString(q);
    }
    void predictedWeightBytesMatchRuntime() {
        QFETCH(QString, model);
        QFETCH(QString, mode);
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/" + model);
        MemoryPlanRequest r;
        r.modelFolder = test::fixture("fixtures/models/" + model);
        r.quant = mode.toStdString();
        model::LoadOptions o;
        o.quant = r.quant;
        auto m = model::Transformer::open(r.modelFolder, o);
        m->preload(m->config().nLayers, true);
        QCOMPARE(predictMemory(r).weightBytes, m->weightBytes());
    }

    void cpuHalfFallsBackWithReason() {
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
        model::LoadOptions o;
        o.quant = "bf16";
        auto m = model::Transformer::open(test::fixture("fixtures/models/llama"), o);
        QVERIFY(m->quantPlan().fallback);
        QVERIFY(m->dtype() == at::kFloat);
        QVERIFY(!m->quantPlan().reason.empty());
    }

    void unknownModeIsAClearError() {
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
        model::LoadOptions o;
        o.quant = "int3";
        QVERIFY_THROWS_EXCEPTION(
            std::exception, model::Transformer::open(test::fixture("fixtures/models/llama"), o));
    }
};

QTEST_GUILESS_MAIN(TestQuantModel)
#include "test_quant_model.moc"
