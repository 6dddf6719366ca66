// SAE training end to end on CPU: ground-truth dictionary recovery per architecture, exact resume,
// non-finite input, SAELens save/load round trip and cfg variants from real releases.
#include "io/safetensors.h"
#include "mistudio/engine.h"
#include "mistudio/result.h"
#include "sae/config_json.h"
#include "sae/saelens.h"
#include "sae/sweep.h"

#include <ATen/ATen.h>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeTrain : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recoversDictionary_data();
    void recoversDictionary();
    void resumeIsExact();
    void nonFiniteActivationsStopNamingTheStep();
    void saeLensRoundTrip();
    void loadsSaeLensVariants();
};

namespace {

// Runs a sweep as an engine job; returns the job's result.
FinishedEvent runSweep(SweepTrainer& sweep, bool resume, JobOptions options = {}) {
    Engine engine;
    JobHandle job =
        engine.submit([&](JobContext& ctx) { sweep.run(ctx, resume); }, std::move(options));
    return job.wait();
}

// Share of true directions whose best decoder row has cosine >= 0.9.
double recovered(const at::Tensor& truth, const at::Tensor& wDec) {
    at::Tensor rows = wDec / wDec.norm(2, {1}, true).clamp_min(1e-12);
    at::Tensor cos = at::matmul(truth, rows.t()); // [n_true, d_sae]
    return std::get<0>(cos.max(1)).ge(0.9).to(at::kDouble).mean().item<double>();
}

SaeConfig config(const nlohmann::json& j, int64_t dIn) {
    return parseSaeConfig(j, dIn, "test");
}

} // namespace

void TestSaeTrain::recoversDictionary_data() {
    QTest::addColumn<QString>("settings");
    // A short run (3000 steps of 256 tokens) needs a larger LR than the recipes' billion-token
    // defaults; the sparsity settings match the true L0 of about 3.
    QTest::newRow("batchtopk") << R"({"architecture":"batchtopk","k":4,"lr":0.003})";
    QTest::newRow("topk") << R"({"architecture":"topk","k":3,"lr":0.003})";
    QTest::newRow("jumprelu")
        << R"({"architecture":"jumprelu","lr":0.003,"target_l0":3,"l0_coefficient":0.1,
              "threshold_init":0.1,"bandwidth":0.05})";
    QTest::newRow("relu") << R"({"architecture":"relu","lr":0.003,"l1_coefficient":1.0})";
}

void TestSaeTrain::recoversDictionary() {
    QFETCH(QString, settings);
    SyntheticSource::Options o;
    o.dIn = 32;
    o.nFeatures = 48;
    o.expectedL0 = 3;
    o.offsetNorm = 1.0;
    o.seed = 5;
    SyntheticSource source(o);
    nlohmann::json j = nlohmann::json::parse(settings.toStdString());
    j["d_sae"] = 96;
    j["batch_size"] = 256;
    SweepSettings s;
    s.saes = {config(j, o.dIn)};
    s.tokens = 3000 * 256;
    s.seed = 1;
    s.logEvery = 0;
    SweepTrainer sweep(s, source);
    const FinishedEvent fin = runSweep(sweep, false);
    QVERIFY2(fin.ok, fin.error.message.c_str());
    const SaeModel model = sweep.model(0);
    const double share = recovered(source.dictionary(), model.wDec);
    // Evaluate on fresh tokens: the code must also reconstruct.
    at::Tensor x = source.next(4096);
    auto [codes, xhat] = model.forward(x);
    const double ev =
        1 - (x - xhat).pow(2).sum().item<double>() / (x - x.mean(0)).pow(2).sum().item<double>();
    const double l0 = (codes > 0).sum(1).to(at::kDouble).mean().item<double>();
    qInfo("recovered %.3f of the true directions, EV %.3f, L0 %.2f", share, ev, l0);
    QVERIFY2(share >= 0.9, qPrintable(QString::number(share)));
}

