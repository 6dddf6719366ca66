// core/model runtime against the fixtures' goldens (computed by transformers, fp32 eager):
// every hidden_states.N and logits within 1e-4 * max(1, max|ref|), hook semantics, early exit,
// replacement, padding, loss and greedy generation.
#include "io/safetensors.h"
#include "mistudio/environment.h"
#include "mistudio/result.h"
#include "model/transformer.h"
#include "test_support.h"

#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace mistudio;
using namespace mistudio::model;

class TestModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void goldens_data();
    void goldens();
    void residPostIsBlockOutput_data();
    void residPostIsBlockOutput();
    void earlyExitMatchesFullForward();
    void replaceAndAblate();
    void padding_data();
    void padding();
    void nextTokenLossMatchesLogSoftmax();
    void greedyGenerationMatchesGolden();
    void badInputsGiveClearErrors();
};

namespace {

const char* const kModels[] = {"gpt2", "gpt_neox", "llama", "mistral", "qwen2",
                               "phi",  "phi3",     "gemma", "gemma2",  "aidreams260k"};

std::string modelDir(const QString& name) {
    return test::fixture(QStringLiteral("fixtures/models/") + name);
}

std::shared_ptr<io::SafetensorsFile> golden(const QString& name) {
    return io::SafetensorsFile::open(modelDir(name) + "/golden.safetensors");
}

/// max|a - b| <= 1e-4 * max(1, max|ref|), the tolerance of the fixtures' README.
void expectClose(const at::Tensor& got, const at::Tensor& ref, const QString& what) {
    QVERIFY2(got.defined(), qPrintable(what + ": missing"));
    QCOMPARE(got.sizes().vec(), ref.sizes().vec());
    const double diff = (got.to(at::kFloat) - ref).abs().max().item<double>();
    const double tol = 1e-4 * std::max(1.0, ref.abs().max().item<double>());
    QVERIFY2(diff <= tol,
             qPrintable(QStringLiteral("%1: max|diff| %2 > %3").arg(what).arg(diff).arg(tol)));
}

template <typename Fn> QString errorOf(Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace

void TestModel::goldens_data() {
    QTest::addColumn<QString>("name");
    for (const char* m : kModels)
        QTest::newRow(m) << QString::fromLatin1(m);
}

void TestModel::goldens() {
    QFETCH(QString, name);
    MISTUDIO_REQUIRE_FIXTURE(QStringLiteral("fixtures/models/") + name + "/golden.safetensors");
    auto g = golden(name);
    auto model = Transformer::open(modelDir(name));
    const at::Tensor ids = g->load("input_ids", at::kLong);
    ForwardRequest req;
    req.hiddenStates = true;
    const ForwardResult out = model->forward(ids, req);
    const int64_t L = model->config().nLayers;
    QCOMPARE(int64_t(out.hiddenStates.size()), L + 1);
    for (int64_t i = 0; i <= L; ++i)
        expectClose(out.hiddenStates[i], g->load("hidden_states." + std::to_string(i), at::kFloat),
                    QStringLiteral("hidden_states.%1").arg(i));
    expectClose(out.logits, g->load("logits", at::kFloat), QStringLiteral("logits"));
}

void TestModel::residPostIsBlockOutput_data() {
    goldens_data();
}

void TestModel::residPostIsBlockOutput() {
    QFETCH(QString, name);
    MISTUDIO_REQUIRE_FIXTURE(QStringLiteral("fixtures/models/") + name + "/golden.safetensors");
    auto g = golden(name);
    auto model = Transformer::open(modelDir(name));
    const int64_t L = model->config().nLayers;
    ForwardRequest req;
    for (int64_t l = 0; l < L; ++l)
        req.capture.push_back("blocks." + std::to_string(l) + ".hook_resid_post");
    req.capture.push_back("blocks.0.hook_resid_pre");
    req.capture.push_back("ln_final.hook_normalized");
    const ForwardResult out = model->forward(g->load("input_ids", at::kLong), req);
    for (int64_t l = 0; l < L; ++l) {
        const std::string hook = "blocks." + std::to_string(l) + ".hook_resid_post";
        expectClose(out.activations.at(hook),
                    g->load("block_output." + std::to_string(l), at::kFloat),
                    QString::fromStdString(hook));
    }
    expectClose(out.activations.at("blocks.0.hook_resid_pre"),
                g->load("hidden_states.0", at::kFloat), QStringLiteral("resid_pre.0"));
    expectClose(out.activations.at("ln_final.hook_normalized"),
                g->load("hidden_states." + std::to_string(L), at::kFloat),
                QStringLiteral("ln_final"));
}

void TestModel::earlyExitMatchesFullForward() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama/golden.safetensors");
    const at::Tensor ids = golden("llama")->load("input_ids", at::kLong);
    auto full = Transformer::open(modelDir("llama"));
    ForwardRequest all;
    all.capture = {"blocks.1.hook_attn_out",  "blocks.1.hook_resid_mid",
                   "blocks.1.hook_mlp_out",   "blocks.0.hook_resid_post",
                   "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"};
    const ForwardResult ref = full->forward(ids, all);
    QCOMPARE(ref.layersRun, 3);
    // The parts add up: resid_mid = resid_pre + attn_out, resid_post = resid_mid + mlp_out.
    const auto& r = ref.activations;
    QVERIFY(at::allclose(r.at("blocks.1.hook_resid_mid"),
                         r.at("blocks.1.hook_resid_pre") + r.at("blocks.1.hook_attn_out")));
    QVERIFY(at::allclose(r.at("blocks.1.hook_resid_post"),
                         r.at("blocks.1.hook_resid_mid") + r.at("blocks.1.hook_mlp_out")));
    QVERIFY(at::equal(r.at("blocks.0.hook_resid_post"), r.at("blocks.1.hook_resid_pre")));

    auto lazy = Transformer::open(modelDir("llama"));
    QCOMPARE(lazy->layersLoaded(), 0);
    ForwardRequest early;
    early.capture = {"blocks.1.hook_attn_out"};
    early.logits = false;
    ForwardResult e = lazy->forward(ids, early);
    QCOMPARE(e.layersRun, 2);
    QCOMPARE(lazy->layersLoaded(), 2); // block 2 never read
    QVERIFY(!e.logits.defined());
    QVERIFY(at::equal(e.activations.at("blocks.1.hook_attn_out"), r.at("blocks.1.hook_attn_out")));
    early.capture = {"blocks.0.hook_resid_post", "blocks.1.hook_resid_pre"};
    e = lazy->forward(ids, early);
    QCOMPARE(e.layersRun, 1);
    QVERIFY(
        at::equal(e.activations.at("blocks.1.hook_resid_pre"), r.at("blocks.1.hook_resid_pre")));
}

void TestModel::replaceAndAblate() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/gemma2/golden.safetensors");
    auto g = golden("gemma2");
    const at::Tensor ids = g->load("input_ids", at::kLong);
    auto model = Transformer::open(modelDir("gemma2"));
    const std::string hook = "blocks.1.hook_resid_post";
    ForwardRequest cap;
    cap.capture = {hook};
    const ForwardResult base = model->forward(ids, cap);
    expectClose(base.logits, g->load("logits", at::kFloat), QStringLiteral("logits"));

