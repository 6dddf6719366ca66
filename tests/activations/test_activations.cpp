// core/activations on the aidreams260k fixture: cache rows against independent forwards, exact row
// counts, special tokens, resume after cancel (byte-identical), refusal of a mismatched cache,
// the shuffled reader, and the CLI.
#include "activations/extract.h"
#include "activations/reader.h"
#include "mistudio/dataset.h"
#include "mistudio/engine.h"
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"
#include "model/transformer.h"
#include "test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using namespace mistudio;
namespace fs = std::filesystem;

namespace {

const char* kModel = "fixtures/models/aidreams260k";
const char* kHook1 = "blocks.1.hook_resid_post";
const char* kHook3 = "blocks.3.hook_resid_pre";

activations::ExtractRequest baseRequest(const std::string& out) {
    activations::ExtractRequest r;
    r.model = test::fixture(kModel);
    r.dataset.path = test::fixture(QString(kModel) + "/corpus.jsonl");
    r.hooks = {kHook1};
    r.tokens = 300;
    r.contextLength = 32;
    r.batchSize = 3;
    r.rowsPerShard = 64;
    r.outDir = out;
    return r;
}

/// Runs an extraction as an engine job; rethrows its error.
activations::ExtractSummary extract(const activations::ExtractRequest& r) {
    Engine engine;
    activations::ExtractSummary s;
    auto h = engine.submit([&](JobContext& ctx) { s = activations::extractActivations(r, ctx); });
    const auto done = h.wait();
    if (!done.ok)
        throw Exception(done.error.code, done.error.message);
    return s;
}

std::string readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The corpus documents by id, read straight from the JSON lines (every line has text).
std::vector<std::string> corpus() {
    std::ifstream in(test::fixture(QString(kModel) + "/corpus.jsonl"));
    std::vector<std::string> docs;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            docs.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    return docs;
}

} // namespace

class TestActivations : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rowsEqualForwardOfTheirDocument_data();
    void rowsEqualForwardOfTheirDocument();
    void exactRowsNoSpecialTokensAndProvenance();
    void keepSpecialTokensIncludesBos();
    void resumeAfterCancelIsByteIdentical();
    void mismatchedCacheIsRefused();
    void modelRevisionAndRewrittenModel();
    void shuffledBatchesDeterministicAndComplete();
    void cliExtractAndCacheInfo();
    void int8RowsCloseToFp32();
};

void TestActivations::rowsEqualForwardOfTheirDocument_data() {
    QTest::addColumn<QString>("dtype");
    QTest::newRow("fp32") << "fp32";
    QTest::newRow("fp16") << "fp16";
}

// One document per window (BOS + document + padding): the row at (document, position) must be
// the hidden state of an independent forward of [BOS] + tokenize(document) at position + 1.
void TestActivations::rowsEqualForwardOfTheirDocument() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QFETCH(QString, dtype);
    QTemporaryDir tmp;
    auto r = baseRequest(tmp.path().toStdString());
    r.hooks = {kHook1, kHook3};
    r.packing = data::Packing::DocumentPerWindow;
    r.dtype = dtype.toStdString();
    const auto s = extract(r);
    QCOMPARE(s.rows, 300);
    QCOMPARE(s.cacheFolders.size(), size_t(2));

    const auto tok = Tokenizer::load(r.model);
    auto model = model::Transformer::open(r.model);
    const auto docs = corpus();
    for (size_t h = 0; h < r.hooks.size(); ++h) {
        const auto cache = activations::ActivationCache::open(s.cacheFolders[h]);
        QCOMPARE(cache->rows(), 300);
        std::map<int64_t, at::Tensor> reference; // document -> [T, d]
        for (int64_t i = 0; i < cache->rows(); ++i) {
            const int64_t doc = cache->documentId(i);
            const int32_t pos = cache->position(i);
            std::vector<int32_t> ids = tok.encode(docs.at(size_t(doc)), false).ids;
            QCOMPARE(cache->tokenId(i), ids.at(size_t(pos)));
            if (!reference.count(doc)) {
                std::vector<int64_t> in = {*tok.bosId()};
                for (size_t k = 0; k < ids.size() && in.size() < size_t(r.contextLength); ++k)
                    in.push_back(ids[k]);
                model::ForwardRequest req;
                req.capture = {r.hooks[h]};
                req.logits = false;
                const auto out = model->forward(at::tensor(in, at::kLong).unsqueeze(0), req);
                reference[doc] = out.activations.at(r.hooks[h])[0];
            }
            const at::Tensor want = reference[doc][pos + 1];
            const at::Tensor got = cache->row(i);
            if (dtype == "fp32") {
                QVERIFY2(at::allclose(got, want, 1e-5, 1e-5), qPrintable(QString::number(i)));
            } else { // fp16 rounding: half an ulp (2^-11 relative) plus the fp32 noise
                const at::Tensor tol = want.abs() * (1.0 / 1024) + 1e-5;
                QVERIFY2((got - want).abs().le(tol).all().item<bool>(),
                         qPrintable(QString::number(i)));
            }
        }
    }
}

