// mistudio-cli estimate end to end ($MISTUDIO_CLI): the JSON it prints, checked against the
// safetensors header read independently, and its refusals of a bad quantization or hook.
#include "io/safetensors.h"
#include "test_support.h"

#include <QProcess>
#include <QtTest>
#include <nlohmann/json.hpp>

using namespace mistudio;

namespace {
struct Run {
    int code = -1;
    QByteArray out, err;
};

Run cli(const QStringList& args) {
    QProcess p;
    p.start(test::cliPath(), args);
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

QString llama() {
    return QString::fromStdString(test::fixture("fixtures/models/llama"));
}

/// Bytes of the tensors blocks.0 needs in fp32: the embedding and every model.layers.0.* tensor
/// (the llama fixture stores F32, so fp32 holds exactly the file's bytes).
int64_t layerZeroBytes(const std::string& folder) {
    const auto st = io::SafetensorsFile::open(folder + "/model.safetensors");
    int64_t bytes = 0;
    for (const auto& t : st->tensors())
        if (t.name == "model.embed_tokens.weight" || t.name.rfind("model.layers.0.", 0) == 0)
            bytes += static_cast<int64_t>(t.nbytes());
    return bytes;
}
} // namespace

class TestQuantCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        if (test::cliPath().isEmpty())
            QSKIP("MISTUDIO_CLI is not set");
    }

    void estimatePrintsThePlan() {
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
        const Run r = cli({"estimate", "--model", llama(), "--quant", "none", "--hook",
                           "blocks.0.hook_resid_post", "--batch", "2", "--seq", "16"});
        QVERIFY2(r.code == 0, r.err.constData());
        const auto j = nlohmann::json::parse(r.out.toStdString());
        for (const char* key : {"model", "quant", "hook", "device", "batch", "seq", "weight_bytes",
                                "activation_bytes", "workspace_bytes", "total_bytes", "total",
                                "layers_loaded", "layers_total", "needs_unembedding"})
            QVERIFY2(j.contains(key), key);
        QCOMPARE(j["weight_bytes"].get<int64_t>(), layerZeroBytes(llama().toStdString()));
        QCOMPARE(j["total_bytes"].get<int64_t>(), j["weight_bytes"].get<int64_t>() +
                                                      j["activation_bytes"].get<int64_t>() +
                                                      j["workspace_bytes"].get<int64_t>());
        QCOMPARE(j["layers_loaded"].get<int>(), 1);
        QCOMPARE(j["layers_total"].get<int>(), 3);
        QCOMPARE(j["needs_unembedding"].get<bool>(), false);
        QVERIFY(j["activation_bytes"].get<int64_t>() > 0);
    }

    void estimateQuantizedIsSmaller() {
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
        auto weights = [](const char* q) {
            const Run r = cli({"estimate", "--model", llama(), "--quant", q, "--hook",
                               "blocks.2.hook_resid_post"});
            return r.code == 0
                       ? nlohmann::json::parse(r.out.toStdString())["weight_bytes"].get<int64_t>()
                       : int64_t(-1);
        };
        const int64_t fp32 = weights("none"), int8 = weights("int8"), nf4 = weights("nf4");
        QVERIFY(fp32 > 0 && int8 > 0 && nf4 > 0);
        QVERIFY2(int8 < fp32 / 3, qPrintable(QStringLiteral("%1 vs %2").arg(int8).arg(fp32)));
        QVERIFY(nf4 < int8);
    }

    void estimateRefusesBadInput() {
        MISTUDIO_REQUIRE_FIXTURE("fixtures/models/llama");
        const Run q = cli({"estimate", "--model", llama(), "--quant", "int3", "--hook",
                           "blocks.0.hook_resid_post"});
        QVERIFY(q.code != 0);
        QVERIFY2(q.err.contains("int3") && q.err.contains("nf4"), q.err.constData());
        QVERIFY(q.out.isEmpty());
        const Run h = cli({"estimate", "--model", llama(), "--quant", "nf4", "--hook",
                           "blocks.7.hook_resid_post"}); // the fixture has 3 blocks
        QVERIFY(h.code != 0);
        QVERIFY2(h.err.contains("blocks.7.hook_resid_post"), h.err.constData());
        const Run m = cli({"estimate", "--model", "/nonexistent/model", "--quant", "nf4", "--hook",
                           "blocks.0.hook_resid_post"});
        QVERIFY(m.code != 0);
        QVERIFY2(m.err.contains("/nonexistent/model"), m.err.constData());
        const Run u = cli({"estimate", "--model", llama(), "--hook", "blocks.0.hook_resid_post"});
        QCOMPARE(u.code, 2); // --quant is required: a usage error
    }
};

QTEST_GUILESS_MAIN(TestQuantCli)
#include "test_quant_cli.moc"