    ForwardRequest same;
    same.replace[hook] = base.activations.at(hook).clone();
    QVERIFY(at::equal(model->forward(ids, same).logits, base.logits));

    int calls = 0;
    std::string seen;
    ForwardRequest zero;
    zero.edit["blocks.1.hook_mlp_out"] = [&](const std::string& name,
                                             const at::Tensor& x) -> at::Tensor {
        ++calls;
        seen = name;
        return at::zeros_like(x);
    };
    zero.capture = {"blocks.1.hook_mlp_out", "blocks.1.hook_resid_mid", hook};
    const ForwardResult ablated = model->forward(ids, zero);
    QCOMPARE(calls, 1);
    QCOMPARE(QString::fromStdString(seen), QStringLiteral("blocks.1.hook_mlp_out"));
    QVERIFY(ablated.activations.at("blocks.1.hook_mlp_out").abs().max().item<double>() == 0);
    QVERIFY(
        at::equal(ablated.activations.at(hook), ablated.activations.at("blocks.1.hook_resid_mid")));
    QVERIFY((ablated.logits - base.logits).abs().max().item<double>() > 1e-3);
}

void TestModel::padding_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("left");
    for (const char* m : {"llama", "gpt2", "gemma2", "gpt_neox", "phi"}) {
        QTest::newRow((std::string(m) + "-left").c_str()) << QString::fromLatin1(m) << true;
        QTest::newRow((std::string(m) + "-right").c_str()) << QString::fromLatin1(m) << false;
    }
}

void TestModel::padding() {
    QFETCH(QString, name);
    QFETCH(bool, left);
    MISTUDIO_REQUIRE_FIXTURE(QStringLiteral("fixtures/models/") + name + "/golden.safetensors");
    auto g = golden(name);
    const at::Tensor ids = g->load("input_ids", at::kLong); // [2, 17]
    auto model = Transformer::open(modelDir(name));
    // Row 1 keeps its first 11 tokens, padded to 17 with 6 pad positions (id 0).
    const int64_t n = 11, T = ids.size(1), pad = T - n;
    at::Tensor batch = ids.clone();
    at::Tensor mask = at::ones_like(ids);
    const at::Tensor real = ids[1].narrow(0, 0, n);
    batch[1].zero_();
    mask[1].zero_();
    batch[1].narrow(0, left ? pad : 0, n).copy_(real);
    mask[1].narrow(0, left ? pad : 0, n).fill_(1);
    ForwardRequest req;
    req.attentionMask = mask;
    req.capture = {"blocks.1.hook_resid_post"};
    const ForwardResult padded = model->forward(batch, req);
    const ForwardResult alone = model->forward(real.unsqueeze(0), {});
    const ForwardResult full = model->forward(ids, {});
    expectClose(padded.logits[1].narrow(0, left ? pad : 0, n), alone.logits[0],
                QStringLiteral("padded row"));
    expectClose(padded.logits[0], full.logits[0], QStringLiteral("unpadded row"));
    QVERIFY(at::isfinite(padded.activations.at("blocks.1.hook_resid_post")).all().item<bool>());
}

