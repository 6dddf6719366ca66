// core/model config parsing and rotary frequencies, against transformers' documented defaults
// and hand-computed formulas. No weights needed.
#include "mistudio/model_info.h"
#include "mistudio/result.h"
#include "model/blocks.h"
#include "model/config.h"
#include "model/hooks.h"

#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>

using namespace mistudio;
using namespace mistudio::model;
using nlohmann::json;

class TestModelConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gpt2Defaults();
    void gemmaDefaults();
    void gemma2Defaults();
    void llamaHeadDimFallbacks();
    void neoxAndPhiPartialRotary();
    void qwen2SlidingWindowLayers();
    void unknownModelTypeListsSupported();
    void absurdSizesRejected();
    void badValuesRejected();
    void ropeLinearAndDynamic();
    void ropeLlama3();
    void ropeLongrope();
    void hookNames();
};

namespace {
ModelConfig parse(const json& j) {
    return parseModelConfig(j, "test/config.json");
}

template <typename Fn> QString errorOf(Fn&& fn, ErrorCode* code = nullptr) {
    try {
        fn();
    } catch (const Exception& e) {
        if (code)
            *code = e.code();
        return QString::fromStdString(e.what());
    }
    return {};
}
} // namespace

void TestModelConfig::gpt2Defaults() {
    const ModelConfig c = parse({{"model_type", "gpt2"}});
    QCOMPARE(c.nLayers, 12);
    QCOMPARE(c.dModel, 768);
    QCOMPARE(c.dMlp, 4 * 768); // n_inner absent
    QCOMPARE(c.vocabSize, 50257);
    QVERIFY(c.tieEmbeddings); // GPT2Config: tie_word_embeddings default true
    QVERIFY(c.activation == Activation::GeluTanh);
    QVERIFY(c.position == PositionKind::Learned);
    QCOMPARE(c.normEps, 1e-5);
    QCOMPARE(c.attnScale, 1.0 / 8.0);
    const ModelConfig n = parse({{"model_type", "gpt2"},
                                 {"n_embd", 64},
                                 {"n_head", 4},
                                 {"n_inner", nullptr},
                                 {"tie_word_embeddings", false}});
    QCOMPARE(n.dMlp, 256);
    QCOMPARE(n.headDim, 16);
    QVERIFY(!n.tieEmbeddings);
    QVERIFY(parse({{"model_type", "gpt2"}, {"scale_attn_weights", false}}).attnScale == 1.0);
}

void TestModelConfig::gemmaDefaults() {
    // hidden_act "gelu" is ignored; a missing hidden_activation still means the tanh GELU.
    const ModelConfig c = parse({{"model_type", "gemma"},
                                 {"hidden_act", "gelu"},
                                 {"hidden_size", 2048},
                                 {"num_attention_heads", 8},
                                 {"num_key_value_heads", 1}});
    QVERIFY(c.activation == Activation::GeluTanh);
    QCOMPARE(c.headDim, 256); // class default, not 2048 / 8
    QCOMPARE(c.rope.rotaryDim, 256);
    QVERIFY(c.tieEmbeddings);
    QVERIFY(c.scaleEmbeddings);
    QVERIFY(c.norm == NormKind::GemmaRmsNorm);
    QCOMPARE(c.normEps, 1e-6);
    QCOMPARE(parse({{"model_type", "gemma"}, {"head_dim", 32}}).headDim, 32);
}

void TestModelConfig::gemma2Defaults() {
    const ModelConfig c = parse({{"model_type", "gemma2"}});
    QCOMPARE(c.attnScale, 1.0 / 16.0); // query_pre_attn_scalar 256
    QCOMPARE(c.attnSoftcap, 50.0);
    QCOMPARE(c.finalSoftcap, 30.0);
    QVERIFY(c.sandwichNorms);
    QVERIFY(c.layerIsSliding(0) && !c.layerIsSliding(1) && c.layerIsSliding(2));
    QCOMPARE(c.slidingWindow, 4096);
    const ModelConfig nocap = parse({{"model_type", "gemma2"},
                                     {"attn_logit_softcapping", nullptr},
                                     {"final_logit_softcapping", nullptr}});
    QCOMPARE(nocap.attnSoftcap, 0.0); // an explicit null turns capping off, as in transformers
    QCOMPARE(nocap.finalSoftcap, 0.0);
    QCOMPARE(parse({{"model_type", "mistral"}, {"sliding_window", nullptr}}).slidingWindow, 0);
}

