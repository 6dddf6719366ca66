#pragma once
// Streaming per-feature statistics for the analysis job, in O(d_sae * k) memory. Fed batches of
// SAE codes with the windows' token ids and provenance; see mistudio/analysis.h for the two passes.

#include "mistudio/project_types.h"

#include <ATen/ATen.h>
#include <cstdint>
#include <random>
#include <vector>

namespace mistudio::analysis {

/// W windows of T tokens and their codes. codes must be zero where include is 0.
struct CodeBatch {
    at::Tensor codes;              // [W, T, d_sae] float32, CPU, contiguous
    std::vector<int32_t> tokens;   // W * T
    std::vector<int64_t> document; // W * T; -1 where no document token
    std::vector<int32_t> position; // W * T; token index in the document, -1 for BOS/PAD
    int64_t includedTokens = 0;    // positions counted in the statistics
};

struct AccumulatorOptions {
    int topK = 20;
    int contextRadius = 8;
    int quantileBins = 10;
    int perBin = 5;
    int histogramBins = 32;
    uint64_t seed = 0;
};

class FeatureAccumulator {
public:
    FeatureAccumulator(int64_t dSae, AccumulatorOptions options);

    /// Pass 1: counts, sums, extremes and top-k windows.
    void observeFirst(const CodeBatch& batch);
    /// Pass 2 (after every observeFirst): histograms and quantile reservoirs.
    void observeSecond(const CodeBatch& batch);

    int64_t dSae() const { return m_dSae; }
    int64_t tokens() const { return m_tokens; }
    int64_t firingCount(int64_t f) const { return m_count[f]; }
    double maxActivation(int64_t f) const { return m_max[f]; }
    /// Density, max and mean (over firing tokens) of feature f; flags are left 0.
    FeatureStats stats(int64_t f) const;
    /// Top examples, best first (ties: the earlier window first).
    std::vector<FeatureExample> topExamples(int64_t f) const;
    /// Quantile examples, highest bin first, then in sampling order.
    std::vector<FeatureExample> quantileExamples(int64_t f) const;
    Histogram histogram(int64_t f) const;
    /// Releases the examples of features below `end` once written.
    void release(int64_t end);

private:
    struct Top {
        float value;
        int64_t window; // global window index
        FeatureExample example;
    };
    FeatureExample context(const CodeBatch& b, const at::TensorAccessor<float, 3>& codes, int64_t w,
                           int64_t t, int64_t f) const;
    void offerTop(int64_t f, float value, int64_t window, const CodeBatch& b,
                  const at::TensorAccessor<float, 3>& codes, int64_t w, int64_t t);
    int histogramBin(int64_t f, float v) const;

    int64_t m_dSae;
    AccumulatorOptions m_opt;
    int64_t m_tokens = 0;
    int64_t m_windowsFirst = 0, m_windowsSecond = 0;
    std::vector<int64_t> m_count;
    std::vector<double> m_sum;
    std::vector<float> m_max, m_minPositive;
    std::vector<std::vector<Top>> m_top;             // sorted best first
    std::vector<int64_t> m_hist;                     // [d_sae * histogramBins]
    std::vector<int64_t> m_binSeen;                  // [d_sae * quantileBins]
    std::vector<std::vector<FeatureExample>> m_bins; // [d_sae * quantileBins]
    std::mt19937_64 m_rng;
};

} // namespace mistudio::analysis
