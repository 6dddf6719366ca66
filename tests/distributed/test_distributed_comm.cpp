// Communicator collectives between two Gloo ranks (threads of this process over a FileStore),
// checked against values computed by hand; ShardedSource against the unsharded stream; DistEnv
// errors; the cluster-job export.
#include "distributed/communicator.h"
#include "distributed/sharded_source.h"
#include "mistudio/cluster_job.h"
#include "mistudio/result.h"
#include "sae/source.h"
#include "test_support.h"

#include <ATen/ATen.h>
#include <QTemporaryDir>
#include <QtTest>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

using namespace mistudio;

class TestDistributedComm : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void allReduceSumMeanMaxMinAcrossBuckets();
    void broadcastAndBarrier();
    void deadRankIsNamed();
    void shardedSourceSplitsTheGlobalBatch();
    void environmentErrorsNameTheVariable();
    void clusterJobWritesRunAndScripts();

private:
    /// Runs body(comm) on two ranks (threads), each with its own Gloo communicator.
    void twoRanks(const std::function<void(dist::Communicator&)>& body, bool killRank1 = false);
    QTemporaryDir m_dir;
    int m_store = 0;
};

void TestDistributedComm::twoRanks(const std::function<void(dist::Communicator&)>& body,
                                   bool killRank1) {
    if (!dist::glooAvailable())
        QSKIP("built without c10d/Gloo (MISTUDIO_WITH_DISTRIBUTED=OFF)");
    const std::string store = (m_dir.path() + "/store" + QString::number(m_store++)).toStdString();
    std::string errors[2];
    auto rank = [&](int r) {
        try {
            dist::DistEnv e;
            e.rank = r;
            e.worldSize = 2;
            e.storeFile = store;
            e.timeoutSeconds = 30;
            auto comm = dist::makeGlooCommunicator(e);
            if (killRank1 && r == 1) {
                comm->announceFailure("out of memory at step 7");
                return; // destroying the communicator closes its connections
            }
            body(*comm);
        } catch (const std::exception& ex) {
            errors[r] = ex.what();
        }
    };
    std::thread t1(rank, 1);
    rank(0);
    t1.join();
    if (!killRank1) {
        QVERIFY2(errors[0].empty(), errors[0].c_str());
        QVERIFY2(errors[1].empty(), errors[1].c_str());
    } else {
        QVERIFY(!errors[0].empty());
        QVERIFY2(errors[0].find("rank 1 failed: out of memory at step 7") != std::string::npos,
                 errors[0].c_str());
    }
}

void TestDistributedComm::allReduceSumMeanMaxMinAcrossBuckets() {
    twoRanks([](dist::Communicator& c) {
        const double r = c.rank();
        QCOMPARE(c.worldSize(), 2);
        // Three float tensors, one int64, one double: with 64-byte buckets they span several.
        c.bucketBytes = 64;
        at::Tensor a = at::arange(10, at::kFloat) + r * 100; // rank0: i, rank1: i + 100
        at::Tensor b = at::full({3, 2}, 1.0 + r, at::kFloat);
        at::Tensor i = at::tensor({int64_t(1), int64_t(2)}) * (static_cast<int64_t>(r) + 1);
        at::Tensor d = at::full({1}, 0.25 + r, at::kDouble);
        at::Tensor e = at::full({20}, r == 0 ? -3.0 : 5.0, at::kFloat);
        c.allReduce({a, b, i, d, e}, dist::ReduceOp::Sum);
        QVERIFY(at::equal(a, at::arange(10, at::kFloat) * 2 + 100));
        QVERIFY(at::equal(b, at::full({3, 2}, 3.0f)));
        QVERIFY(at::equal(i, at::tensor({int64_t(3), int64_t(6)})));
        QCOMPARE(d.item<double>(), 1.5);
        QVERIFY(at::equal(e, at::full({20}, 2.0f)));
        at::Tensor m = at::full({5}, r == 0 ? 1.0 : 4.0, at::kFloat);
        c.allReduce(m, dist::ReduceOp::Mean);
        QVERIFY(at::equal(m, at::full({5}, 2.5f)));
        at::Tensor mx = at::tensor({r, 1 - r, 7.0}, at::kFloat);
        at::Tensor mn = mx.clone();
        c.allReduce(mx, dist::ReduceOp::Max);
        c.allReduce(mn, dist::ReduceOp::Min);
        QVERIFY(at::equal(mx, at::tensor({1.0f, 1.0f, 7.0f})));
        QVERIFY(at::equal(mn, at::tensor({0.0f, 0.0f, 7.0f})));
        QCOMPARE(c.allReduce(r + 0.5, dist::ReduceOp::Min), 0.5);
        QVERIFY_THROWS_EXCEPTION(Exception, c.allReduce(i, dist::ReduceOp::Mean));
        QVERIFY(c.allReduceSeconds() > 0);
    });
}

void TestDistributedComm::broadcastAndBarrier() {
    twoRanks([](dist::Communicator& c) {
        at::Tensor w = at::full({4, 3}, static_cast<float>(c.rank() + 1));
        at::Tensor v = at::arange(5, at::kLong) * (c.rank() + 1);
        c.broadcast({w, v}, 1);
        QVERIFY(at::equal(w, at::full({4, 3}, 2.0f)));
        QVERIFY(at::equal(v, at::arange(5, at::kLong) * 2));
        c.barrier();
    });
}

