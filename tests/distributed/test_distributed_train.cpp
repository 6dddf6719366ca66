// Data-parallel training end to end through mistudio-cli: two ranks on 127.0.0.1 (Gloo, CPU)
// train the same sweep (TopK, BatchTopK with AuxK, JumpReLU, ReLU) as one process with the same
// global batch and seed; a killed rank stops the job with a message naming it and --resume
// completes; a checkpoint of another world size is refused unless --reshard.
#include "distributed/communicator.h"
#include "io/safetensors.h"
#include "sae/source.h"
#include "test_support.h"

#include <ATen/ATen.h>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace mistudio;

namespace {

// Tolerance for "equal within fp32 reduction": two ranks sum the gradient halves in another
// order than one process does (and BLAS may block 64 rows differently from 128). After 60 Adam
// steps the largest weight difference measured is 5e-7; 1e-5 leaves room for other BLAS builds
// while training each rank on its half alone gives clearly different weights.
constexpr double kWeightTol = 1e-5;
constexpr double kMetricRelTol = 1e-4;

struct Run {
    int rc;
    std::string out, err;
};

QStringList cliArgs(const QStringList& args) {
    return QStringList{"--quiet", "--threads", "1"} + args;
}

Run cli(const QStringList& args) {
    QProcess p;
    p.start(test::cliPath(), cliArgs(args));
    p.waitForFinished(600000);
    return {p.exitCode(), p.readAllStandardOutput().toStdString(),
            p.readAllStandardError().toStdString()};
}

/// JSON lines of stdout; `launch` prefixes rank 0's lines with "[rank 0] ".
std::vector<nlohmann::json> jsonLines(const std::string& out) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("[rank 0] ", 0) == 0)
            line = line.substr(9);
        if (!line.empty() && line[0] == '{')
            lines.push_back(nlohmann::json::parse(line));
    }
    return lines;
}

at::Tensor weights(const std::string& folder, const std::string& name) {
    return io::SafetensorsFile::open(folder + "/sae_weights.safetensors")->load(name, at::kFloat);
}

void compareNumbers(const nlohmann::json& a, const nlohmann::json& b, const std::string& what) {
    for (const auto& [key, va] : a.items()) {
        const nlohmann::json& vb = b.at(key);
        if (!va.is_number() || key == "tokens_per_s" || key == "world_size")
            continue;
        const double x = va.get<double>(), y = vb.get<double>();
        const bool ok = va.is_number_integer()
                            ? x == y
                            : std::abs(x - y) <= kMetricRelTol * std::max(1.0, std::abs(x));
        QVERIFY2(ok, (what + " " + key + ": " + va.dump() + " vs " + vb.dump()).c_str());
    }
}

} // namespace

class TestDistributedTrain : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void twoRanksMatchOneProcess();
    void killedRankStopsTheJobAndResumeCompletes();
    void otherWorldSizeNeedsReshard();

private:
    std::string writeRun(const std::string& name, int64_t tokens, double checkpointMinutes);
    void compareFolders(const std::string& a, const std::string& b);
    QTemporaryDir m_dir;
    std::string m_acts;
};

void TestDistributedTrain::initTestCase() {
    if (test::cliPath().isEmpty())
        QSKIP("MISTUDIO_CLI is not set");
    if (!dist::glooAvailable())
        QSKIP("built without c10d/Gloo (MISTUDIO_WITH_DISTRIBUTED=OFF)");
    sae::SyntheticSource::Options o;
    o.dIn = 16;
    o.nFeatures = 32;
    o.expectedL0 = 3;
    o.offsetNorm = 1;
    o.noiseStd = 0.01;
    sae::SyntheticSource source(o);
    m_acts = (m_dir.path() + "/acts.safetensors").toStdString();
    io::saveTensors(m_acts, {{"activations", source.next(5000)}});
}

