// Streaming training sources (issue 7 / 8): the on-the-fly model source against independent
// forwards of the same windows, exact resume of the model and cache sources (and of a whole
// training run fed on the fly), and the b_dec initialisations against brute force.
#include "activations/extract.h"
#include "activations/reader.h"
#include "mistudio/engine.h"
#include "mistudio/result.h"
#include "model/transformer.h"
#include "sae/cache_source.h"
#include "sae/config_json.h"
#include "sae/eval_model.h"
#include "sae/geometric_median.h"
#include "sae/model_source.h"
#include "sae/sweep.h"
#include "test_support.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QTemporaryDir>
#include <QtTest>
#include <numeric>
#include <set>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeStream : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { at::set_num_threads(1); }
    void modelSourceRowsAreForwardActivations();
    void modelSourceResumesExactly();
    void trainingOnTheFlyResumesBitForBit();
    void cacheSourceVisitsEveryRowOnceAndResumes();
    void geometricMedianMatchesBruteForce();
    void bDecInitChoices();
};

namespace {

const char* kModel = "fixtures/models/aidreams260k";
const char* kHook = "blocks.1.hook_resid_post";

ModelSourceOptions sourceOptions() {
    ModelSourceOptions o;
    o.modelFolder = test::fixture(kModel);
    o.hook = kHook;
    o.dataset.path = test::fixture(QString(kModel) + "/corpus.jsonl");
    o.contextLength = 32;
    o.forwardBatch = 4;
    o.heldOutWindows = 3;
    o.bufferTokens = 200;
    o.seed = 5;
    return o;
}

// Reference rows: the windows run through the model `group` at a time ([group, T]), included
// positions only. Returns the rows [N, d] and the window index of each row.
std::pair<at::Tensor, std::vector<int64_t>>
referenceRows(model::Transformer& m, const std::vector<data::TokenWindow>& windows, size_t group) {
    std::vector<at::Tensor> rows;
    std::vector<int64_t> windowOf;
    for (size_t first = 0; first < windows.size(); first += group) {
        const size_t n = std::min(group, windows.size() - first);
        const auto T = static_cast<int64_t>(windows[first].tokens.size());
        at::Tensor ids = at::empty({static_cast<int64_t>(n), T}, at::kLong);
        std::vector<int64_t> keep;
        for (size_t w = 0; w < n; ++w)
            for (int64_t t = 0; t < T; ++t) {
                ids[static_cast<int64_t>(w)][t] = windows[first + w].tokens[static_cast<size_t>(t)];
                if (windows[first + w].include[static_cast<size_t>(t)]) {
                    keep.push_back(static_cast<int64_t>(w) * T + t);
                    windowOf.push_back(static_cast<int64_t>(first + w));
                }
            }
        model::ForwardRequest req;
        req.capture = {kHook};
        req.logits = false;
        const at::Tensor a = m.forward(ids, req).activations.at(kHook);
        rows.push_back(a.reshape({-1, a.size(-1)}).index_select(0, at::tensor(keep)));
    }
    return {at::cat(rows, 0), windowOf};
}

// Largest distance from a row of `a` to its nearest row of `b` and back, relative to the row norm.
std::pair<double, double> worstRelativeDistance(const at::Tensor& a, const at::Tensor& b) {
    // compute_mode 2: exact differences (the matrix-product form loses ~sqrt(eps) near zero).
    const at::Tensor d = at::cdist(a, b, 2.0, 2);
    const at::Tensor norms = b.norm(2, {1});
    const auto [da, ia] = d.min(1);
    const auto [db, ib] = d.min(0);
    return {(da / norms.index_select(0, ia)).max().item<double>(),
            (db / norms).max().item<double>()};
}

FinishedEvent runJob(const std::function<void(JobContext&)>& fn, JobOptions options = {}) {
    Engine engine;
    return engine.submit(fn, std::move(options)).wait();
}

} // namespace