void TestDistributedComm::deadRankIsNamed() {
    // Rank 1 announces its failure and leaves; rank 0's next collective fails and names it.
    twoRanks(
        [](dist::Communicator& c) {
            at::Tensor t = at::ones({4});
            c.allReduce(t, dist::ReduceOp::Sum);
        },
        true);
}

void TestDistributedComm::shardedSourceSplitsTheGlobalBatch() {
    const at::Tensor data = at::randn({50, 4});
    sae::TensorSource global(data, true, 7);
    sae::TensorSource s0(data, true, 7), s1(data, true, 7), s2(data, true, 7);
    dist::ShardedSource r0(s0, 0, 3), r1(s1, 1, 3), r2(s2, 2, 3);
    for (int step = 0; step < 8; ++step) { // crosses epochs (50 rows, 12 per step)
        const at::Tensor whole = global.next(12);
        const at::Tensor parts = at::cat({r0.next(4), r1.next(4), r2.next(4)});
        QVERIFY(at::equal(whole, parts));
    }
    // The state is the global stream's: identical on every rank and restorable.
    QCOMPARE(r0.state().info, global.state().info);
    const sae::SourceState st = r1.state();
    const at::Tensor after = r1.next(4);
    r1.restore(st);
    QVERIFY(at::equal(r1.next(4), after));
    QVERIFY_THROWS_EXCEPTION(Exception, dist::ShardedSource(s0, 3, 3));
}

void TestDistributedComm::environmentErrorsNameTheVariable() {
    auto message = [] {
        try {
            dist::DistEnv::fromEnvironment();
        } catch (const Exception& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    ::setenv("WORLD_SIZE", "2", 1);
    ::unsetenv("RANK");
    QVERIFY(message().find("RANK is not") != std::string::npos);
    ::setenv("RANK", "2", 1);
    QVERIFY(message().find("RANK='2'") != std::string::npos);
    ::setenv("RANK", "1", 1);
    ::setenv("MASTER_PORT", "http", 1);
    QVERIFY(message().find("MASTER_PORT='http'") != std::string::npos);
    ::setenv("MASTER_PORT", "1234", 1);
    ::setenv("MASTER_ADDR", "10.0.0.5", 1);
    const dist::DistEnv e = dist::DistEnv::fromEnvironment();
    QCOMPARE(e.rank, 1);
    QCOMPARE(e.worldSize, 2);
    QCOMPARE(e.masterPort, 1234);
    QCOMPARE(e.masterAddr, std::string("10.0.0.5"));
    for (const char* v : {"WORLD_SIZE", "RANK", "MASTER_PORT", "MASTER_ADDR"})
        ::unsetenv(v);
    QCOMPARE(dist::communicatorFromEnvironment()->worldSize(), 1);
}

void TestDistributedComm::clusterJobWritesRunAndScripts() {
    const std::string dir = (m_dir.path() + "/job").toStdString();
    ClusterJobOptions o;
    o.nodes = 2;
    o.gpusPerNode = 4;
    o.partition = "gpu";
    o.cli = "/opt/mistudio/bin/mistudio-cli";
    const std::string run = R"({"out": "/shared/runs/a", "tokens": 1000, "sae": {"k": 32}})";
    const ClusterJobFiles f = writeClusterJob(run, o, dir);
    auto read = [](const std::string& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    QCOMPARE(nlohmann::json::parse(read(f.runJson)), nlohmann::json::parse(run));
    const std::string tr = read(f.torchrunScript), sb = read(f.slurmScript);
    for (const char* want : {"--nnodes=2", "--nproc-per-node=4", "--master-port=29500",
                             "--no-python", "'/opt/mistudio/bin/mistudio-cli' train --config '"})
        QVERIFY2(tr.find(want) != std::string::npos, want);
    for (const char* want :
         {"#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4", "#SBATCH --partition=gpu",
          "RANK=$SLURM_PROCID", "WORLD_SIZE=$SLURM_NTASKS", "LOCAL_RANK=$SLURM_LOCALID",
          "export MASTER_PORT=29500", "srun --kill-on-bad-exit=1"})
        QVERIFY2(sb.find(want) != std::string::npos, want);
    QVERIFY(tr.find(f.runJson) != std::string::npos && sb.find(f.runJson) != std::string::npos);
    QVERIFY((std::filesystem::status(f.slurmScript).permissions() &
             std::filesystem::perms::owner_exec) != std::filesystem::perms::none);
    // The scripts are valid shell.
    for (const std::string& s : {f.torchrunScript, f.slurmScript})
        QCOMPARE(std::system(("bash -n '" + s + "'").c_str()), 0);
    o.nodes = 0;
    QVERIFY_THROWS_EXCEPTION(Exception, writeClusterJob(run, o, dir));
    o.nodes = 1;
    QVERIFY_THROWS_EXCEPTION(Exception, writeClusterJob(R"({"tokens": 1})", o, dir));
    QVERIFY_THROWS_EXCEPTION(Exception, writeClusterJob("{oops", o, dir));
}

QTEST_GUILESS_MAIN(TestDistributedComm)
#include "test_distributed_comm.moc"
