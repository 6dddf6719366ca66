// `mistudio-cli bench store`: builds a synthetic project of N features (20 examples of 64 tokens
// each, logit effects, histograms, neighbors) in a temporary file and times the UI's queries.
#include "cli.h"
#include "mistudio/project.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mistudio::cli {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// xorshift64*: fast and deterministic; the data only has to look like analysis output.
struct Rng {
    uint64_t s;
    uint64_t next() {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        return s * 2685821657736338717ull;
    }
    float uniform() { return float(next() >> 40) / float(1 << 24); }
    uint32_t below(uint32_t n) { return uint32_t(next() % n); }
};

constexpr int kVocab = 50257;

std::string tokenString(int32_t id) {
    return " tok" + std::to_string(id);
}

FeatureExample syntheticExample(const std::vector<int32_t>& preferred, int window, float peak,
                                Rng& rng) {
    FeatureExample e;
    e.documentId = rng.below(1000000);
    e.documentOffset = rng.below(1024);
    for (int t = 0; t < window; ++t) {
        const bool fires = rng.uniform() < 0.1f;
        const bool usual = fires && rng.uniform() < 0.8f;
        e.tokenIds.push_back(usual ? preferred[rng.below(uint32_t(preferred.size()))]
                                   : int32_t(rng.below(kVocab)));
        e.activations.push_back(fires ? peak * rng.uniform() : 0.f);
    }
    const int at = int(rng.below(uint32_t(window)));
    e.activations[size_t(at)] = peak; // the example's peak
    e.tokenIds[size_t(at)] = preferred[0];
    return e;
}

FeatureRecord syntheticFeature(int64_t index, int examples, int window, Rng& rng) {
    static const char* topics[] = {"French words",   "closing brackets", "numbers in dates",
                                   "legal language", "the word 'the'",   "Python code"};
    FeatureRecord r;
    r.stats.index = index;
    r.stats.density = std::pow(10.0, -6.0 + 5.0 * rng.uniform());
    r.stats.maxActivation = 1 + 19 * rng.uniform();
    r.stats.meanActivation = r.stats.maxActivation * 0.3 * rng.uniform();
    const double d = r.stats.density;
    r.stats.flags = (d < 2e-6 ? uint32_t(FeatureDead) : 0u) |
                    (d > 0.05 ? uint32_t(FeatureDense) : 0u) |
                    (d < 1e-5 ? uint32_t(FeatureUltraRare) : 0u);
    if (rng.uniform() < 0.1f)
        r.stats.label = topics[rng.below(6)];
    std::vector<int32_t> preferred;
    for (int i = 0; i < 6; ++i)
        preferred.push_back(int32_t(rng.below(kVocab)));
    const int top = examples / 2;
    for (int k = 0; k < examples; ++k) {
        const bool isTop = k < top;
        const float peak = float(r.stats.maxActivation) * (isTop ? 1.f - 0.02f * k : rng.uniform());
        FeatureExample e = syntheticExample(preferred, window, peak, rng);
        e.kind = isTop ? ExampleKind::Top : ExampleKind::Quantile;
        e.bin = isTop ? 0 : (k - top) / 2;
        e.rank = isTop ? k : (k - top) % 2;
        r.examples.push_back(std::move(e));
    }
    for (int k = 0; k < 10; ++k) {
        r.logitsPositive.push_back({int32_t(rng.below(kVocab)), {}, 2.f - 0.1f * k});
        r.logitsNegative.push_back({int32_t(rng.below(kVocab)), {}, -2.f + 0.1f * k});
    }
    for (int b = 0; b <= 20; ++b)
        r.histogram.edges.push_back(float(std::pow(10.0, -3.0 + 0.2 * b)));
    for (int b = 0; b < 20; ++b)
        r.histogram.counts.push_back(int64_t(rng.below(5000)));
    for (int k = 0; k < 10; ++k)
        r.neighbors.push_back({int64_t(rng.next() % 65536), 0.9f - 0.05f * float(k)});
    return r;
}

double buildStore(Project& p, int64_t runId, int64_t features, int examples, int window) {
    const auto t0 = Clock::now();
    std::vector<std::pair<int32_t, std::string>> vocab;
    for (int32_t t = 0; t < kVocab; ++t)
        vocab.emplace_back(t, tokenString(t));
    p.writeTokenStrings(runId, vocab);
    Rng rng{0x9E3779B97F4A7C15ull};
    constexpr int64_t kBatch = 1024; // what the analysis job writes per transaction
    for (int64_t first = 0; first < features; first += kBatch) {
        std::vector<FeatureRecord> batch;
        for (int64_t f = first; f < std::min(features, first + kBatch); ++f)
            batch.push_back(syntheticFeature(f, examples, window, rng));
        p.writeFeatures(runId, batch);
        std::fprintf(stderr, "\rbuilding: %lld / %lld features",
                     static_cast<long long>(first + kBatch), static_cast<long long>(features));
    }
    std::fprintf(stderr, "\n");
    return msSince(t0) / 1000.0;
}

struct Timing {
    std::string name;
    double medianMs;
    double maxMs;
    int64_t matches;
};

Timing timeQuery(const Project& p, int64_t runId, const std::string& name, FeatureQuery q,
                 int64_t features, Rng& rng) {
    std::vector<double> ms;
    int64_t matches = 0;
    for (int rep = 0; rep < 7; ++rep) {
        q.offset = rep == 0 ? 0 : int64_t(rng.below(uint32_t(std::max<int64_t>(1, features / 2))));
        q.limit = 100;
        const auto t0 = Clock::now();
        matches = p.queryFeatures(runId, q).total;
        ms.push_back(msSince(t0));
    }
    std::sort(ms.begin(), ms.end());
    return {name, ms[ms.size() / 2], ms.back(), matches};
}

