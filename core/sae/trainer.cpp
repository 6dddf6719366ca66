// SaeTrainer: construction, schedules and the forward pass of each architecture.
#include "sae/trainer.h"

#include "distributed/communicator.h"
#include "mistudio/result.h"
#include "sae/sparse_autograd.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <torch/autograd.h>

namespace mistudio::sae {

nlohmann::json EffectiveSchedule::toJson() const {
    return {{"total_steps", totalSteps},
            {"lr_warmup_steps", lrWarmupSteps},
            {"lr_decay_start_step", decayStartStep},
            {"sparsity_warmup_steps", sparsityWarmupSteps},
            {"dead_window_tokens", deadWindowTokens},
            {"threshold_start_step", thresholdStartStep}};
}

SaeTrainer::SaeTrainer(SaeConfig config, int64_t totalSteps, const at::Tensor& initialBDec,
                       uint64_t seed, at::Device device)
    : m_config(std::move(config)), m_device(device) {
    const auto& c = m_config;
    if (c.dIn <= 0 || c.dSae <= 0 || totalSteps <= 0)
        throw Exception(ErrorCode::InvalidArgument, "SAE sizes and step count must be positive");
    auto& s = m_schedule;
    s.totalSteps = totalSteps;
    s.lrWarmupSteps = std::min(c.lrWarmupSteps, totalSteps / 10);
    s.decayStartStep = totalSteps - static_cast<int64_t>(c.lrDecayFraction * totalSteps);
    s.sparsityWarmupSteps =
        std::min(std::max(c.sparsityWarmupSteps,
                          static_cast<int64_t>(c.sparsityWarmupFraction * totalSteps)),
                 totalSteps / 4);
    s.deadWindowTokens =
        std::min(c.deadWindowTokens, std::max<int64_t>(c.batchSize, totalSteps * c.batchSize / 5));
    s.thresholdStartStep = std::min(c.thresholdStartStep, totalSteps / 2);

    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    m_wDec = at::randn({c.dSae, c.dIn}, gen);
    m_wDec.mul_(c.decoderInitNorm / m_wDec.norm(2, {1}, true));
    m_encT = m_wDec.clone();
    m_bEnc = at::zeros({c.dSae});
    m_bDec = initialBDec.to(at::kCPU, at::kFloat).clone().reshape({c.dIn});
    if (c.architecture == Architecture::JumpReLU)
        m_theta = at::full({c.dSae}, c.thresholdInit);
    for (at::Tensor* p : parameters()) {
        *p = p->to(device);
        p->requires_grad_(true);
        m_adamM.push_back(at::zeros_like(*p));
        m_adamV.push_back(at::zeros_like(*p));
    }
    m_tokensSinceFired = at::zeros({c.dSae}, at::TensorOptions(device).dtype(at::kLong));
    m_windowFires = at::zeros({c.dSae}, at::TensorOptions(device).dtype(at::kLong));
}

int64_t SaeTrainer::deadLatents(int64_t windowTokens) const {
    return (m_tokensSinceFired >= windowTokens).sum().item<int64_t>();
}

std::vector<at::Tensor*> SaeTrainer::parameters() {
    std::vector<at::Tensor*> ps = {&m_encT, &m_bEnc, &m_wDec, &m_bDec};
    if (m_theta.defined())
        ps.push_back(&m_theta);
    return ps;
}

double SaeTrainer::learningRate(int64_t step) const {
    const auto& s = m_schedule;
    double lr = m_config.lr;
    if (s.lrWarmupSteps > 0 && step < s.lrWarmupSteps)
        lr *= static_cast<double>(step + 1) / static_cast<double>(s.lrWarmupSteps);
    if (step >= s.decayStartStep && s.totalSteps > s.decayStartStep)
        lr *= static_cast<double>(s.totalSteps - step) /
              static_cast<double>(s.totalSteps - s.decayStartStep);
    return lr;
}

double SaeTrainer::sparsityCoefficient(int64_t step) const {
    const int64_t w = m_schedule.sparsityWarmupSteps;
    const double ramp = w > 0 ? std::min(1.0, static_cast<double>(step + 1) / w) : 1.0;
    return m_config.sparsityCoefficient * ramp;
}

SaeTrainer::Pass SaeTrainer::forward(const at::Tensor& x, int64_t step) {
    Pass p;
    if (m_config.architecture == Architecture::TopK ||
        m_config.architecture == Architecture::BatchTopK)
        forwardKSparse(p, x, step);
    else
        forwardDense(p, x, step);
    p.loss = p.mse;
    if (p.sparsity.defined())
        p.loss = p.loss + p.sparsity;
    if (p.aux.defined())
        p.loss = p.loss + p.aux;
    return p;
}

void SaeTrainer::forwardKSparse(Pass& p, const at::Tensor& x, int64_t step) {
    const int64_t batch = x.size(0);
    at::Tensor pre, rows, cols;
    {
        at::NoGradGuard noGrad;
        pre = at::addmm(m_bEnc, x - m_bDec, m_encT.t()).relu_();
        if (m_config.architecture == Architecture::TopK) {
            const int64_t k = std::min(m_config.k, m_config.dSae);
            at::Tensor idx = std::get<1>(pre.topk(k, 1, true, false));
            rows = at::arange(batch, idx.options()).repeat_interleave(k);
            cols = idx.reshape({-1});
        } else {
            const int64_t kb = std::min(m_config.k * batch, pre.numel());
            // Data parallel: the top k*B of the global batch, not of this rank's slice.
            at::Tensor flat = distributed()
                                  ? selectBatchTopKGlobal(pre)
                                  : std::get<1>(pre.reshape({-1}).topk(kb, 0, true, false));
            rows = at::div(flat, m_config.dSae, "floor");
            cols = flat.remainder(m_config.dSae);
        }
    }
    at::Tensor values = sparseEncodeCoo(x, m_bDec, m_encT, m_bEnc, rows, cols, pre).relu();
    p.xhat = sparseDecodeCoo(rows, cols, values, m_wDec, batch) + m_bDec;
    p.mse = (x - p.xhat).pow(2).sum(1).mean();
    {
        at::NoGradGuard noGrad;
        at::Tensor positive = values > 0;
        p.l0 = positive.sum().to(at::kFloat) / batch;
        p.fires =
            at::zeros({m_config.dSae}, cols.options()).index_add_(0, cols, positive.to(at::kLong));
        if (m_config.architecture == Architecture::BatchTopK)
            updateThreshold(values.masked_select(positive), step);
    }
    p.aux = auxLoss(x, p.xhat, pre);
}

void SaeTrainer::forwardDense(Pass& p, const at::Tensor& x, int64_t step) {
    at::Tensor pre = at::addmm(m_bEnc, x - m_bDec, m_encT.t());
    const double lambda = sparsityCoefficient(step);
    at::Tensor f;
    if (m_config.architecture == Architecture::ReLU) {
        f = pre.relu();
        p.sparsity = (f * m_wDec.norm(2, {1})).sum(1).mean() * lambda;
    } else {
        f = jumpRelu(pre, m_theta, m_config.bandwidth);
        at::Tensor l0 = heavisideStep(pre, m_theta, m_config.bandwidth).sum(1).mean();
        if (distributed())
            l0 = withGlobalValue(l0); // the penalty is non-linear in the batch's L0
        if (m_config.targetL0 > 0)
            p.sparsity = (l0 / m_config.targetL0 - 1).pow(2) * lambda;
        else
            p.sparsity = l0 * lambda;
    }
    p.xhat = at::addmm(m_bDec, f, m_wDec);
    p.mse = (x - p.xhat).pow(2).sum(1).mean();
    at::NoGradGuard noGrad;
    at::Tensor active = f > 0;
    p.l0 = active.sum().to(at::kFloat) / x.size(0);
    p.fires = active.sum(0);
}

at::Tensor SaeTrainer::auxLoss(const at::Tensor& x, const at::Tensor& xhat, const at::Tensor& pre) {
    // Dead latents as of the counters before this batch (updated after the step).
    at::Tensor dead = m_tokensSinceFired >= m_schedule.deadWindowTokens;
    const int64_t nDead = dead.sum().item<int64_t>();
    const int64_t kAuxConfig = m_config.auxK > 0 ? m_config.auxK : m_config.dIn / 2;
    if (nDead == 0 || m_config.auxCoefficient <= 0 || kAuxConfig <= 0)
        return {};
    const int64_t kAux = std::min(kAuxConfig, nDead);
    const int64_t batch = x.size(0);
    at::Tensor rows, cols;
    {
        at::NoGradGuard noGrad;
        at::Tensor masked = at::where(dead.unsqueeze(0), pre, at::full({}, -1.0f, pre.options()));
        at::Tensor idx = std::get<1>(masked.topk(kAux, 1, true, false));
        rows = at::arange(batch, idx.options()).repeat_interleave(kAux);
        cols = idx.reshape({-1});
    }
    at::Tensor values = sparseEncodeCoo(x, m_bDec, m_encT, m_bEnc, rows, cols, pre).relu();
    at::Tensor ehat = sparseDecodeCoo(rows, cols, values, m_wDec, batch);
    at::Tensor e = (x - xhat).detach(); // target: the residual, without b_dec (sparsify #134)
    at::Tensor mean = e.mean(0);
    if (distributed())
        mean = withGlobalValue(mean);
    at::Tensor denom = (e - mean).pow(2).sum(1).mean();
    if (distributed())
        denom = withGlobalValue(denom);
    at::Tensor ratio = (ehat - e).pow(2).sum(1).mean() / denom;
    const double scale = std::min(1.0, static_cast<double>(nDead) / kAuxConfig);
    return at::nan_to_num(ratio, 0.0, 0.0, 0.0) * (m_config.auxCoefficient * scale);
}

void SaeTrainer::updateThreshold(const at::Tensor& selectedValues, int64_t step) {
    if (step < m_schedule.thresholdStartStep)
        return;
    double smallest = selectedValues.numel() > 0 ? selectedValues.min().item<double>() : INFINITY;
    if (distributed())
        smallest = m_comm->allReduce(smallest, dist::ReduceOp::Min);
    if (!std::isfinite(smallest))
        return;
    m_threshold = m_threshold < 0 ? smallest
                                  : m_config.thresholdBeta * m_threshold +
                                        (1 - m_config.thresholdBeta) * smallest;
}

} // namespace mistudio::sae