void TestModelConfig::llamaHeadDimFallbacks() {
    const ModelConfig c = parse({{"model_type", "llama"},
                                 {"hidden_size", 64},
                                 {"num_attention_heads", 4},
                                 {"intermediate_size", 128}});
    QCOMPARE(c.headDim, 16);
    QCOMPARE(c.nKvHeads, 4); // num_key_value_heads absent: = heads
    QVERIFY(!c.tieEmbeddings);
    QVERIFY(c.hasResidMid());
    const ModelConfig q = parse({{"model_type", "qwen2"},
                                 {"hidden_size", 64},
                                 {"num_attention_heads", 4},
                                 {"num_key_value_heads", 2}});
    QCOMPARE(q.headDim, 16);
    QVERIFY(q.qkvBias && !q.oBias);
    const ModelConfig p = parse({{"model_type", "phi3"}});
    QCOMPARE(p.headDim, 96);
    QCOMPARE(p.normEps, 1e-5);
}

void TestModelConfig::neoxAndPhiPartialRotary() {
    const ModelConfig n = parse({{"model_type", "gpt_neox"},
                                 {"hidden_size", 64},
                                 {"num_attention_heads", 4},
                                 {"rotary_pct", 0.25}});
    QCOMPARE(n.rope.rotaryDim, 4);
    QVERIFY(n.residual == ResidualKind::Parallel);
    QVERIFY(!n.hasResidMid());
    QVERIFY(parse({{"model_type", "gpt_neox"}, {"use_parallel_residual", false}}).residual ==
            ResidualKind::Sequential);
    const ModelConfig p =
        parse({{"model_type", "phi"}, {"hidden_size", 64}, {"num_attention_heads", 4}});
    QCOMPARE(p.rope.rotaryDim, 8); // partial_rotary_factor default 0.5
    QVERIFY(p.residual == ResidualKind::ParallelOneNorm);
    QVERIFY(p.lmHeadBias);
}

void TestModelConfig::qwen2SlidingWindowLayers() {
    QVERIFY(!parse({{"model_type", "qwen2"}}).layerIsSliding(30));
    const ModelConfig c = parse({{"model_type", "qwen2"},
                                 {"use_sliding_window", true},
                                 {"sliding_window", 128},
                                 {"max_window_layers", 2}});
    QVERIFY(!c.layerIsSliding(1) && c.layerIsSliding(2));
    QVERIFY(parse({{"model_type", "mistral"}}).layerIsSliding(0));
}

void TestModelConfig::unknownModelTypeListsSupported() {
    ErrorCode code{};
    const QString msg = errorOf([] { parse({{"model_type", "mamba"}}); }, &code);
    QVERIFY(code == ErrorCode::Unsupported);
    for (const char* t :
         {"gpt2", "gpt_neox", "llama", "mistral", "qwen2", "phi", "phi3", "gemma", "gemma2"})
        QVERIFY2(msg.contains(QString::fromLatin1(t)), qPrintable(msg));
    QVERIFY(msg.contains(QStringLiteral("mamba")));
    QCOMPARE(supportedModelTypeNames().size(), size_t(9));
}