void TestSaeTrain::resumeIsExact() {
    // All four architectures in one sweep over a shuffled in-memory source: weights, Adam moments,
    // dead counters (AuxK is active: the dead window scales to 1/5 of the run), the BatchTopK
    // threshold EMA (starts at step 100), RNG and data position must all survive the restart.
    at::manual_seed(3);
    const at::Tensor data = at::randn({1000, 16}).relu_() + at::randn({16});
    std::vector<SaeConfig> saes;
    for (const char* a : {"batchtopk", "topk", "jumprelu", "relu"}) {
        nlohmann::json j = {{"architecture", a}, {"d_sae", 48}, {"batch_size", 64}, {"name", a}};
        saes.push_back(config(j, 16));
    }
    QTemporaryDir straightDir, resumedDir;
    auto settings = [&](const QTemporaryDir& dir) {
        SweepSettings s;
        s.saes = saes;
        s.tokens = 200 * 64;
        s.seed = 9;
        s.logEvery = 50;
        s.checkpointMinutes = 0;
        s.normalizationTokens = 256;
        s.checkpointDir = dir.path().toStdString();
        return s;
    };
    TensorSource straightSource(data, true, 42);
    SweepTrainer straight(settings(straightDir), straightSource);
    QVERIFY(runSweep(straight, false).ok);

    {
        TensorSource source(data, true, 42);
        SweepTrainer first(settings(resumedDir), source);
        JobHandle* handle = nullptr;
        JobOptions options;
        options.onEvent = [&](uint64_t, const JobEvent& e) {
            if (auto* m = std::get_if<MetricEvent>(&e); m && m->step == 99 && handle)
                handle->cancel(); // delivered on the worker thread, before step 100 starts
        };
        Engine engine;
        JobHandle job = engine.submit([&](JobContext& ctx) { first.run(ctx, false); }, options);
        handle = &job;
        const FinishedEvent fin = job.wait();
        QVERIFY(!fin.ok);
        QCOMPARE(fin.error.code, ErrorCode::Cancelled);
        QCOMPARE(first.stepsDone(), int64_t(100));
    }
    TensorSource source(data, true, 42);
    SweepTrainer resumed(settings(resumedDir), source);
    const FinishedEvent fin = runSweep(resumed, true);
    QVERIFY2(fin.ok, fin.error.message.c_str());
    QCOMPARE(resumed.stepsDone(), int64_t(200));
    for (size_t i = 0; i < saes.size(); ++i) {
        const SaeModel a = straight.model(i), b = resumed.model(i);
        QVERIFY2(at::equal(a.encT, b.encT) && at::equal(a.wDec, b.wDec) &&
                     at::equal(a.bEnc, b.bEnc) && at::equal(a.bDec, b.bDec),
                 saes[i].name.c_str());
        if (a.threshold.defined())
            QVERIFY(at::equal(a.threshold, b.threshold));
        QCOMPARE(straight.scale(i), resumed.scale(i));
    }
}

void TestSaeTrain::nonFiniteActivationsStopNamingTheStep() {
    at::Tensor data = at::randn({1000, 8});
    data[64 * 3 + 5][2] = std::numeric_limits<float>::quiet_NaN();
    TensorSource source(data, false, 0);
    SweepSettings s;
    s.saes = {config({{"architecture", "topk"}, {"k", 2}, {"d_sae", 16}, {"batch_size", 64}}, 8)};
    s.tokens = 64 * 10;
    s.normalizationTokens = 64; // the statistics batch is clean
    SweepTrainer sweep(s, source);
    const FinishedEvent fin = runSweep(sweep, false);
    QVERIFY(!fin.ok);
    QCOMPARE(fin.error.code, ErrorCode::NumericalError);
    QVERIFY2(fin.error.message.find("step 3") != std::string::npos, fin.error.message.c_str());
}

void TestSaeTrain::saeLensRoundTrip() {
    for (InferenceKind kind : {InferenceKind::TopK, InferenceKind::JumpReLU, InferenceKind::ReLU}) {
        at::manual_seed(4);
        SaeModel m;
        m.kind = kind;
        m.k = 5;
        m.encT = at::randn({40, 12});
        m.bEnc = at::randn({40}) * 0.1;
        m.wDec = at::randn({40, 12});
        m.bDec = at::randn({12});
        if (kind == InferenceKind::JumpReLU)
            m.threshold = at::rand({40});
        QTemporaryDir dir;
        std::vector<double> density(40, -3.5);
        saveSaeLens(dir.path().toStdString(), m,
                    {"gpt2", "blocks.6.hook_resid_post", 1024, "acts.safetensors", {}}, density);
        const SaeModel back = loadSaeLens(dir.path().toStdString());
        QCOMPARE(int(back.kind), int(kind));
        QVERIFY(at::equal(back.encT, m.encT) && at::equal(back.wDec, m.wDec));
        QVERIFY(at::equal(back.bEnc, m.bEnc) && at::equal(back.bDec, m.bDec));
        if (m.threshold.defined())
            QVERIFY(at::equal(back.threshold, m.threshold));
        QCOMPARE(back.cfg["hook_name"].get<std::string>(), std::string("blocks.6.hook_resid_post"));
        QCOMPARE(back.cfg["hook_layer"].get<int>(), 6);
        QCOMPARE(back.cfg["normalize_activations"].get<std::string>(), std::string("none"));
        QCOMPARE(back.cfg["d_sae"].get<int>(), 40);
        // SAELens stores W_enc as [d_in, d_sae].
        auto f = io::SafetensorsFile::open((dir.path() + "/sae_weights.safetensors").toStdString());
        QCOMPARE(f->find("W_enc")->shape, (std::vector<int64_t>{12, 40}));
        QCOMPARE(*loadSparsity(dir.path().toStdString()), density);
    }
}

