// kill -9 during feature writes: a child process appends batches in a loop and is killed at a
// random moment; the project must pass PRAGMA integrity_check and hold only whole batches.
#include "mistudio/project.h"
#include "store_test_data.h"

#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <random>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mistudio;

namespace {

constexpr int kBatch = 40;

// The child: opens the project itself (no SQLite state crosses fork) and writes forever,
// reporting each committed batch on the pipe.
[[noreturn]] void writeForever(const std::string& path, int reportFd) {
    try {
        Project p = Project::open(path);
        int64_t next = p.featureCount(1);
        for (;;) {
            p.writeFeatures(1, test::makeFeatures(next, kBatch, uint32_t(next), 8, 64));
            p.appendMetrics(1, {{next, "written", double(next + kBatch)}});
            next += kBatch;
            const char tick = 1;
            if (::write(reportFd, &tick, 1) != 1)
                ::_exit(3);
        }
    } catch (...) {
        ::_exit(2);
    }
}

std::string integrityCheck(const std::string& path) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
    std::string result;
    while (sqlite3_step(st) == SQLITE_ROW)
        result += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return result;
}

} // namespace

class TestStoreCrash : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killDuringBatchWritesLeavesWholeBatches();
};

void TestStoreCrash::killDuringBatchWritesLeavesWholeBatches() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("crash.mistudio").toStdString();
    Project::create(path).createRun({});
    std::mt19937 rng(1234);
    int64_t committedSoFar = 0;
    for (int round = 0; round < 5; ++round) {
        int fds[2];
        QCOMPARE(::pipe(fds), 0);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            writeForever(path, fds[1]);
        }
        ::close(fds[1]);
        // Let it commit a few batches, then kill it at a random point inside a later one.
        int ticks = 0;
        char c;
        while (ticks < 3 && ::read(fds[0], &c, 1) == 1)
            ++ticks;
        QCOMPARE(ticks, 3);
        ::usleep(useconds_t(rng() % 40000));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        QVERIFY2(WIFSIGNALED(status), "the writer stopped before it was killed");
        while (::read(fds[0], &c, 1) == 1)
            ++ticks; // ticks written just before the kill are committed too
        ::close(fds[0]);
        committedSoFar += ticks * kBatch;

        QCOMPARE(QString::fromStdString(integrityCheck(path)), QString("ok"));
        Project p = Project::open(path);
        const int64_t count = p.featureCount(1);
        QCOMPARE(count % kBatch, int64_t(0));
        QVERIFY(count >= committedSoFar); // nothing committed was lost
        QVERIFY(count <= committedSoFar + kBatch);
        committedSoFar = count;
        // The last feature of the last batch is complete.
        const FeaturePage last = p.featurePage(1, count - 1);
        QCOMPARE(int(last.topExamples.size()), 8);
        QCOMPARE(int(last.quantileExamples.size()), 4);
        QCOMPARE(int(last.randomExamples.size()), 1);
        QCOMPARE(last.topExamples[0].activations.size(), size_t(64));
        // The metric is its own transaction after the batch: the kill may fall between the two.
        const double written = p.metrics(1, "written").back().value;
        QVERIFY(written == double(count) || written == double(count - kBatch));
    }
}

QTEST_GUILESS_MAIN(TestStoreCrash)
#include "test_store_crash.moc"