void TestSaeStream::modelSourceRowsAreForwardActivations() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    const ModelSourceOptions o = sourceOptions();
    auto model = model::Transformer::open(o.modelFolder);
    ModelSource source(model, o);
    QCOMPARE(source.dim(), int64_t(64));
    std::vector<at::Tensor> drawn;
    for (int i = 0; i < 3; ++i)
        drawn.push_back(source.next(100));
    QCOMPARE(source.epoch(), int64_t(1));
    const int64_t windowsRun = source.windowsRead();
    QVERIFY(windowsRun >= 10 && windowsRun <= 25);
    // Drawn rows plus the rows still buffered are every row of the windows run so far.
    const at::Tensor x = at::cat(drawn, 0);
    const at::Tensor got = at::cat({x, *source.state().find("buffer")}, 0);

    const auto windows = evalWindows(o.modelFolder, o.dataset, 1 << 20, o.contextLength);
    const std::vector<data::TokenWindow> trained(windows.begin() + o.heldOutWindows,
                                                 windows.begin() + o.heldOutWindows + windowsRun);
    // The same windows forwarded in the source's groups of 4: the same rows.
    const at::Tensor expected = referenceRows(*model, trained, 4).first;
    QCOMPARE(got.size(0), expected.size(0));
    const auto [worstGot, worstExpected] = worstRelativeDistance(got, expected);
    QVERIFY2(worstGot < 1e-5 && worstExpected < 1e-5,
             qPrintable(QString("%1 %2").arg(worstGot).arg(worstExpected)));
    // Each window forwarded alone (an independent batching): the same up to fp32 noise too.
    const auto [aloneGot, aloneExpected] =
        worstRelativeDistance(got, referenceRows(*model, trained, 1).first);
    QVERIFY2(aloneGot < 1e-5 && aloneExpected < 1e-5,
             qPrintable(QString("%1 %2").arg(aloneGot).arg(aloneExpected)));
    // Shuffled: the batches are not the stream order.
    QVERIFY(!at::allclose(x, expected.narrow(0, 0, x.size(0)), 1e-3, 1e-3));
}

void TestSaeStream::modelSourceResumesExactly() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    const ModelSourceOptions o = sourceOptions();
    auto model = model::Transformer::open(o.modelFolder);
    ModelSource a(model, o);
    a.next(90);
    a.next(90);
    const SourceState saved = a.state();
    std::vector<at::Tensor> after;
    for (int i = 0; i < 3; ++i)
        after.push_back(a.next(90));

    ModelSource b(model, o); // a fresh source (a restarted process) ...
    b.restore(saved);
    for (int i = 0; i < 3; ++i)
        QVERIFY(at::equal(b.next(90), after[static_cast<size_t>(i)]));
    a.restore(saved); // ... and the same source rewound
    for (int i = 0; i < 3; ++i)
        QVERIFY(at::equal(a.next(90), after[static_cast<size_t>(i)]));

    ModelSourceOptions other = o;
    other.heldOutWindows = 4;
    ModelSource c(model, other);
    QVERIFY_THROWS_EXCEPTION(Exception, c.restore(saved));
}