void TestActivations::exactRowsNoSpecialTokensAndProvenance() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QTemporaryDir tmp;
    auto r = baseRequest(tmp.path().toStdString());
    r.tokens = 257;
    const auto s = extract(r);
    const auto cache = activations::ActivationCache::open(s.cacheFolders[0]);
    QCOMPARE(cache->rows(), 257);
    QCOMPARE(cache->manifest()["n_rows"].get<int64_t>(), 257);
    QCOMPARE(cache->shardCount(), 5); // 4 x 64 + 1
    int64_t sum = 0;
    for (const auto& sh : cache->manifest()["shards"])
        sum += sh["rows"].get<int64_t>();
    QCOMPARE(sum, 257);
    const auto tok = Tokenizer::load(r.model);
    const auto docs = corpus();
    for (int64_t i = 0; i < cache->rows(); ++i) {
        QVERIFY(cache->tokenId(i) != *tok.bosId());
        QVERIFY(cache->tokenId(i) != *tok.eosId());
        const auto ids = tok.encode(docs.at(size_t(cache->documentId(i))), false).ids;
        QCOMPARE(cache->tokenId(i), ids.at(size_t(cache->position(i))));
    }
    const auto& st = cache->manifest()["statistics"];
    QCOMPARE(st["mean"].size(), size_t(64));
    double mean0 = 0;
    for (int64_t i = 0; i < cache->rows(); ++i)
        mean0 += cache->row(i)[0].item<double>();
    QVERIFY(std::abs(st["mean"][0].get<double>() - mean0 / 257) < 1e-4);
}

void TestActivations::keepSpecialTokensIncludesBos() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QTemporaryDir tmp;
    auto r = baseRequest(tmp.path().toStdString());
    r.tokens = 100;
    r.keepSpecialTokens = true;
    const auto cache = activations::ActivationCache::open(extract(r).cacheFolders[0]);
    QCOMPARE(cache->rows(), 100);
    QCOMPARE(cache->tokenId(0), 1);  // the window's BOS
    QCOMPARE(cache->tokenId(32), 1); // the next window's BOS
    QCOMPARE(cache->documentId(0), int64_t(-1));
}

void TestActivations::resumeAfterCancelIsByteIdentical() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QTemporaryDir a, b;
    auto ra = baseRequest(a.path().toStdString());
    ra.tokens = 400;
    extract(ra);

    auto rb = baseRequest(b.path().toStdString());
    rb.tokens = 400;
    Engine engine;
    std::promise<JobHandle> handlePromise;
    auto handleFuture = handlePromise.get_future().share();
    rb.onShard = [handleFuture](int64_t shard) {
        if (shard == 2)
            JobHandle(handleFuture.get()).cancel();
    };
    auto h = engine.submit([&](JobContext& ctx) {
        handleFuture.wait();
        activations::extractActivations(rb, ctx);
    });
    handlePromise.set_value(h);
    const auto done = h.wait();
    QVERIFY(!done.ok);
    QCOMPARE(done.error.code, ErrorCode::Cancelled);
    QVERIFY(!fs::exists(fs::path(rb.outDir) / "manifest.json"));
    QVERIFY(fs::exists(fs::path(rb.outDir) / "shard-00002.safetensors"));
    QVERIFY_THROWS_EXCEPTION(Exception, activations::ActivationCache::open(rb.outDir));

    rb.onShard = nullptr;
    const auto s = extract(rb);
    QVERIFY(s.resumedShards >= 3);
    QCOMPARE(s.rows, 400);
    for (const auto& e : fs::directory_iterator(ra.outDir)) {
        const auto name = e.path().filename();
        QVERIFY2(readBytes(e.path()) == readBytes(fs::path(rb.outDir) / name),
                 qPrintable(QString::fromStdString(name.string())));
    }
}

