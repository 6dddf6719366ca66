// mistudio-cli inspect / forward / generate / make-synthetic end to end ($MISTUDIO_CLI).
#include "io/safetensors.h"
#include "test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace mistudio;

class TestModelCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void inspect();
    void forwardReproducesGolden();
    void generateGreedyIds();
    void generateGreedyText();
    void quantAndBadModelErrors();
    void makeSyntheticThenForward();
};

namespace {

using Run = mistudio::test::CliRun;

Run cli(const QStringList& args) {
    return mistudio::test::runCli(args, {}, 300000);
}

QString model(const char* name) {
    return QString::fromStdString(test::fixture(QStringLiteral("fixtures/models/") + name));
}

double maxDiff(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

} // namespace

void TestModelCli::initTestCase() {
    if (test::cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set");
}

void TestModelCli::inspect() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/gpt_neox/config.json");
    const Run r = cli({QStringLiteral("inspect"), model("gpt_neox")});
    QVERIFY2(r.code == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["model_type"].get<std::string>(), std::string("gpt_neox"));
    QCOMPARE(j["n_layers"].get<int>(), 3);
    QCOMPARE(j["d_model"].get<int>(), 64);
    QCOMPARE(j["n_heads"].get<int>(), 4);
    QCOMPARE(j["n_kv_heads"].get<int>(), 4);
    QCOMPARE(j["d_mlp"].get<int>(), 128);
    QCOMPARE(j["vocab_size"].get<int>(), 512);
    QCOMPARE(j["dtype"].get<std::string>(), std::string("float32"));
    QCOMPARE(j["tokenizer"].get<bool>(), false);
    QCOMPARE(j["files"], nlohmann::json::array({"model.safetensors"}));
    // Parameters from the header, independently: sum of numel over every tensor of the file.
    auto st = io::SafetensorsFile::open(model("gpt_neox").toStdString() + "/model.safetensors");
    int64_t params = 0;
    for (const auto& t : st->tensors())
        params += t.numel();
    QCOMPARE(j["n_params"].get<int64_t>(), params);
    const auto hooks = j["hook_points"].get<std::vector<std::string>>();
    QCOMPARE(hooks.size(), size_t(1 + 3 * 4 + 1)); // parallel residual: no hook_resid_mid
    QCOMPARE(hooks.front(), std::string("hook_embed"));
    QCOMPARE(hooks.back(), std::string("ln_final.hook_normalized"));
    const Run a = cli({QStringLiteral("inspect"), model("aidreams260k")});
    const auto ja = nlohmann::json::parse(a.out.toStdString());
    QCOMPARE(ja["tokenizer"].get<bool>(), true);
    QCOMPARE(ja["hook_points"].size(), size_t(1 + 4 * 5 + 1));
}

void TestModelCli::forwardReproducesGolden() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/phi/golden.safetensors");
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("out.safetensors"));
    const QString golden = model("phi") + "/golden.safetensors";
    const Run r = cli({QStringLiteral("forward"), QStringLiteral("--model"), model("phi"),
                       QStringLiteral("--input-ids"), golden, QStringLiteral("--out"), out});
    QVERIFY2(r.code == 0, r.err.constData());
    auto got = io::SafetensorsFile::open(out.toStdString());
    auto ref = io::SafetensorsFile::open(golden.toStdString());
    for (const char* name :
         {"hidden_states.0", "hidden_states.1", "hidden_states.2", "hidden_states.3", "logits"}) {
        QVERIFY2(got->find(name), name);
        QVERIFY(got->find(name)->dtype == io::DType::F32);
        const at::Tensor g = got->load(name, at::kFloat), e = ref->load(name, at::kFloat);
        QCOMPARE(g.sizes().vec(), e.sizes().vec());
        QVERIFY2(maxDiff(g, e) <= 1e-4 * std::max(1.0, e.abs().max().item<double>()), name);
    }
    QVERIFY(!got->find("hidden_states.4"));
}