void TestSaeStream::trainingOnTheFlyResumesBitForBit() {
    // 200 steps straight == 100 steps, cancel (checkpoint), a new process resumes, 100 steps.
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    const ModelSourceOptions o = sourceOptions();
    auto model = model::Transformer::open(o.modelFolder);
    QTemporaryDir straightDir, resumedDir;
    auto settings = [&](const QTemporaryDir& dir) {
        SweepSettings s;
        for (const char* a : {"batchtopk", "jumprelu"})
            s.saes.push_back(parseSaeConfig(
                {{"architecture", a}, {"d_sae", 96}, {"batch_size", 32}, {"name", a}}, 64, "t"));
        s.tokens = 200 * 32;
        s.seed = 2;
        s.logEvery = 50;
        s.checkpointMinutes = 0;
        s.normalizationTokens = 64;
        s.checkpointDir = dir.path().toStdString();
        return s;
    };
    ModelSource straightSource(model, o);
    SweepTrainer straight(settings(straightDir), straightSource);
    QVERIFY(runJob([&](JobContext& ctx) { straight.run(ctx, false); }).ok);
    {
        ModelSource source(model, o);
        SweepTrainer first(settings(resumedDir), source);
        JobHandle* handle = nullptr;
        JobOptions options;
        options.onEvent = [&](uint64_t, const JobEvent& e) {
            if (auto* m = std::get_if<MetricEvent>(&e); m && m->step == 99 && handle)
                handle->cancel();
        };
        Engine engine;
        JobHandle job = engine.submit([&](JobContext& ctx) { first.run(ctx, false); }, options);
        handle = &job;
        const FinishedEvent fin = job.wait();
        QCOMPARE(fin.error.code, ErrorCode::Cancelled);
        QCOMPARE(first.stepsDone(), int64_t(100));
    }
    ModelSource source(model, o);
    SweepTrainer resumed(settings(resumedDir), source);
    const FinishedEvent fin = runJob([&](JobContext& ctx) { resumed.run(ctx, true); });
    QVERIFY2(fin.ok, fin.error.message.c_str());
    for (size_t i = 0; i < 2; ++i) {
        const SaeModel a = straight.model(i), b = resumed.model(i);
        QVERIFY(at::equal(a.encT, b.encT) && at::equal(a.wDec, b.wDec) &&
                at::equal(a.bEnc, b.bEnc) && at::equal(a.bDec, b.bDec) &&
                at::equal(a.threshold, b.threshold));
        QVERIFY(straight.deadLatents(i) == resumed.deadLatents(i));
    }
}

void TestSaeStream::cacheSourceVisitsEveryRowOnceAndResumes() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QTemporaryDir tmp;
    activations::ExtractRequest r;
    r.model = test::fixture(kModel);
    r.dataset.path = test::fixture(QString(kModel) + "/corpus.jsonl");
    r.hooks = {kHook};
    r.tokens = 300;
    r.contextLength = 32;
    r.rowsPerShard = 64;
    r.outDir = tmp.path().toStdString();
    const FinishedEvent done =
        runJob([&](JobContext& ctx) { activations::extractActivations(r, ctx); });
    QVERIFY2(done.ok, done.error.message.c_str());
    auto cache = activations::ActivationCache::open(r.outDir);
    std::vector<int64_t> all(300);
    std::iota(all.begin(), all.end(), 0);
    const at::Tensor rows = cache->gather(all);
    QVERIFY(at::equal(rows[123], cache->row(123)));

    CacheSource source(cache, 250, 100, 11); // rows 250.. are held out
    std::vector<at::Tensor> batches;
    for (int i = 0; i < 5; ++i)
        batches.push_back(source.next(50));
    // Every training row exactly once in the epoch and no held-out row: the drawn rows and rows
    // 0..249 are the same multiset (compared sorted by a fixed projection; equal rows tie).
    auto sorted = [](const at::Tensor& r) {
        const at::Tensor key =
            at::matmul(r.to(at::kDouble), at::linspace(1, 2, r.size(1), at::kDouble));
        return r.index_select(0, std::get<1>(key.sort()));
    };
    QVERIFY(at::equal(sorted(at::cat(batches, 0)), sorted(rows.narrow(0, 0, 250))));

    CacheSource again(cache, 250, 100, 11);
    QVERIFY(at::equal(again.next(50), batches[0])); // deterministic for a seed
    again.next(120);                                // unaligned position
    const SourceState saved = again.state();
    std::vector<at::Tensor> after;
    for (int i = 0; i < 4; ++i) // crosses into epoch 2
        after.push_back(again.next(70));
    QCOMPARE(again.epoch(), int64_t(2));
    CacheSource resumed(cache, 250, 100, 11);
    resumed.restore(saved);
    for (int i = 0; i < 4; ++i)
        QVERIFY(at::equal(resumed.next(70), after[static_cast<size_t>(i)]));
    CacheSource otherSplit(cache, 240, 100, 11);
    QVERIFY_THROWS_EXCEPTION(Exception, otherSplit.restore(saved));
}