void TestSaeTrain::loadsSaeLensVariants() {
    at::manual_seed(6);
    const int64_t dIn = 10, dSae = 30;
    at::Tensor wEnc = at::randn({dIn, dSae}), bEnc = at::randn({dSae}) * 0.1;
    at::Tensor wDec = at::randn({dSae, dIn}), bDec = at::randn({dIn});
    at::Tensor theta = at::rand({dSae});
    at::Tensor x = at::randn({17, dIn});
    auto write = [&](const QTemporaryDir& dir, const nlohmann::json& cfg, bool withTheta) {
        std::vector<std::pair<std::string, at::Tensor>> w = {
            {"W_enc", wEnc}, {"b_enc", bEnc}, {"W_dec", wDec}, {"b_dec", bDec}};
        if (withTheta)
            w.emplace_back("threshold", theta);
        io::saveTensors((dir.path() + "/sae_weights.safetensors").toStdString(), w);
        std::ofstream((dir.path() + "/cfg.json").toStdString()) << cfg.dump();
    };
    // Gemma Scope through SAELens: jumprelu, pre = x W_enc + b_enc (no b_dec subtraction).
    {
        QTemporaryDir dir;
        write(dir,
              {{"architecture", "jumprelu"},
               {"d_in", dIn},
               {"d_sae", dSae},
               {"apply_b_dec_to_input", false},
               {"normalize_activations", "none"},
               {"hook_name", "blocks.12.hook_resid_post"}},
              true);
        const SaeModel m = loadSaeLens(dir.path().toStdString());
        at::Tensor pre = at::matmul(x, wEnc) + bEnc;
        at::Tensor f = pre * (pre > theta).to(at::kFloat);
        at::Tensor expected = at::matmul(f, wDec) + bDec;
        QVERIFY((m.forward(x).second - expected).abs().max().item<double>() < 1e-4);
    }
    // sae_lens 3-5 TopK: architecture "standard", activation_fn_str "topk", k in kwargs.
    {
        QTemporaryDir dir;
        write(dir,
              {{"architecture", "standard"},
               {"d_in", dIn},
               {"d_sae", dSae},
               {"activation_fn_str", "topk"},
               {"activation_fn_kwargs", {{"k", 4}}},
               {"apply_b_dec_to_input", true}},
              false);
        const SaeModel m = loadSaeLens(dir.path().toStdString());
        QCOMPARE(m.k, int64_t(4));
        at::Tensor pre = (at::matmul(x - bDec, wEnc) + bEnc).relu();
        auto [v, i] = pre.topk(4, 1);
        at::Tensor f = at::zeros_like(pre).scatter(1, i, v);
        at::Tensor expected = at::matmul(f, wDec) + bDec;
        QVERIFY((m.forward(x).second - expected).abs().max().item<double>() < 1e-4);
    }
    // sae_lens 6 TopK: architecture "topk", k at the top level.
    {
        QTemporaryDir dir;
        write(dir,
              {{"architecture", "topk"},
               {"d_in", dIn},
               {"d_sae", dSae},
               {"k", 7},
               {"metadata", {{"hook_name", "blocks.0.hook_resid_pre"}}}},
              false);
        QCOMPARE(loadSaeLens(dir.path().toStdString()).k, int64_t(7));
    }
    // Unfolded normalisation cannot be applied without the factor: a clear refusal.
    {
        QTemporaryDir dir;
        write(dir,
              {{"architecture", "standard"}, {"normalize_activations", "expected_average_only_in"}},
              false);
        try {
            loadSaeLens(dir.path().toStdString());
            QFAIL("expected an error");
        } catch (const Exception& e) {
            QCOMPARE(e.code(), ErrorCode::Unsupported);
            QVERIFY(QString(e.what()).contains("expected_average_only_in"));
        }
    }
}

QTEST_GUILESS_MAIN(TestSaeTrain)
#include "test_sae_train.moc"
