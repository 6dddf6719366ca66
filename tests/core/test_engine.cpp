// The job runner: ordering, cancellation latency, error capture, memory telemetry, tagged posts.
#include "mistudio/engine.h"
#include "mistudio/memory.h"

#include <QtTest>
#include <atomic>
#include <spdlog/spdlog.h>
#include <thread>

using namespace mistudio;
using namespace std::chrono_literals;

class TestEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void eventsArriveInOrderAndFinishedIsLast();
    void callbackSeesTheSameOrder();
    void cancellationStopsWithinOneSecond();
    void cancelledWhileQueuedNeverRuns();
    void exceptionBecomesFailedFinished();
    void memoryEventsCarryPlausibleRss();
    void spdlogInsideAJobBecomesLogEvent();
    void progressDerivesRateAndEta();
    void taggedPostsReplaceQueuedOnes();
    void postBlockingRethrows();
    void errorMessagesSayWhatWhereAndFix();
};

void TestEngine::eventsArriveInOrderAndFinishedIsLast() {
    Engine engine(10s); // no memory sampling noise beyond the first sample
    JobHandle h = engine.submit([](JobContext& ctx) {
        for (int i = 0; i < 200; ++i)
            ctx.metric(i, "loss", 1.0 / (i + 1));
    });
    const FinishedEvent fin = h.wait();
    QVERIFY(fin.ok);
    const auto events = h.takeEvents();
    int64_t expected = 0;
    for (size_t i = 0; i < events.size(); ++i) {
        if (const auto* m = std::get_if<MetricEvent>(&events[i])) {
            QCOMPARE(m->step, expected);
            ++expected;
        }
    }
    QCOMPARE(expected, int64_t(200));
    QVERIFY(std::holds_alternative<FinishedEvent>(events.back()));
}

void TestEngine::callbackSeesTheSameOrder() {
    Engine engine(10s);
    std::vector<int64_t> steps;
    std::atomic<int> finishedCount{0};
    uint64_t seenId = 0;
    JobOptions opts;
    opts.queueEvents = false;
    opts.onEvent = [&](uint64_t id, const JobEvent& e) {
        seenId = id;
        if (const auto* m = std::get_if<MetricEvent>(&e))
            steps.push_back(m->step);
        if (std::holds_alternative<FinishedEvent>(e))
            ++finishedCount;
    };
    JobHandle h = engine.submit(
        [](JobContext& ctx) {
            for (int i = 0; i < 50; ++i)
                ctx.metric(i, "l0", i);
        },
        opts);
    QVERIFY(h.wait().ok);
    QCOMPARE(seenId, h.id());
    QCOMPARE(finishedCount.load(), 1);
    QCOMPARE(int(steps.size()), 50);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(steps[i], int64_t(i));
    QVERIFY(h.takeEvents().empty()); // queueEvents = false
}

void TestEngine::cancellationStopsWithinOneSecond() {
    Engine engine;
    std::atomic<bool> started{false};
    JobHandle h = engine.submit([&](JobContext& ctx) {
        started = true;
        for (;;) { // a long stage that checks every 5 ms of work
            std::this_thread::sleep_for(5ms);
            ctx.throwIfCancelled();
        }
    });
    while (!started)
        std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(100ms);
    const auto t0 = std::chrono::steady_clock::now();
    h.cancel();
    const auto fin = h.waitFor(1s);
    QVERIFY2(fin.has_value(), "job did not stop within 1 s of cancel()");
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    QVERIFY(elapsed < 1s);
    QVERIFY(!fin->ok);
    QCOMPARE(fin->error.code, ErrorCode::Cancelled);
}

void TestEngine::cancelledWhileQueuedNeverRuns() {
    Engine engine;
    std::atomic<bool> release{false};
    std::atomic<bool> secondRan{false};
    JobHandle first = engine.submit([&](JobContext&) {
        while (!release)
            std::this_thread::sleep_for(1ms);
    });
    JobHandle second = engine.submit([&](JobContext&) { secondRan = true; });
    second.cancel();
    release = true;
    QVERIFY(first.wait().ok);
    const FinishedEvent fin = second.wait();
    QVERIFY(!fin.ok);
    QCOMPARE(fin.error.code, ErrorCode::Cancelled);
    QVERIFY(!secondRan);
}

void TestEngine::exceptionBecomesFailedFinished() {
    Engine engine;
    JobHandle h1 = engine.submit([](JobContext&) {
        throw Exception(ErrorCode::InvalidFormat, "header is not JSON", "model.safetensors",
                        "Download the file again");
    });
    JobHandle h2 = engine.submit([](JobContext&) { throw std::runtime_error("boom at step 7"); });
    const FinishedEvent f1 = h1.wait();
    QVERIFY(!f1.ok);
    QCOMPARE(f1.error.code, ErrorCode::InvalidFormat);
    QVERIFY(f1.error.message.find("model.safetensors") != std::string::npos);
    const FinishedEvent f2 = h2.wait();
    QVERIFY(!f2.ok);
    QCOMPARE(f2.error.code, ErrorCode::Internal);
    QCOMPARE(QString::fromStdString(f2.error.message), QStringLiteral("boom at step 7"));
    // The engine survives failed jobs.
    QVERIFY(engine.submit([](JobContext&) {}).wait().ok);
}