void TestSaeStream::geometricMedianMatchesBruteForce() {
    // Brute force: the objective sum ||x_i - m|| minimised over a grid refined around the best
    // point, independent of Weiszfeld's reweighting.
    at::manual_seed(4);
    const at::Tensor pts =
        at::cat({at::randn({12, 2}, at::kDouble), at::full({3, 2}, 8.0, at::kDouble)});
    auto objective = [&](double a, double b) {
        return (pts - at::tensor({a, b}, at::kDouble)).norm(2, {1}).sum().item<double>();
    };
    double bx = 0, by = 0, step = 1.0;
    for (int level = 0; level < 7; ++level, step /= 10) {
        double best = objective(bx, by), cx = bx, cy = by;
        for (int i = -20; i <= 20; ++i)
            for (int j = -20; j <= 20; ++j) {
                const double v = objective(cx + i * step, cy + j * step);
                if (v < best) {
                    best = v;
                    bx = cx + i * step;
                    by = cy + j * step;
                }
            }
    }
    const at::Tensor gm = geometricMedian(pts.to(at::kFloat));
    QVERIFY2(std::abs(gm[0].item<double>() - bx) < 1e-4 &&
                 std::abs(gm[1].item<double>() - by) < 1e-4,
             qPrintable(QString("%1,%2 vs %3,%4")
                            .arg(gm[0].item<double>())
                            .arg(gm[1].item<double>())
                            .arg(bx)
                            .arg(by)));
    // The outliers pull the mean far more than the median.
    QVERIFY((pts.mean(0) - gm).norm().item<double>() > 0.5);
}

void TestSaeStream::bDecInitChoices() {
    // One step at a negligible learning rate: the saved b_dec (raw units) is the initial one.
    at::manual_seed(6);
    const at::Tensor data = at::cat({at::randn({120, 4}), at::full({8, 4}, 30.0)});
    auto trainedBDec = [&](const char* init) {
        TensorSource source(data, false, 0);
        SweepSettings s;
        s.saes = {parseSaeConfig({{"architecture", "topk"},
                                  {"k", 2},
                                  {"d_sae", 8},
                                  {"batch_size", 128},
                                  {"lr", 1e-12},
                                  {"b_dec_init", init}},
                                 4, "t")};
        s.tokens = 128;
        s.normalizationTokens = 128; // the sample is exactly the data
        SweepTrainer sweep(s, source);
        const FinishedEvent fin = runJob([&](JobContext& ctx) { sweep.run(ctx, false); });
        if (!fin.ok)
            throw Exception(fin.error.code, fin.error.message);
        return sweep.model(0).bDec.to(at::kDouble);
    };
    const at::Tensor x = data.to(at::kDouble);
    QVERIFY(at::allclose(trainedBDec("mean"), x.mean(0), 1e-5, 1e-5));
    QVERIFY(at::allclose(trainedBDec("zeros"), at::zeros({4}, at::kDouble), 0, 1e-6));
    const at::Tensor gm = trainedBDec("geometric_median");
    // Optimality of the median: the objective's gradient vanishes (no point coincides with it).
    const at::Tensor diff = gm - x;
    const at::Tensor grad = (diff / diff.norm(2, {1}, true)).sum(0);
    QVERIFY2(grad.norm().item<double>() < 1e-2,
             qPrintable(QString::number(grad.norm().item<double>())));
    QVERIFY((gm - x.mean(0)).norm().item<double>() > 1.0);
    QVERIFY_THROWS_EXCEPTION(Exception, parseSaeConfig({{"b_dec_init", "median"}}, 4, "t"));
}

QTEST_GUILESS_MAIN(TestSaeStream)
#include "test_sae_stream.moc"