void TestModelConfig::absurdSizesRejected() {
    ErrorCode code{};
    // ~1e15 parameters with every single dimension inside its own bound.
    const QString msg = errorOf(
        [] {
            parse({{"model_type", "llama"},
                   {"hidden_size", 262144},
                   {"num_attention_heads", 1024},
                   {"intermediate_size", 1048576},
                   {"num_hidden_layers", 1000}});
        },
        &code);
    QVERIFY(code == ErrorCode::InvalidFormat);
    QVERIFY2(msg.contains(QStringLiteral("parameters")), qPrintable(msg));
    QVERIFY(!errorOf([] { parse({{"model_type", "gpt2"}, {"n_layer", 1000000000}}); }).isEmpty());
    QVERIFY(!errorOf([] { parse({{"model_type", "llama"}, {"vocab_size", -5}}); }).isEmpty());
}

void TestModelConfig::badValuesRejected() {
    QVERIFY(errorOf([] {
                parse({{"model_type", "llama"}, {"hidden_size", "big"}});
            }).contains(QStringLiteral("hidden_size")));
    QVERIFY(errorOf([] {
                parse({{"model_type", "llama"}, {"num_key_value_heads", 3}});
            }).contains(QStringLiteral("num_key_value_heads")));
    QVERIFY(errorOf([] {
                parse({{"model_type", "llama"}, {"hidden_act", "mish"}});
            }).contains(QStringLiteral("mish")));
    QVERIFY(
        errorOf([] {
            parse({{"model_type", "llama"}, {"rope_scaling", {{"type", "yarn"}, {"factor", 2}}}});
        }).contains(QStringLiteral("yarn")));
    QVERIFY(!errorOf([] { parse(json::array()); }).isEmpty());
    QVERIFY(!errorOf([] { parse({{"hidden_size", 4}}); }).isEmpty());
}

void TestModelConfig::ropeLinearAndDynamic() {
    ModelConfig c = parse({{"model_type", "llama"},
                           {"hidden_size", 64},
                           {"num_attention_heads", 4},
                           {"max_position_embeddings", 256}});
    double s = 0;
    const at::Tensor base = ropeInverseFrequencies(c.rope, 256, 17, &s);
    QCOMPARE(base.size(0), 8);
    for (int i = 0; i < 8; ++i) // 1 / 10000^(2i/16)
        QVERIFY(std::abs(base[i].item<double>() - std::pow(10000.0, -2.0 * i / 16)) < 1e-7);
    c = parse({{"model_type", "llama"},
               {"hidden_size", 64},
               {"num_attention_heads", 4},
               {"rope_scaling", {{"type", "linear"}, {"factor", 4.0}}}});
    QVERIFY(at::allclose(ropeInverseFrequencies(c.rope, 256, 17, &s), base / 4.0));
    c = parse({{"model_type", "llama"},
               {"hidden_size", 64},
               {"num_attention_heads", 4},
               {"rope_scaling", {{"rope_type", "dynamic"}, {"factor", 2.0}}}});
    QVERIFY(at::allclose(ropeInverseFrequencies(c.rope, 256, 200, &s), base)); // within range
    const double newBase = 10000.0 * std::pow(2.0 * 512 / 256 - 1.0, 16.0 / 14.0);
    const at::Tensor dyn = ropeInverseFrequencies(c.rope, 256, 512, &s);
    for (int i = 0; i < 8; ++i)
        QVERIFY(std::abs(dyn[i].item<double>() - std::pow(newBase, -2.0 * i / 16)) < 1e-6);
}

void TestModelConfig::ropeLlama3() {
    // Llama 3.1's values; expected from the published formula evaluated in double.
    const ModelConfig c = parse({{"model_type", "llama"},
                                 {"hidden_size", 4096},
                                 {"num_attention_heads", 32},
                                 {"rope_theta", 500000.0},
                                 {"rope_scaling",
                                  {{"rope_type", "llama3"},
                                   {"factor", 8.0},
                                   {"low_freq_factor", 1.0},
                                   {"high_freq_factor", 4.0},
                                   {"original_max_position_embeddings", 8192}}}});
    double s = 0;
    const at::Tensor inv = ropeInverseFrequencies(c.rope, c.maxPositions, 10, &s);
    for (int i = 0; i < 64; ++i) {
        const double f = std::pow(500000.0, -2.0 * i / 128), wl = 2 * M_PI / f;
        double expect = f;
        if (wl > 8192.0) {
            expect = f / 8.0;
        } else if (wl >= 8192.0 / 4.0) {
            const double smooth = (8192.0 / wl - 1.0) / 3.0;
            expect = (1 - smooth) * f / 8.0 + smooth * f;
        }
        QVERIFY2(std::abs(inv[i].item<double>() - expect) <= 1e-6 * expect + 1e-12,
                 qPrintable(QString::number(i)));
    }
}