void TestEngine::memoryEventsCarryPlausibleRss() {
    Engine engine(100ms);
    constexpr size_t kBytes = 64u << 20;
    JobHandle h = engine.submit([&](JobContext& ctx) {
        std::vector<char> block(kBytes, 1); // touched: counts in RSS
        for (int i = 0; i < 60; ++i) {
            std::this_thread::sleep_for(10ms);
            ctx.throwIfCancelled();
        }
        QVERIFY(block[kBytes - 1] == 1);
    });
    QVERIFY(h.wait().ok);
    int count = 0;
    int64_t maxRss = 0;
    for (const auto& e : h.takeEvents()) {
        if (const auto* m = std::get_if<MemoryEvent>(&e)) {
            ++count;
            QVERIFY(m->cpuRss > (8 << 20)); // a process with LibTorch loaded
            QVERIFY(m->cpuRss < (int64_t(64) << 30));
            QVERIFY(m->cpuPeakRss >= m->cpuRss);
            maxRss = std::max(maxRss, m->cpuRss);
        }
    }
    QVERIFY2(count >= 3, qPrintable(QStringLiteral("only %1 memory samples in 600 ms").arg(count)));
    QVERIFY(maxRss >= int64_t(kBytes));
    // Outside a job, the sampler agrees with /proc.
    QVERIFY(sampleMemory().cpuRss > 0);
}

void TestEngine::spdlogInsideAJobBecomesLogEvent() {
    Engine engine(10s);
    JobHandle h = engine.submit([](JobContext& ctx) {
        spdlog::info("loading {} layers", 4);
        ctx.log(LogLevel::Warn, "fp16 overflow risk");
    });
    QVERIFY(h.wait().ok);
    std::vector<std::string> texts;
    for (const auto& e : h.takeEvents())
        if (const auto* l = std::get_if<LogEvent>(&e))
            texts.push_back(l->text);
    QCOMPARE(int(texts.size()), 2);
    QCOMPARE(QString::fromStdString(texts[0]), QStringLiteral("loading 4 layers"));
    QCOMPARE(QString::fromStdString(texts[1]), QStringLiteral("fp16 overflow risk"));
}

void TestEngine::progressDerivesRateAndEta() {
    Engine engine(10s);
    JobHandle h = engine.submit([](JobContext& ctx) {
        for (int i = 0; i <= 10; ++i) {
            ctx.progress("extract", i * 100, 1000, "tokens");
            std::this_thread::sleep_for(20ms);
        }
    });
    QVERIFY(h.wait().ok);
    ProgressEvent last;
    for (const auto& e : h.takeEvents())
        if (const auto* p = std::get_if<ProgressEvent>(&e))
            last = *p;
    QCOMPARE(last.stage, std::string("extract"));
    QCOMPARE(last.done, 1000.0);
    // 100 tokens per ~20 ms: ~5000 tokens/s, allow for a slow, loaded machine.
    QVERIFY2(last.rate > 1000 && last.rate < 6000, qPrintable(QString::number(last.rate)));
    QCOMPARE(last.etaSeconds, 0.0);
}

void TestEngine::taggedPostsReplaceQueuedOnes() {
    Engine engine;
    std::atomic<bool> release{false};
    std::vector<int> ran;
    engine.post([&] {
        while (!release)
            std::this_thread::sleep_for(1ms);
    });
    for (int i = 1; i <= 5; ++i)
        engine.post("hover", [&ran, i] { ran.push_back(i); });
    engine.post("other", [&ran] { ran.push_back(100); });
    release = true;
    engine.postBlocking([] {});
    QCOMPARE(ran, (std::vector<int>{5, 100}));
}

void TestEngine::postBlockingRethrows() {
    Engine engine;
    bool caught = false;
    try {
        engine.postBlocking([] { throw std::runtime_error("task failed"); });
    } catch (const std::runtime_error& e) {
        caught = std::string(e.what()) == "task failed";
    }
    QVERIFY(caught);
}

void TestEngine::errorMessagesSayWhatWhereAndFix() {
    const Error e = Error::make(ErrorCode::NotFound, "no tensor 'lm_head.weight'",
                                "model.safetensors", "Check the model family");
    QCOMPARE(
        QString::fromStdString(e.message),
        QStringLiteral("no tensor 'lm_head.weight' (model.safetensors). Check the model family"));
    QCOMPARE(QString(errorCodeName(ErrorCode::OutOfMemory)), QStringLiteral("out_of_memory"));
    auto r = captureErrors([]() -> int { throw std::bad_alloc(); });
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::OutOfMemory);
    auto ok = captureErrors([] { return 42; });
    QVERIFY(ok.ok());
    QCOMPARE(ok.value(), 42);
}

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
