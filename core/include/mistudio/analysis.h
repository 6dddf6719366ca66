#pragma once
// The feature analysis job: streams N dataset tokens through the model up to a run's hook, encodes
// them with the run's SAE and writes every feature's page to the project (density, max/mean,
// histogram, top and quantile examples, logit effects, decoder neighbours). No LibTorch here.
//
// Two passes over the same deterministic token windows (the model is run twice):
//  1. density, max, mean, smallest non-zero activation and the top-k contexts (one per window,
//     centred on the window's peak); the statistics are written when the pass ends;
//  2. with each feature's exact max known, the activation histogram (log-spaced bins between its
//     smallest and largest activation) and the quantile examples: bin b holds activations in
//     [b, b + 1) * max / bins, and each bin keeps a uniform reservoir sample of its tokens.
// Both passes keep O(d_sae * k) memory whatever the number of tokens.

#include "mistudio/engine.h"
#include "mistudio/project.h"

#include <cstdint>
#include <string>

namespace mistudio {

struct AnalysisOptions {
    int64_t tokens = 1'000'000; // dataset tokens analysed (special tokens not counted)
    std::string dataset;        // local file or folder; empty: the run's dataset record
    std::string textField = "text";
    std::string modelPath; // model folder; empty: the run's model record (local path)
    std::string device = "cpu";
    int contextLength = 128; // tokens per window given to the model
    int contextRadius = 8;   // an example shows +-radius tokens around its peak
    int topK = 20;           // top activating examples per feature
    int quantileBins = 10;   // activation bins of [0, max]
    int perBin = 5;          // examples sampled per bin
    int histogramBins = 32;  // log-spaced
    int logitTokens = 10;    // promoted and suppressed tokens each
    int neighbors = 10;      // nearest features by decoder cosine
    int64_t batchTokens = 0; // tokens per forward; 0: chosen from d_sae (~256 MB of codes)
    int writeBatch = 512;    // features per project transaction
    double denseThreshold = 0.1;
    double ultraRareThreshold = 1e-6;
    uint64_t seed = 0; // reservoir sampling
};

struct AnalysisSummary {
    int64_t tokens = 0; // tokens analysed
    int64_t features = 0;
    int64_t dead = 0, dense = 0, ultraRare = 0;
};

/// Runs the analysis of `runId` (a done run with an SAE folder). Progress and cancellation go
/// through `ctx`; results are written to `project` in batches. Throws mistudio::Exception.
AnalysisSummary runAnalysis(Project& project, int64_t runId, const AnalysisOptions& options,
                            JobContext& ctx);

} // namespace mistudio
