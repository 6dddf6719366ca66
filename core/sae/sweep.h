#pragma once
// Trains one or several SAEs from one activation stream (a sweep over k, lambda, widths...), so
// whatever produces the activations is paid once. Runs inside an engine job: live metrics through
// JobContext::metric, cancellation at step boundaries, checkpoints every N minutes and on cancel,
// and exact resume from the checkpoint.

#include "mistudio/engine.h"
#include "mistudio/sae.h"
#include "sae/source.h"
#include "sae/trainer.h"

#include <functional>
#include <memory>

namespace mistudio::sae {

struct SweepSettings {
    std::vector<SaeConfig> saes; // same d_in and batch size for all
    int64_t tokens = 0;          // training tokens (steps = ceil(tokens / batch))
    uint64_t seed = 0;
    std::string checkpointDir;     // where checkpoint.safetensors lives; empty = no checkpoints
    int64_t logEvery = 100;        // steps between metrics
    double checkpointMinutes = 10; // 0 = only on cancel and at the end
    int64_t normalizationTokens = 1 << 18; // tokens used to estimate the input scaling
    std::string device = "cpu";            // where the SAEs train: cpu | cuda | cuda:N
    /// Rows of that sample kept for b_dec_init "geometric_median" (SAELens uses its buffer).
    int64_t medianSampleRows = 1 << 14;
    /// Data parallel (docs/DISTRIBUTED.md): the source is this rank's ShardedSource, batch sizes
    /// stay global, rank 0 alone writes checkpoints. nullptr: one process.
    dist::Communicator* comm = nullptr;
    /// Resume a checkpoint written with another world size (same global batch stream; equal to the
    /// uninterrupted run within fp32 reduction tolerance, not bit for bit).
    bool allowReshard = false;
};

using StepCallback = std::function<void(size_t saeIndex, const StepMetrics& metrics)>;

class SweepTrainer {
public:
    SweepTrainer(SweepSettings settings, ActivationSource& source);
    ~SweepTrainer();

    /// Trains to the end. With `resume`, continues from the checkpoint in checkpointDir (throws
    /// NotFound when there is none). When cancelled, writes a checkpoint and rethrows Cancelled.
    void run(JobContext& ctx, bool resume, const StepCallback& onLog = {});

    int64_t totalSteps() const { return m_totalSteps; }
    int64_t stepsDone() const { return m_step; }
    /// Input scaling of SAE i (scaled = raw * scale).
    double scale(size_t i) const { return m_scales.at(i); }
    const SaeTrainer& trainer(size_t i) const { return *m_trainers.at(i); }
    size_t size() const { return m_trainers.size(); }
    /// SAE i for raw activations (scaling folded).
    SaeModel model(size_t i) const { return m_trainers.at(i)->toModel(m_scales.at(i)); }
    /// Issue 8's dead latents at the end of training: not fired in the last
    /// min(dead_window_tokens (10M), tokens trained) tokens. Returns {count, window}.
    std::pair<int64_t, int64_t> deadLatents(size_t i) const;
    std::string checkpointPath() const;
    void saveCheckpoint() const;

private:
    void initialise(bool estimate);
    void loadCheckpoint();
    void trainStep(JobContext& ctx, const StepCallback& onLog, double& tokensPerSecond);
    bool cancelled(JobContext& ctx) const;
    int worldSize() const;
    nlohmann::json describe() const;

    SweepSettings m_settings;
    ActivationSource& m_source;
    std::vector<std::unique_ptr<SaeTrainer>> m_trainers;
    std::vector<double> m_scales;
    int64_t m_totalSteps = 0;
    int64_t m_step = 0;
    int64_t m_batch = 0;      // global batch (every SAE's batch_size)
    int64_t m_localBatch = 0; // this rank's share of it
    at::Device m_device = at::kCPU;
};

/// Scale that maps raw activations to the normalisation's target, from E||x|| and E||x||^2.
double normalizationScale(Normalization n, int64_t dIn, double meanNorm, double meanSquaredNorm);

} // namespace mistudio::sae