void TestModel::nextTokenLossMatchesLogSoftmax() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/golden.safetensors");
    auto g = golden("aidreams260k");
    const at::Tensor ids = g->load("input_ids", at::kLong);
    const at::Tensor logits = g->load("logits", at::kFloat);
    const at::Tensor loss = nextTokenLoss(logits, ids);
    QCOMPARE(loss.sizes().vec(), (std::vector<int64_t>{1, ids.size(1) - 1}));
    const at::Tensor lp = at::log_softmax(logits.to(at::kDouble), -1);
    for (int64_t t = 0; t + 1 < ids.size(1); t += 7) {
        const double expect = -lp[0][t][ids[0][t + 1].item<int64_t>()].item<double>();
        QVERIFY(std::abs(loss[0][t].item<double>() - expect) < 1e-5);
    }
    at::Tensor mask = at::ones_like(ids);
    mask[0][5] = 0;
    const at::Tensor masked = nextTokenLoss(logits, ids, mask);
    QCOMPARE(masked[0][4].item<double>(), 0.0);
    QCOMPARE(masked[0][5].item<double>(), 0.0);
    QCOMPARE(masked[0][6].item<double>(), loss[0][6].item<double>());
    // Every position, against the double-precision reference.
    const at::Tensor targets = ids.narrow(1, 1, ids.size(1) - 1).unsqueeze(-1);
    const at::Tensor ref = -lp.narrow(1, 0, ids.size(1) - 1).gather(-1, targets).squeeze(-1);
    QVERIFY((loss.to(at::kDouble) - ref).abs().max().item<double>() < 1e-5);
}

void TestModel::greedyGenerationMatchesGolden() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/golden.json");
    std::ifstream in(modelDir("aidreams260k") + "/golden.json");
    const nlohmann::json j = nlohmann::json::parse(in);
    const auto prompt = j["greedy"]["prompt_ids"].get<std::vector<int64_t>>();
    const auto expected = j["greedy"]["new_ids"].get<std::vector<int64_t>>();
    auto model = Transformer::open(modelDir("aidreams260k"));
    const auto got = generateGreedy(*model, prompt, static_cast<int64_t>(expected.size()));
    QCOMPARE(got, expected);
}

void TestModel::badInputsGiveClearErrors() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama/golden.safetensors");
    auto model = Transformer::open(modelDir("llama"));
    const at::Tensor ids = at::zeros({1, 4}, at::kLong);
    ForwardRequest bad;
    bad.capture = {"blocks.9.hook_resid_post"};
    QVERIFY(errorOf([&] { model->forward(ids, bad); }).contains(QStringLiteral("blocks.9")));
    ForwardRequest wrong;
    wrong.replace["blocks.0.hook_resid_post"] = at::zeros({1, 3, 64});
    QVERIFY(errorOf([&] { model->forward(ids, wrong); }).contains(QStringLiteral("shape")));
    QVERIFY(errorOf([&] {
                model->forward(at::full({1, 2}, 512, at::kLong));
            }).contains(QStringLiteral("512")));
    QVERIFY(errorOf([&] {
                model->forward(at::zeros({4}, at::kLong));
            }).contains(QStringLiteral("[B, T]")));
    if (!describeEnvironment().cudaAvailable)
        QVERIFY(errorOf([&] {
                    Transformer::open(modelDir("llama"), {"cuda", "float32"});
                }).contains(QStringLiteral("CUDA")));
    QVERIFY(errorOf([&] {
                Transformer::open(modelDir("llama"), {"cpu", "float16"});
            }).contains(QStringLiteral("float16")));
    // Weights that do not match config.json: name the tensor.
    QTemporaryDir dir;
    std::ifstream cfgIn(modelDir("llama") + "/config.json");
    nlohmann::json cfg = nlohmann::json::parse(cfgIn);
    cfg["intermediate_size"] = 96;
    std::ofstream(dir.filePath("config.json").toStdString()) << cfg.dump();
    QFile::link(QString::fromStdString(modelDir("llama") + "/model.safetensors"),
                dir.filePath("model.safetensors"));
    auto mismatched = Transformer::open(dir.path().toStdString());
    const QString msg = errorOf([&] { mismatched->forward(ids); });
    QVERIFY2(msg.contains(QStringLiteral("gate_proj")) && msg.contains(QStringLiteral("96")),
             qPrintable(msg));
}

QTEST_GUILESS_MAIN(TestModel)
#include "test_model.moc"