std::vector<Timing> timePages(const Project& p, int64_t runId, int64_t features) {
    Rng rng{42};
    std::vector<std::pair<std::string, FeatureQuery>> mix;
    auto add = [&](const std::string& name, auto edit) {
        FeatureQuery q;
        edit(q);
        mix.emplace_back(name, q);
    };
    add("index asc", [](FeatureQuery&) {});
    add("density desc",
        [](FeatureQuery& q) { q.sort = FeatureSort::Density, q.descending = true; });
    add("max desc",
        [](FeatureQuery& q) { q.sort = FeatureSort::MaxActivation, q.descending = true; });
    add("mean asc", [](FeatureQuery& q) { q.sort = FeatureSort::MeanActivation; });
    add("label asc", [](FeatureQuery& q) { q.sort = FeatureSort::Label; });
    add("density 1e-4..1e-2, max desc", [](FeatureQuery& q) {
        q.minDensity = 1e-4, q.maxDensity = 1e-2, q.sort = FeatureSort::MaxActivation;
        q.descending = true;
    });
    add("not dead/dense, density desc", [](FeatureQuery& q) {
        q.excludeFlags = FeatureDead | FeatureDense, q.sort = FeatureSort::Density;
        q.descending = true;
    });
    add("label/notes ~ 'code', max desc", [](FeatureQuery& q) {
        q.text = "code", q.sort = FeatureSort::MaxActivation, q.descending = true;
    });
    add("fires on ' tok123', max desc", [](FeatureQuery& q) {
        q.firesOnToken = tokenString(123), q.sort = FeatureSort::MaxActivation;
        q.descending = true;
    });
    add("fires on id 777 + density range", [](FeatureQuery& q) {
        q.firesOnTokenId = 777, q.minDensity = 1e-5, q.sort = FeatureSort::Density;
    });
    // The first query after opening loads the run's statistics (as the browser's first view does).
    const auto t0 = Clock::now();
    p.queryFeatures(runId, FeatureQuery{});
    std::vector<Timing> out{{"first query after open (cold)", msSince(t0), msSince(t0), features}};
    for (const auto& [name, q] : mix)
        out.push_back(timeQuery(p, runId, name, q, features, rng));
    return out;
}

} // namespace

int runBenchStore(ArgParser& args) {
    const int64_t features = args.intOr("--features", 65536);
    const int examples = int(args.intOr("--examples", 20));
    const int window = int(args.intOr("--window", 64));
    const auto keep = args.value("--keep");
    args.finish();
    if (features < 1 || examples < 2 || window < 1)
        throw UsageError("--features, --window must be >= 1 and --examples >= 2");
    const std::string path =
        keep ? *keep
             : (fs::temp_directory_path() /
                ("mistudio-bench-store-" + std::to_string(::getpid()) + ".mistudio"))
                   .string();
    struct Cleanup {
        std::string path;
        bool active;
        ~Cleanup() {
            if (!active)
                return;
            std::error_code ec;
            for (const char* suffix : {"", "-wal", "-shm"})
                fs::remove(path + suffix, ec);
            fs::remove_all(fs::path(path).replace_extension(".assets"), ec);
        }
    } cleanup{path, !keep};

    double buildS = 0;
    {
        Project p = Project::create(path);
        RunRecord run;
        run.hook = "blocks.6.hook_resid_post", run.architecture = "topk", run.dSae = features;
        const int64_t runId = p.createRun(run);
        buildS = buildStore(p, runId, features, examples, window);
        p.setRunStatus(runId, RunStatus::Done);
    } // closing checkpoints the WAL into the file
    const double fileMb = double(fs::file_size(path)) / (1024.0 * 1024.0);

    const Project p = Project::open(path);
    const auto pages = timePages(p, 1, features);
    Rng rng{7};
    std::vector<double> featureMs;
    for (int i = 0; i < 200; ++i) {
        const auto t0 = Clock::now();
        const FeaturePage page = p.featurePage(1, int64_t(rng.next() % uint64_t(features)));
        featureMs.push_back(msSince(t0));
        if (int(page.topExamples.size() + page.quantileExamples.size()) != examples)
            throw std::runtime_error("bench store: a feature page lost examples");
    }
    std::sort(featureMs.begin(), featureMs.end());

    std::printf("store: %lld features x %d examples x %d tokens, built in %.1f s, file %.1f MiB\n",
                static_cast<long long>(features), examples, window, buildS, fileMb);
    std::printf("%-34s %10s %10s %10s\n", "page query (100 rows + count)", "median ms", "max ms",
                "matches");
    double pageMs = 0, pageMax = 0;
    for (const auto& t : pages) {
        const bool cold = &t == &pages.front();
        std::printf("%-34s %10.2f %10.2f %10lld\n", t.name.c_str(), t.medianMs, t.maxMs,
                    static_cast<long long>(t.matches));
        if (cold)
            continue;
        pageMs = std::max(pageMs, t.medianMs);
        pageMax = std::max(pageMax, t.maxMs);
    }
    const double featureMedian = featureMs[featureMs.size() / 2];
    std::printf("%-34s %10.2f %10.2f %10d\n", "feature page (200 random)", featureMedian,
                featureMs.back(), 200);
    nlohmann::json j = {{"page_ms", pageMs},
                        {"page_cold_ms", pages.front().medianMs},
                        {"page_ms_max", pageMax},
                        {"feature_ms", featureMedian},
                        {"feature_ms_max", featureMs.back()},
                        {"build_s", buildS},
                        {"file_mb", fileMb},
                        {"features", features},
                        {"examples", examples},
                        {"window", window}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
}

} // namespace mistudio::cli
