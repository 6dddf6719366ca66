// Issue 8 acceptance on aidreams260k (label `slow`): a TopK SAE trained on blocks.1.hook_resid_post
// activations of the fixture corpus, evaluated on held-out windows with the SAE spliced into the
// model. Prints EV, L0, dead fraction and delta CE; asserts EV >= 0.8 at L0 <= 64, dead <= 5%.
#include "mistudio/engine.h"
#include "model/transformer.h"
#include "sae/config_json.h"
#include "sae/eval_model.h"
#include "sae/sweep.h"
#include "test_support.h"

#include <ATen/Parallel.h>
#include <QtTest>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeAidreams : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void trainedSaeReconstructsAndKeepsTheLoss();
};

namespace {

// Activations of the included positions of `windows` at `hook`, [N, d] float32 CPU.
at::Tensor collect(model::Transformer& m, const std::string& hook,
                   const std::vector<data::TokenWindow>& windows) {
    std::vector<at::Tensor> rows;
    for (const auto& w : windows) {
        const auto T = static_cast<int64_t>(w.tokens.size());
        at::Tensor ids = at::empty({1, T}, at::kLong);
        std::vector<int64_t> keep;
        for (int64_t t = 0; t < T; ++t) {
            ids[0][t] = w.tokens[t];
            if (w.include[t])
                keep.push_back(t);
        }
        model::ForwardRequest req;
        req.capture = {hook};
        req.logits = false;
        const at::Tensor a = m.forward(ids, req).activations.at(hook)[0];
        rows.push_back(a.index_select(0, at::tensor(keep, at::kLong)));
    }
    return at::cat(rows, 0).contiguous();
}

} // namespace

void TestSaeAidreams::trainedSaeReconstructsAndKeepsTheLoss() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/corpus.jsonl");
    const std::string folder = test::fixture("fixtures/models/aidreams260k");
    const std::string hook = "blocks.1.hook_resid_post";
    auto m = model::Transformer::open(folder);
    data::DatasetSpec spec;
    spec.path = folder + "/corpus.jsonl";
    auto windows = evalWindows(folder, spec, 210000, 128); // of the corpus's 276k tokens
    QVERIFY(windows.size() > 40);
    const size_t held = 64; // the last windows are held out for evaluation
    const std::vector<data::TokenWindow> evalSet(windows.end() - static_cast<long>(held),
                                                 windows.end());
    windows.resize(windows.size() - held);
    const at::Tensor acts = collect(*m, hook, windows);

    SweepSettings s;
    s.saes.push_back(parseSaeConfig(
        {{"architecture", "topk"}, {"d_sae", 512}, {"k", 16}, {"batch_size", 1024}}, 64, "test"));
    s.tokens = 3 * acts.size(0);
    s.seed = 3;
    s.logEvery = 1000000;
    TensorSource source(acts, true, 7);
    SweepTrainer sweep(s, source);
    Engine engine;
    JobHandle job = engine.submit([&](JobContext& ctx) { sweep.run(ctx, false); });
    QVERIFY(job.wait().ok);

    const EvalMetrics e = evaluateSpliced(sweep.model(0), *m, hook, evalSet);
    qInfo("aidreams260k %s: %lld training tokens, %lld eval tokens: EV %.4f L0 %.2f dead %.4f "
          "dCE %.4f nats (CE clean %.4f, spliced %.4f, zero %.4f, recovered %.4f, KL %.4f)",
          hook.c_str(), static_cast<long long>(acts.size(0)), static_cast<long long>(e.tokens),
          e.explainedVariance, e.l0, e.deadFraction, e.deltaCe, e.ceClean, e.ceSpliced, e.ceZero,
          e.ceLossRecovered, e.kl);
    QVERIFY(acts.size(0) >= 100000);
    QVERIFY(e.explainedVariance >= 0.8);
    QVERIFY(e.l0 <= 64);
    QVERIFY(e.deadFraction <= 0.05);
    QVERIFY(std::isfinite(e.deltaCe) && e.deltaCe < e.ceZero - e.ceClean);
}

QTEST_GUILESS_MAIN(TestSaeAidreams)
#include "test_sae_aidreams.moc"