void TestModelConfig::ropeLongrope() {
    std::vector<double> shortF(8), longF(8);
    for (int i = 0; i < 8; ++i) {
        shortF[i] = 1.0 + 0.1 * i;
        longF[i] = 2.0 + 0.5 * i;
    }
    const ModelConfig c = parse(
        {{"model_type", "phi3"},
         {"hidden_size", 64},
         {"num_attention_heads", 4},
         {"max_position_embeddings", 1024},
         {"original_max_position_embeddings", 256},
         {"rope_scaling", {{"type", "su"}, {"short_factor", shortF}, {"long_factor", longF}}}});
    QCOMPARE(QString::fromStdString(c.rope.type), QStringLiteral("longrope"));
    const double expectScale = std::sqrt(1.0 + std::log(4.0) / std::log(256.0));
    double s = 0;
    const at::Tensor shortInv = ropeInverseFrequencies(c.rope, 1024, 256, &s);
    QVERIFY(std::abs(s - expectScale) < 1e-12);
    const at::Tensor longInv = ropeInverseFrequencies(c.rope, 1024, 257, &s);
    for (int i = 0; i < 8; ++i) {
        const double f = std::pow(10000.0, -2.0 * i / 16);
        QVERIFY(std::abs(shortInv[i].item<double>() - f / shortF[i]) < 1e-6 * f);
        QVERIFY(std::abs(longInv[i].item<double>() - f / longF[i]) < 1e-6 * f);
    }
    // Wrong list length is refused.
    QVERIFY(!errorOf([] {
                 parse({{"model_type", "phi3"},
                        {"hidden_size", 64},
                        {"num_attention_heads", 4},
                        {"rope_scaling",
                         {{"type", "longrope"}, {"short_factor", {1.0}}, {"long_factor", {1.0}}}}});
             }).isEmpty());
}

void TestModelConfig::hookNames() {
    const auto seq = hookPointNames(2, true);
    QCOMPARE(seq.size(), size_t(1 + 2 * 5 + 1));
    QCOMPARE(QString::fromStdString(seq[3]), QStringLiteral("blocks.0.hook_resid_mid"));
    const auto par = hookPointNames(2, false);
    QCOMPARE(par.size(), size_t(1 + 2 * 4 + 1));
    const ModelConfig neox = parse({{"model_type", "gpt_neox"}, {"num_hidden_layers", 3}});
    QVERIFY(!errorOf([&] { parseHookPoint("blocks.0.hook_resid_mid", neox); }).isEmpty());
    QVERIFY(!errorOf([&] { parseHookPoint("blocks.3.hook_resid_post", neox); }).isEmpty());
    QVERIFY(!errorOf([&] { parseHookPoint("blocks.1.hook_bogus", neox); }).isEmpty());
    // Every listed name parses back to itself, in increasing forward order.
    const ModelConfig llama = parse({{"model_type", "llama"}, {"num_hidden_layers", 2}});
    int64_t last = -1;
    for (const auto& n : hookPointNames(2, true)) {
        const HookPoint p = parseHookPoint(n, llama);
        QCOMPARE(QString::fromStdString(p.name()), QString::fromStdString(n));
        QVERIFY(p.order(2) > last);
        last = p.order(2);
    }
}

QTEST_GUILESS_MAIN(TestModelConfig)
#include "test_model_config.moc"
