#pragma once
// Deterministic synthetic analysis results for the store tests: features with top, quantile and
// random examples over a small vocabulary, logit effects, histograms and neighbors.

#include "mistudio/project_types.h"

#include <random>
#include <string>
#include <vector>

namespace mistudio::test {

inline std::string tokenText(int32_t id) {
    static const char* words[] = {" the", " cat", "Dog", " sat", "\n", " on", "THE", " mat", "."};
    return id < 9 ? words[id] : " w" + std::to_string(id);
}

/// `count` features starting at `first`; each has `topK` top examples of `window` tokens,
/// 2 quantile bins of 2 examples and 1 random example. Activations are sparse (~1 in 6 > 0).
inline std::vector<FeatureRecord> makeFeatures(int64_t first, int64_t count, uint32_t seed,
                                               int topK = 5, int window = 8, int vocab = 40) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<FeatureRecord> out;
    for (int64_t f = first; f < first + count; ++f) {
        FeatureRecord r;
        r.stats.index = f;
        r.stats.density = std::floor(u(rng) * 50) / 1000.0; // ties on purpose
        r.stats.maxActivation = 1 + 9 * u(rng);
        r.stats.meanActivation = r.stats.maxActivation * u(rng) / 2;
        static const char* labels[] = {"",          "Cat facts", "cats and dogs",
                                       "100% sure", "the_end",   "apple"};
        r.stats.label = labels[rng() % 6];
        r.stats.notes = (rng() % 4 == 0) ? "check CAT later" : "";
        if (rng() % 3 == 0)
            r.stats.tags = {"animal"};
        if (rng() % 5 == 0)
            r.stats.tags.push_back("todo");
        r.stats.flags = uint32_t(rng() % 8);
        auto example = [&](ExampleKind kind, int bin, int rank) {
            FeatureExample e;
            e.kind = kind, e.bin = bin, e.rank = rank;
            e.binMin = bin, e.binMax = bin + 1, e.binContains = 0.1 * bin;
            e.documentId = int64_t(rng() % 1000), e.documentOffset = int64_t(rng() % 100);
            for (int t = 0; t < window; ++t) {
                e.tokenIds.push_back(int32_t(rng() % uint32_t(vocab)));
                e.tokens.push_back(tokenText(e.tokenIds.back()));
                e.activations.push_back(rng() % 6 == 0 ? u(rng) * 5 : 0.f);
            }
            return e;
        };
        for (int k = 0; k < topK; ++k)
            r.examples.push_back(example(ExampleKind::Top, 0, k));
        for (int b = 0; b < 2; ++b)
            for (int k = 0; k < 2; ++k)
                r.examples.push_back(example(ExampleKind::Quantile, b, k));
        r.examples.push_back(example(ExampleKind::Random, 0, 0));
        for (int k = 0; k < 3; ++k) {
            const int32_t a = int32_t(rng() % uint32_t(vocab)),
                          b = int32_t(rng() % uint32_t(vocab));
            r.logitsPositive.push_back({a, tokenText(a), 3.f - float(k)});
            r.logitsNegative.push_back({b, tokenText(b), -3.f + float(k)});
        }
        r.histogram.edges = {0.f, 0.5f, 1.f, 2.f};
        r.histogram.counts = {int64_t(rng() % 100), int64_t(rng() % 100), int64_t(rng() % 100)};
        r.neighbors = {{(f + 1) % 1000, 0.9f}, {(f + 7) % 1000, 0.5f}};
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace mistudio::test
