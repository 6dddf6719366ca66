#pragma once
// Sparse autoencoder settings: plain values the GUI and the CLI fill in. Every recipe default is
// visible here (defaultsFor) and can be changed; docs/METRICS.md and SAE-RECIPES.md cite sources.
// No LibTorch in this header.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace mistudio::sae {

enum class Architecture {
    BatchTopK, // top k*B pre-activations across the batch; JumpReLU with a global threshold after
    TopK,      // top k per token of ReLU(pre)
    JumpReLU,  // pre * H(pre - theta), theta learned directly with rectangle pseudo-gradients
    ReLU,      // ReLU + L1 weighted by decoder row norms (Anthropic, April 2024)
};

/// "batchtopk", "topk", "jumprelu", "relu".
const char* architectureName(Architecture a);
/// Accepts the names above (and "standard" = relu, as SAELens calls it); throws InvalidArgument.
Architecture architectureFromName(const std::string& name);

/// How inputs are scaled before training (the factor is folded into the weights at save).
enum class Normalization {
    SqrtD,               // E||x|| = sqrt(d)   (Anthropic, SAELens)
    UnitMeanSquaredNorm, // E||x||^2 = 1       (Gemma Scope, dictionary_learning)
};

/// How b_dec starts (from a sample of the scaled training activations).
enum class BDecInit {
    Mean,            // per-dimension mean
    GeometricMedian, // Weiszfeld iterations, as SAELens's b_dec_init_method "geometric_median"
    Zeros,
};

struct SaeConfig {
    std::string name; // label of this SAE in a sweep (sub-folder of the output)
    Architecture architecture = Architecture::BatchTopK;
    int64_t dIn = 0;
    int64_t dSae = 0;
    int64_t k = 64;                 // TopK / BatchTopK
    double sparsityCoefficient = 0; // lambda: L1 (ReLU) or L0 / target-L0 penalty (JumpReLU)
    double targetL0 = 0;            // JumpReLU: > 0 uses lambda * (L0 / targetL0 - 1)^2
    double lr = 0;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    int64_t batchSize = 4096;          // tokens per step
    int64_t lrWarmupSteps = 1000;      // clamped to 10% of a shorter run
    double lrDecayFraction = 0.2;      // linear decay to 0 over the last fraction of steps
    double sparsityWarmupFraction = 0; // lambda ramps over this fraction of the run (ReLU: 5%)
    int64_t sparsityWarmupSteps = 0;   // or over this many steps (JumpReLU: 2000); max of both
    double gradClip = 0;               // global gradient-norm clip; 0 = off
    bool unitNormDecoder = true;       // renormalise rows, project out the parallel gradient
    double decoderInitNorm = 1.0;      // W_dec row norm at init (ReLU: 0.1)
    double bandwidth = 0.001;          // JumpReLU rectangle kernel width
    double thresholdInit = 0.001;      // JumpReLU theta_0
    int64_t auxK = 0;                  // AuxK latents (0: d_in / 2); TopK / BatchTopK only
    double auxCoefficient = 1.0 / 32;
    double thresholdBeta = 0.999;          // BatchTopK: EMA of the smallest selected activation
    int64_t thresholdStartStep = 1000;     // BatchTopK: EMA starts here (clamped to half the run)
    int64_t deadWindowTokens = 10'000'000; // dead = no firing in this many tokens
    Normalization normalization = Normalization::SqrtD;
    BDecInit bDecInit = BDecInit::Mean;
};

/// The published recipe for an architecture (SAE-RECIPES.md B.1-B.3) at the given sizes:
/// TopK/BatchTopK k=64, LR 2e-4/sqrt(d_sae/2^14), Adam(0.9, 0.999, eps 6.25e-10), AuxK d/2 at
/// 1/32; ReLU lambda=5, LR 5e-5, decoder norm 0.1, lambda warmup 5%, clip 1.0, free decoder norms;
/// JumpReLU bandwidth 0.001, theta_0 0.001, LR 7e-5, Adam(0, 0.999), lambda warmup 2000 steps,
/// unit mean squared norm inputs.
SaeConfig defaultsFor(Architecture a, int64_t dIn, int64_t dSae);

/// Live numbers of one training step (the CLI prints them as JSON, the GUI plots them).
struct StepMetrics {
    int64_t step = 0;
    int64_t tokens = 0;
    double loss = 0, mse = 0, fvu = 0, sparsityLoss = 0, auxLoss = 0;
    double l0 = 0;
    int64_t deadCount = 0, denseCount = 0;
    double lr = 0, sparsityCoefficient = 0, gradNorm = 0, threshold = 0;
    double tokensPerSecond = 0;
};

/// Held-out evaluation, definitions in docs/METRICS.md. CE fields are NaN when no model is wired.
struct EvalMetrics {
    int64_t tokens = 0;
    double l0 = 0, explainedVariance = 0, mse = 0, cosSim = 0, l2Ratio = 0;
    double relativeReconstructionBias = 0;
    static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    double ceClean = kNaN, ceSpliced = kNaN, ceZero = kNaN, deltaCe = kNaN;
    double ceLossRecovered = kNaN, kl = kNaN;
    int64_t deadCount = 0, ultraRareCount = 0, denseCount = 0, dSae = 0;
    double deadFraction = 0, denseFraction = 0;
    std::vector<double> log10Density; // per latent: log10(density + 1e-10)
};

} // namespace mistudio::sae