void TestModelCli::generateGreedyIds() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/golden.json");
    std::ifstream in(model("aidreams260k").toStdString() + "/golden.json");
    const auto g = nlohmann::json::parse(in)["greedy"];
    QString ids;
    for (const auto& id : g["prompt_ids"])
        ids += (ids.isEmpty() ? "" : ",") + QString::number(id.get<int>());
    const Run r = cli({QStringLiteral("generate"), QStringLiteral("--model"), model("aidreams260k"),
                       QStringLiteral("--prompt-ids"), ids, QStringLiteral("--max-new-tokens"),
                       QStringLiteral("40"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["new_ids"], g["new_ids"]);
}

void TestModelCli::generateGreedyText() {
#if !__has_include("mistudio/tokenizer.h")
    QSKIP("this build has no tokenizer (core/tokenizer not merged): --prompt is unavailable");
#endif
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/golden.json");
    std::ifstream in(model("aidreams260k").toStdString() + "/golden.json");
    const auto g = nlohmann::json::parse(in)["greedy"];
    const Run r =
        cli({QStringLiteral("generate"), QStringLiteral("--model"), model("aidreams260k"),
             QStringLiteral("--prompt"), QString::fromStdString(g["prompt"].get<std::string>()),
             QStringLiteral("--max-new-tokens"), QStringLiteral("40"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["prompt_ids"], g["prompt_ids"]);
    QCOMPARE(j["new_ids"], g["new_ids"]);
    QCOMPARE(j["text"].get<std::string>(), g["text"].get<std::string>());
}

void TestModelCli::quantAndBadModelErrors() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama/golden.safetensors");
    QTemporaryDir dir;
    const Run q = cli({QStringLiteral("forward"), QStringLiteral("--model"), model("llama"),
                       QStringLiteral("--input-ids"), model("llama") + "/golden.safetensors",
                       QStringLiteral("--out"), dir.filePath(QStringLiteral("o.safetensors")),
                       QStringLiteral("--quant"), QStringLiteral("nf4")});
    QVERIFY2(q.code == 0, q.err.constData()); // quantized execution (accuracy: test_quant_model)
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("o.safetensors"))));
    // An unknown weight format is refused with the list, and nothing is written.
    const Run bad = cli({QStringLiteral("forward"), QStringLiteral("--model"), model("llama"),
                         QStringLiteral("--input-ids"), model("llama") + "/golden.safetensors",
                         QStringLiteral("--out"), dir.filePath(QStringLiteral("b.safetensors")),
                         QStringLiteral("--quant"), QStringLiteral("int3")});
    QCOMPARE(bad.code, 1);
    QVERIFY2(bad.err.contains("int3") && bad.err.contains("nf4"), bad.err.constData());
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("b.safetensors"))));
    // An unknown model_type names the supported ones.
    std::ofstream(dir.filePath(QStringLiteral("config.json")).toStdString())
        << R"({"model_type": "rwkv"})";
    const Run u = cli({QStringLiteral("inspect"), dir.path()});
    QCOMPARE(u.code, 1);
    QVERIFY2(u.err.contains("rwkv") && u.err.contains("gemma2"), u.err.constData());
    const Run usage = cli({QStringLiteral("forward"), QStringLiteral("--model"), model("llama")});
    QCOMPARE(usage.code, 2);
}

void TestModelCli::makeSyntheticThenForward() {
    QTemporaryDir dir;
    const Run m = cli({QStringLiteral("make-synthetic"), QStringLiteral("--like"),
                       QStringLiteral("gpt2-tiny"), QStringLiteral("--out"), dir.path()});
    QVERIFY2(m.code == 0, m.err.constData());
    const Run i = cli({QStringLiteral("inspect"), dir.path()});
    QVERIFY2(i.code == 0, i.err.constData());
    const auto j = nlohmann::json::parse(i.out.toStdString());
    QCOMPARE(j["model_type"].get<std::string>(), std::string("gpt2"));
    // Tied GPT-2 of d 64, 2 layers, vocab 512, 256 positions: 512*64 + 256*64 + 2 * (12*64^2 +
    // 13*64) + 2*64 (the layer count is what GPT2LMHeadModel has).
    QCOMPARE(j["n_params"].get<int64_t>(),
             512 * 64 + 256 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64);
    const Run b =
        cli({QStringLiteral("bench"), QStringLiteral("forward"), QStringLiteral("--model"),
             dir.path(), QStringLiteral("--batch"), QStringLiteral("2"), QStringLiteral("--seq"),
             QStringLiteral("16"), QStringLiteral("--seconds"), QStringLiteral("0"),
             QStringLiteral("--up-to"), QStringLiteral("blocks.0.hook_resid_post")});
    QVERIFY2(b.code == 0, b.err.constData());
    const QList<QByteArray> lines = b.out.trimmed().split('\n');
    const auto last = nlohmann::json::parse(lines.last().toStdString());
    QVERIFY(last["tokens_per_s"].get<double>() > 0);
    QVERIFY(last["gemm_gflops"].get<double>() > 0);
    QVERIFY(last["fraction_of_gemm"].get<double>() > 0);
    QCOMPARE(last["layers_run"].get<int>(), 1);
}

QTEST_GUILESS_MAIN(TestModelCli)
#include "test_model_cli.moc"