std::string TestDistributedTrain::writeRun(const std::string& name, int64_t tokens,
                                           double checkpointMinutes) {
    const std::string out = (m_dir.path() + "/" + QString::fromStdString(name)).toStdString();
    // Global batch 128 (64 per rank). dead_window_tokens is short so AuxK runs on dead latents.
    const nlohmann::json common = {{"d_sae", 64}, {"batch_size", 128}, {"lr", 0.003}};
    nlohmann::json saes = nlohmann::json::array();
    saes.push_back({{"name", "topk"}, {"architecture", "topk"}, {"k", 4}});
    saes.push_back({{"name", "batchtopk"},
                    {"architecture", "batchtopk"},
                    {"k", 2},
                    {"d_sae", 256}, // wide and short-windowed: latents die and AuxK runs
                    {"dead_window_tokens", 512},
                    {"aux_k", 8},
                    {"threshold_start_step", 5}});
    saes.push_back({{"name", "jumprelu"}, {"architecture", "jumprelu"}, {"target_l0", 4}});
    saes.push_back({{"name", "relu"}, {"architecture", "relu"}, {"l1_coefficient", 1.0}});
    for (auto& s : saes) {
        nlohmann::json merged = common;
        merged.update(s);
        s = merged;
    }
    const nlohmann::json run = {{"model", "toy"},
                                {"hook", "blocks.0.hook_resid_post"},
                                {"activations", m_acts},
                                {"tokens", tokens},
                                {"seed", 3},
                                {"out", out},
                                {"log_every", 10},
                                {"eval_tokens", 1000},
                                {"normalization_tokens", 1024},
                                {"checkpoint_minutes", checkpointMinutes},
                                {"sae", saes}};
    const std::string path = out + ".json";
    std::ofstream(path) << run.dump(2);
    return path;
}

void TestDistributedTrain::compareFolders(const std::string& a, const std::string& b) {
    for (const char* sae : {"topk", "batchtopk", "jumprelu", "relu"})
        for (const char* t : {"W_enc", "b_enc", "W_dec", "b_dec"}) {
            const at::Tensor x = weights(a + "/" + sae, t), y = weights(b + "/" + sae, t);
            const double diff = (x - y).abs().max().item<double>();
            qInfo("%s/%s: max |difference| %.3g", sae, t, diff);
            QVERIFY2(diff <= kWeightTol,
                     (std::string(sae) + "/" + t + " differs by " + std::to_string(diff)).c_str());
        }
}

void TestDistributedTrain::twoRanksMatchOneProcess() {
    const std::string one = writeRun("one", 128 * 60, 0);
    const std::string two = writeRun("two", 128 * 60, 0);
    const Run r1 = cli({"train", "--config", QString::fromStdString(one)});
    QVERIFY2(r1.rc == 0, r1.err.c_str());
    const Run r2 = cli({"launch", "--nproc", "2", "--", "--quiet", "--threads", "1", "train",
                        "--config", QString::fromStdString(two)});
    QVERIFY2(r2.rc == 0, r2.err.c_str());
    // Only rank 0 prints metrics and writes the SAEs.
    QVERIFY(r2.out.find("[rank 1] {") == std::string::npos);
    const auto l1 = jsonLines(r1.out), l2 = jsonLines(r2.out);
    QCOMPARE(l2.size(), l1.size());
    QCOMPARE(l1.size(), size_t(4 * 6 + 4)); // 6 logging steps per SAE, then 4 evaluations
    for (size_t i = 0; i < l1.size(); ++i) {
        QCOMPARE(l2[i].value("sae", ""), l1[i].value("sae", ""));
        compareNumbers(l1[i], l2[i], "line " + std::to_string(i));
    }
    QCOMPARE(l1.back().at("world_size").get<int>(), 1);
    QCOMPARE(l2.back().at("world_size").get<int>(), 2);
    // AuxK really ran (dead latents) in the BatchTopK SAE, so its reduction was exercised.
    bool aux = false;
    for (const auto& l : l1)
        aux = aux || (l.value("sae", "") == "batchtopk" && l.value("aux_loss", 0.0) > 0);
    QVERIFY(aux);
    const std::string outOne = (m_dir.path() + "/one").toStdString();
    const std::string outTwo = (m_dir.path() + "/two").toStdString();
    compareFolders(outOne, outTwo);
}

