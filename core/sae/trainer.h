#pragma once
// Trains one SAE on already-scaled activation batches: forward per architecture, losses, Adam,
// schedules, decoder constraint, dead-latent tracking and AuxK. Several trainers can share one
// activation stream (SweepTrainer). All state needed for an exact resume is exported by
// saveState() and read back by loadState().

#include "mistudio/sae.h"
#include "sae/model.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mistudio::dist {
class Communicator;
}

namespace mistudio::sae {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

/// Settings the trainer derived from the config for this run length (stated in logs and cfg.json):
/// warmups and windows longer than a short run are scaled down.
struct EffectiveSchedule {
    int64_t totalSteps = 0;
    int64_t lrWarmupSteps = 0;
    int64_t decayStartStep = 0;
    int64_t sparsityWarmupSteps = 0;
    int64_t deadWindowTokens = 0;
    int64_t thresholdStartStep = 0;
    nlohmann::json toJson() const;
};

class SaeTrainer {
public:
    /// `initialBDec` is b_dec at the start (in scaled units: the mean or geometric median of a
    /// sample, or zeros, per config.bDecInit); `seed` seeds the weight init (on the CPU, so every
    /// device starts from the same weights). Parameters, Adam state and counters live on
    /// `device`; step() takes batches there.
    SaeTrainer(SaeConfig config, int64_t totalSteps, const at::Tensor& initialBDec, uint64_t seed,
               at::Device device = at::kCPU);

    /// One optimisation step (`step` counts from 0). Returns metrics when `wantMetrics`, else only
    /// loss terms. Throws NumericalError naming the step when the loss is not finite.
    StepMetrics step(const at::Tensor& x, int64_t step, bool wantMetrics);

    /// Latents that have not fired in the last `windowTokens` training tokens (a latent that
    /// never fired counts every token trained).
    int64_t deadLatents(int64_t windowTokens) const;

    /// The SAE for raw activations (CPU tensors): input scaling `scale` folded into the weights.
    SaeModel toModel(double scale) const;

    void saveState(NamedTensors& out, const std::string& prefix, nlohmann::json& info) const;
    void loadState(const NamedTensors& in, const std::string& prefix, const nlohmann::json& info);

    /// Data parallel: each step's x is this rank's slice of the global batch; gradients and the
    /// batch statistics (BatchTopK selection and threshold, AuxK residual, JumpReLU L0, firing
    /// counts, metrics) are reduced through `comm`, so every rank holds the weights one process
    /// would. nullptr (the default): one process.
    void setCommunicator(dist::Communicator* comm) { m_comm = comm; }

    const SaeConfig& config() const { return m_config; }
    const EffectiveSchedule& schedule() const { return m_schedule; }
    double learningRate(int64_t step) const;
    double sparsityCoefficient(int64_t step) const;

private:
    struct Pass {
        at::Tensor xhat, mse, sparsity, aux, loss;
        at::Tensor fires; // int64 [d_sae]: tokens of the batch each latent was active for
        at::Tensor l0;    // float scalar: mean active latents per token
    };
    Pass forward(const at::Tensor& x, int64_t step);
    void forwardKSparse(Pass& p, const at::Tensor& x, int64_t step);
    void forwardDense(Pass& p, const at::Tensor& x, int64_t step);
    at::Tensor auxLoss(const at::Tensor& x, const at::Tensor& xhat, const at::Tensor& pre);
    void updateThreshold(const at::Tensor& selectedValues, int64_t step);
    double applyGradients(int64_t step);
    std::vector<at::Tensor*> parameters();
    // Data-parallel pieces (trainer_dist.cpp).
    bool distributed() const;
    int64_t worldSize() const;
    at::Tensor selectBatchTopKGlobal(const at::Tensor& pre);
    at::Tensor withGlobalValue(const at::Tensor& local);
    double reduceStep(Pass& p, double loss);
    at::Tensor reduceMetrics(const Pass& p, const at::Tensor& x);

    SaeConfig m_config;
    at::Device m_device;
    EffectiveSchedule m_schedule;
    at::Tensor m_encT, m_bEnc, m_wDec, m_bDec, m_theta; // m_theta: JumpReLU only
    std::vector<at::Tensor> m_adamM, m_adamV;
    int64_t m_adamStep = 0;
    double m_threshold = -1;       // BatchTopK EMA threshold; < 0 until the first update
    at::Tensor m_tokensSinceFired; // int64 [d_sae]
    at::Tensor m_windowFires;      // int64 [d_sae], firing counts since the last metrics
    int64_t m_windowTokens = 0;
    dist::Communicator* m_comm = nullptr;
};

} // namespace mistudio::sae
