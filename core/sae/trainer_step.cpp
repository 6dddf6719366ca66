// SaeTrainer: the optimisation step (Adam, clipping, decoder constraint), metrics, folding and
// the exact-resume state.
#include "mistudio/result.h"
#include "sae/trainer.h"

#include <cmath>
#include <torch/autograd.h>

namespace mistudio::sae {

namespace {
[[noreturn]] void nonFinite(const std::string& what, int64_t step) {
    throw Exception(ErrorCode::NumericalError,
                    what + " is not finite at step " + std::to_string(step), "SAE training",
                    "lower the learning rate, check the activations for NaN/Inf, or enable "
                    "gradient clipping (grad_clip)");
}
} // namespace

StepMetrics SaeTrainer::step(const at::Tensor& x, int64_t step, bool wantMetrics) {
    for (at::Tensor* p : parameters())
        if (p->grad().defined())
            p->mutable_grad().zero_();
    Pass pass = forward(x, step);
    double loss = pass.loss.item<double>();
    if (!distributed() && !std::isfinite(loss))
        nonFinite("the loss", step);
    pass.loss.backward();
    if (distributed()) {
        loss = reduceStep(pass, loss); // gradients, loss and firing counts of the global batch
        if (!std::isfinite(loss))
            nonFinite("the loss", step);
    }
    const double gradNorm = applyGradients(step);
    {
        // Latents that fired this batch restart their counters; the others age by B tokens.
        at::NoGradGuard noGrad;
        const int64_t tokens = x.size(0) * worldSize();
        m_windowFires.add_(pass.fires);
        m_tokensSinceFired.add_(tokens).masked_fill_(pass.fires.gt(0), 0);
        m_windowTokens += tokens;
    }
    StepMetrics m;
    m.step = step;
    m.loss = loss;
    if (!wantMetrics)
        return m;
    at::NoGradGuard noGrad;
    // mse, variance of x, sparsity loss, aux loss, L0 (of the global batch when data parallel).
    const at::Tensor stats = reduceMetrics(pass, x);
    const double* s = stats.data_ptr<double>();
    m.mse = s[0];
    m.fvu = s[1] > 0 ? m.mse / s[1] : 0;
    m.sparsityLoss = s[2];
    m.auxLoss = s[3];
    m.l0 = s[4];
    m.deadCount = (m_tokensSinceFired >= m_schedule.deadWindowTokens).sum().item<int64_t>();
    m.denseCount = m_windowTokens > 0
                       ? (m_windowFires.to(at::kDouble) / static_cast<double>(m_windowTokens))
                             .gt(0.1)
                             .sum()
                             .item<int64_t>()
                       : 0;
    m_windowFires.zero_();
    m_windowTokens = 0;
    m.lr = learningRate(step);
    m.sparsityCoefficient = sparsityCoefficient(step);
    m.gradNorm = gradNorm;
    m.threshold = m_config.architecture == Architecture::BatchTopK ? std::max(0.0, m_threshold)
                  : m_theta.defined()                              ? m_theta.mean().item<double>()
                                                                   : 0.0;
    return m;
}

double SaeTrainer::applyGradients(int64_t step) {
    at::NoGradGuard noGrad;
    if (m_config.unitNormDecoder && m_wDec.grad().defined()) {
        // Rows are unit norm: remove the gradient component that would only change their norm.
        at::Tensor g = m_wDec.mutable_grad();
        g.sub_((g * m_wDec).sum(1, true) * m_wDec);
    }
    auto params = parameters();
    double sumSq = 0;
    for (at::Tensor* p : params)
        if (p->grad().defined())
            sumSq += p->grad().pow(2).sum().item<double>();
    const double gradNorm = std::sqrt(sumSq);
    if (!std::isfinite(gradNorm))
        nonFinite("the gradient", step);
    const double clip = (m_config.gradClip > 0 && gradNorm > m_config.gradClip)
                            ? m_config.gradClip / gradNorm
                            : 1.0;
    ++m_adamStep;
    const double lr = learningRate(step);
    const double bc1 = 1 - std::pow(m_config.beta1, static_cast<double>(m_adamStep));
    const double bc2 = 1 - std::pow(m_config.beta2, static_cast<double>(m_adamStep));
    for (size_t i = 0; i < params.size(); ++i) {
        at::Tensor& p = *params[i];
        if (!p.grad().defined())
            continue;
        at::Tensor g = clip != 1.0 ? p.grad() * clip : p.grad();
        m_adamM[i].mul_(m_config.beta1).add_(g, 1 - m_config.beta1);
        m_adamV[i].mul_(m_config.beta2).addcmul_(g, g, 1 - m_config.beta2);
        at::Tensor denom = (m_adamV[i].sqrt() / std::sqrt(bc2)).add_(m_config.eps);
        p.addcdiv_(m_adamM[i], denom, -lr / bc1);
    }
    if (m_config.unitNormDecoder)
        m_wDec.div_(m_wDec.norm(2, {1}, true).clamp_min_(1e-12));
    if (m_theta.defined())
        m_theta.clamp_min_(0.0);
    return gradNorm;
}

SaeModel SaeTrainer::toModel(double scale) const {
    // SAELens folding: W_enc *= s, W_dec /= s, b_dec /= s. Latent values and thresholds stay the
    // ones seen in training, and x_hat comes out in raw units.
    at::NoGradGuard noGrad;
    SaeModel m;
    m.encT = m_encT.detach().to(at::kCPU) * scale;
    m.bEnc = m_bEnc.detach().to(at::kCPU).clone();
    m.wDec = m_wDec.detach().to(at::kCPU) / scale;
    m.bDec = m_bDec.detach().to(at::kCPU) / scale;
    switch (m_config.architecture) {
    case Architecture::TopK:
        m.kind = InferenceKind::TopK;
        m.k = m_config.k;
        break;
    case Architecture::BatchTopK:
        m.kind = InferenceKind::JumpReLU;
        m.k = m_config.k;
        m.threshold = at::full({m_config.dSae}, std::max(0.0, m_threshold));
        break;
    case Architecture::JumpReLU:
        m.kind = InferenceKind::JumpReLU;
        m.threshold = m_theta.detach().to(at::kCPU).clone();
        break;
    case Architecture::ReLU: m.kind = InferenceKind::ReLU; break;
    }
    return m;
}

void SaeTrainer::saveState(NamedTensors& out, const std::string& prefix,
                           nlohmann::json& info) const {
    const char* names[] = {"W_enc_T", "b_enc", "W_dec", "b_dec", "theta"};
    const at::Tensor* ps[] = {&m_encT, &m_bEnc, &m_wDec, &m_bDec, &m_theta};
    for (size_t i = 0; i < m_adamM.size(); ++i) {
        out.emplace_back(prefix + names[i], ps[i]->detach().clone());
        out.emplace_back(prefix + "adam_m." + names[i], m_adamM[i].clone());
        out.emplace_back(prefix + "adam_v." + names[i], m_adamV[i].clone());
    }
    out.emplace_back(prefix + "tokens_since_fired", m_tokensSinceFired.clone());
    out.emplace_back(prefix + "window_fires", m_windowFires.clone());
    // Doubles as float64 tensors so they come back bit for bit.
    out.emplace_back(prefix + "threshold_ema", at::full({1}, m_threshold, at::kDouble));
    info = {{"adam_step", m_adamStep}, {"window_tokens", m_windowTokens}};
}

void SaeTrainer::loadState(const NamedTensors& in, const std::string& prefix,
                           const nlohmann::json& info) {
    auto get = [&](const std::string& name) -> at::Tensor {
        for (const auto& [n, t] : in)
            if (n == prefix + name)
                return t;
        throw Exception(ErrorCode::InvalidFormat, "checkpoint lacks '" + prefix + name + "'", "",
                        "resume with a checkpoint written by the same configuration");
    };
    at::NoGradGuard noGrad;
    const char* names[] = {"W_enc_T", "b_enc", "W_dec", "b_dec", "theta"};
    auto params = parameters();
    for (size_t i = 0; i < params.size(); ++i) {
        at::Tensor t = get(names[i]);
        if (t.sizes() != params[i]->sizes())
            throw Exception(ErrorCode::InvalidFormat,
                            "checkpoint tensor '" + prefix + names[i] + "' has another shape", "",
                            "resume with the same sae settings");
        params[i]->copy_(t);
        m_adamM[i].copy_(get(std::string("adam_m.") + names[i]));
        m_adamV[i].copy_(get(std::string("adam_v.") + names[i]));
    }
    m_tokensSinceFired.copy_(get("tokens_since_fired"));
    m_windowFires.copy_(get("window_fires"));
    m_threshold = get("threshold_ema").item<double>();
    m_adamStep = info.at("adam_step").get<int64_t>();
    m_windowTokens = info.at("window_tokens").get<int64_t>();
}

} // namespace mistudio::sae