void TestDistributedTrain::killedRankStopsTheJobAndResumeCompletes() {
    // A long run, checkpointed every ~0.3 s; rank 1 is killed (SIGKILL) once a checkpoint exists.
    const int64_t tokens = 128 * 600;
    const std::string config = writeRun("killed", tokens, 0.005);
    const std::string checkpoint =
        (m_dir.path() + "/killed/checkpoint/checkpoint.safetensors").toStdString();
    QProcess ranks[2];
    for (int r = 0; r < 2; ++r) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("RANK", QString::number(r));
        env.insert("WORLD_SIZE", "2");
        env.insert("MASTER_ADDR", "127.0.0.1");
        env.insert("MISTUDIO_DIST_TIMEOUT", "60"); // a silent peer fails the job within a minute
        env.insert("MASTER_PORT",
                   QString::number(20000 + QCoreApplication::applicationPid() % 20000));
        ranks[r].setProcessEnvironment(env);
        ranks[r].start(test::cliPath(),
                       cliArgs({"train", "--config", QString::fromStdString(config)}));
        QVERIFY(ranks[r].waitForStarted());
    }
    for (int i = 0; i < 1200 && !std::filesystem::exists(checkpoint); ++i)
        QTest::qWait(100);
    QVERIFY2(std::filesystem::exists(checkpoint), "no checkpoint was written");
    QCOMPARE(ranks[1].state(), QProcess::Running); // still training: the kill happens mid-run
    ranks[1].kill();
    ranks[1].waitForFinished();
    // Rank 0 stops by itself (no hang) with an error that names rank 1.
    QVERIFY2(ranks[0].waitForFinished(120000), "rank 0 did not stop after rank 1 died");
    QVERIFY(ranks[0].exitCode() != 0);
    const std::string err = ranks[0].readAllStandardError().toStdString();
    QVERIFY2(err.find("rank 1") != std::string::npos, err.c_str());
    QVERIFY2(err.find("--resume") != std::string::npos, err.c_str());
    // The checkpoint is whole and resuming completes.
    QVERIFY(io::SafetensorsFile::open(checkpoint)->metadata().count("mistudio_checkpoint"));
    const Run resumed = cli({"launch", "--nproc", "2", "--", "--quiet", "--threads", "1", "train",
                             "--config", QString::fromStdString(config), "--resume"});
    QVERIFY2(resumed.rc == 0, resumed.err.c_str());
    const auto lines = jsonLines(resumed.out);
    QVERIFY(!lines.empty());
    QCOMPARE(lines.back().at("world_size").get<int>(), 2);
    QVERIFY(QFileInfo::exists(m_dir.path() + "/killed/relu/sae_weights.safetensors"));
}

void TestDistributedTrain::otherWorldSizeNeedsReshard() {
    // The 2-rank run's final checkpoint, resumed by one process.
    const std::string two = (m_dir.path() + "/two.json").toStdString();
    if (!std::filesystem::exists(two))
        QSKIP("needs twoRanksMatchOneProcess");
    const Run refused = cli({"train", "--config", QString::fromStdString(two), "--resume"});
    QVERIFY(refused.rc != 0);
    QVERIFY2(refused.err.find("2 rank(s)") != std::string::npos &&
                 refused.err.find("--reshard") != std::string::npos,
             refused.err.c_str());
    const Run resharded =
        cli({"train", "--config", QString::fromStdString(two), "--resume", "--reshard"});
    QVERIFY2(resharded.rc == 0, resharded.err.c_str());
    QCOMPARE(jsonLines(resharded.out).back().at("world_size").get<int>(), 1);
}

QTEST_GUILESS_MAIN(TestDistributedTrain)
#include "test_distributed_train.moc"