void TestActivations::mismatchedCacheIsRefused() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QTemporaryDir tmp;
    auto r = baseRequest(tmp.path().toStdString());
    r.tokens = 70;
    extract(r);
    QVERIFY(extract(r).alreadyComplete);
    auto other = r;
    other.contextLength = 16;
    try {
        extract(other);
        QFAIL("a cache for another context length was reused");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::InvalidArgument);
        QVERIFY2(std::string(e.what()).find("context_length") != std::string::npos, e.what());
    }
    other = r;
    other.dtype = "fp32";
    QVERIFY_THROWS_EXCEPTION(Exception, extract(other));
    other = r;
    other.hooks = {kHook3};
    QVERIFY_THROWS_EXCEPTION(Exception, extract(other));
}

// The manifest names the model's Hub commit when it is a cache snapshot ("local" otherwise) and
// its files' sizes and times: a model rewritten in place is refused, not silently reused.
void TestActivations::modelRevisionAndRewrittenModel() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QTemporaryDir tmp;
    const std::string commit = "0123456789abcdef0123456789abcdef01234567";
    const fs::path snapshot =
        fs::path(tmp.path().toStdString()) / "hub" / "models--org--tiny" / "snapshots" / commit;
    fs::create_directories(snapshot);
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
        fs::copy_file(fs::path(test::fixture(kModel)) / f, snapshot / f);
    auto r = baseRequest((fs::path(tmp.path().toStdString()) / "cache").string());
    r.tokens = 70;
    r.model = snapshot.string();
    extract(r);
    const auto manifest = nlohmann::json::parse(readBytes(fs::path(r.outDir) / "manifest.json"));
    QCOMPARE(manifest["revision"].get<std::string>(), commit);
    QCOMPARE(manifest["model_files"].size(), size_t(3));
    QCOMPARE(manifest["model_files"][1]["file"].get<std::string>(),
             std::string("model.safetensors"));
    QCOMPARE(manifest["model_files"][1]["bytes"].get<int64_t>(),
             int64_t(fs::file_size(snapshot / "model.safetensors")));
    QVERIFY(extract(r).alreadyComplete);

    // The same folder with config.json written again (same bytes, a new time): refused.
    const std::string config = readBytes(snapshot / "config.json");
    fs::last_write_time(snapshot / "config.json",
                        fs::last_write_time(snapshot / "config.json") + std::chrono::seconds(5));
    try {
        extract(r);
        QFAIL("a cache was reused for a model rewritten in place");
    } catch (const Exception& e) {
        QVERIFY2(std::string(e.what()).find("model_files") != std::string::npos, e.what());
    }
    QCOMPARE(readBytes(snapshot / "config.json"), config);

    // A plain folder has no revision.
    auto local = baseRequest((fs::path(tmp.path().toStdString()) / "cache-local").string());
    local.tokens = 70;
    extract(local);
    const auto m2 = nlohmann::json::parse(readBytes(fs::path(local.outDir) / "manifest.json"));
    QCOMPARE(m2["revision"].get<std::string>(), std::string("local"));
}

void TestActivations::shuffledBatchesDeterministicAndComplete() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    QTemporaryDir tmp;
    auto r = baseRequest(tmp.path().toStdString());
    r.tokens = 250;
    const auto cache = activations::ActivationCache::open(extract(r).cacheFolders[0]);
    bool batchesMatchRows = true;
    auto order = [&](uint64_t seed) {
        activations::ShuffledBatches it(cache, 32, 100, seed);
        std::vector<int64_t> rows;
        while (auto b = it.next()) {
            batchesMatchRows = batchesMatchRows &&
                               b->activations.size(0) == int64_t(b->rows.size()) &&
                               at::equal(b->activations[0], cache->row(b->rows[0]));
            rows.insert(rows.end(), b->rows.begin(), b->rows.end());
        }
        return rows;
    };
    const auto a = order(7), b = order(7), c = order(8);
    QVERIFY(batchesMatchRows);
    QVERIFY(a == b);
    QVERIFY(a != c);
    QCOMPARE(a.size(), size_t(250));
    const std::set<int64_t> unique(a.begin(), a.end());
    QCOMPARE(unique.size(), size_t(250));
    QCOMPARE(*unique.begin(), int64_t(0));
    QCOMPARE(*unique.rbegin(), int64_t(249));
    // Mixed across shards: the first 32 rows do not all come from one shard.
    std::set<int64_t> shards;
    for (size_t k = 0; k < 32; ++k)
        shards.insert(a[k] / 64);
    QVERIFY(shards.size() > 1);
}

void TestActivations::cliExtractAndCacheInfo() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    if (test::cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI not set");
    QTemporaryDir tmp;
    const QString model = QString::fromStdString(test::fixture(kModel));
    QProcess p;
    p.start(test::cliPath(), {"extract", "--model", model, "--dataset", model + "/corpus.jsonl",
                              "--hook", kHook1, "--tokens", "50", "--context-length", "16",
                              "--dtype", "bf16", "--out", tmp.path() + "/c"});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    p.start(test::cliPath(), {"cache-info", tmp.path() + "/c"});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
    QCOMPARE(j["n_rows"].get<int64_t>(), 50);
    QCOMPARE(j["d_model"].get<int64_t>(), 64);
    QCOMPARE(j["dtype"].get<std::string>(), std::string("bf16"));
    QCOMPARE(j["context_length"].get<int64_t>(), 16);
    QCOMPARE(j["hook"].get<std::string>(), std::string(kHook1));
    QVERIFY(j.contains("model") && j.contains("dataset"));
    // An unknown quantization is an error naming the modes, not a silent fp32 run.
    p.start(test::cliPath(),
            {"extract", "--model", model, "--dataset", model + "/corpus.jsonl", "--hook", kHook1,
             "--tokens", "5", "--quant", "int3", "--out", tmp.path() + "/q"});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.contains("int3") && err.contains("nf4"), err.constData());
    QVERIFY(!fs::exists(tmp.path().toStdString() + "/q/manifest.json"));
    p.start(test::cliPath(), {"cache-info", tmp.path()});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
}

// --quant int8 runs the quantized runtime: the same rows (tokens, documents, positions) as the
// fp32 extraction, activations within int8's bound of them (the bound test_quant_model uses for
// hidden states against transformers' fp32 goldens), and the cache records the quantization.
void TestActivations::int8RowsCloseToFp32() {
    MISTUDIO_REQUIRE_FIXTURE(QString(kModel) + "/corpus.jsonl");
    constexpr double kInt8Bound = 0.04;
    QTemporaryDir tmp;
    auto r = baseRequest(tmp.path().toStdString() + "/fp32");
    r.dtype = "fp32";
    const auto fp32 = activations::ActivationCache::open(extract(r).cacheFolders[0]);
    r.outDir = tmp.path().toStdString() + "/int8";
    r.quantization = "int8";
    const auto int8 = activations::ActivationCache::open(extract(r).cacheFolders[0]);
    QCOMPARE(int8->rows(), fp32->rows());
    QCOMPARE(int8->manifest()["quantization"].get<std::string>(), std::string("int8"));
    std::vector<at::Tensor> a, b;
    for (int64_t i = 0; i < fp32->rows(); ++i) {
        QCOMPARE(int8->tokenId(i), fp32->tokenId(i));
        QCOMPARE(int8->documentId(i), fp32->documentId(i));
        QCOMPARE(int8->position(i), fp32->position(i));
        a.push_back(int8->row(i));
        b.push_back(fp32->row(i));
    }
    const at::Tensor q = at::stack(a), f = at::stack(b);
    const double rel = ((q - f).norm() / f.norm()).item<double>();
    QVERIFY2(rel <= kInt8Bound, qPrintable(QString::number(rel)));
    QVERIFY2(rel > 1e-6, "int8 rows identical to fp32: the weights were not quantized");
    // An unknown mode is refused before any work.
    r.outDir = tmp.path().toStdString() + "/bad";
    r.quantization = "int3";
    QVERIFY_THROWS_EXCEPTION(Exception, extract(r));
}

QTEST_GUILESS_MAIN(TestActivations)
#include "test_activations.moc"
