// SaeTrainer, data parallel: what each rank reduces so that W ranks holding slices of one global
// batch take exactly the step one process takes on the whole batch (up to fp32 summation order).
// Linear batch means (MSE, ReLU's L1) need only the gradient mean; anything that depends on the
// whole batch non-linearly (BatchTopK's selection, AuxK's residual variance, JumpReLU's L0 target)
// uses the global value computed here.
#include "distributed/communicator.h"
#include "sae/trainer.h"

namespace mistudio::sae {

bool SaeTrainer::distributed() const {
    return m_comm && m_comm->worldSize() > 1;
}

int64_t SaeTrainer::worldSize() const {
    return m_comm ? m_comm->worldSize() : 1;
}

at::Tensor SaeTrainer::withGlobalValue(const at::Tensor& local) {
    at::Tensor global = local.detach().clone();
    m_comm->allReduce(global, dist::ReduceOp::Mean);
    // The global value, with the gradient of this rank's share: averaging the ranks' gradients
    // then gives the gradient of the global quantity.
    return local.requires_grad() ? local - local.detach() + global : global;
}

at::Tensor SaeTrainer::selectBatchTopKGlobal(const at::Tensor& pre) {
    // The global top k*B is among the union of every rank's local top k*B: gather those (an
    // all-reduce of zero-padded rows), find the global cut, keep this rank's entries above it.
    // Entries equal to zero are never active, so ties at a zero cut change nothing.
    const int64_t w = worldSize();
    const int64_t kb = m_config.k * pre.size(0) * w;
    const int64_t m = std::min(kb, pre.numel());
    const at::Tensor flat = pre.reshape({-1});
    at::Tensor gathered = at::zeros({w, m});
    gathered[m_comm->rank()].copy_(std::get<0>(flat.topk(m, 0, true, false)));
    m_comm->allReduce(gathered, dist::ReduceOp::Sum);
    const double cut = std::get<0>(gathered.reshape({-1}).topk(std::min(kb, w * m), 0, true, false))
                           .min()
                           .item<double>();
    return flat.gt(0).logical_and_(flat.ge(cut)).nonzero().reshape({-1});
}

double SaeTrainer::reduceStep(Pass& p, double loss) {
    // One bucketed all-reduce per step: every gradient, the loss and the firing counts.
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> tensors;
    for (at::Tensor* param : parameters()) {
        if (!param->grad().defined())
            param->mutable_grad() = at::zeros_like(*param);
        tensors.push_back(param->grad());
    }
    at::Tensor lossValue = at::full({1}, loss, at::kFloat);
    at::Tensor fires = p.fires.to(at::kFloat); // counts <= B: exact in fp32
    tensors.push_back(lossValue);
    tensors.push_back(fires);
    m_comm->allReduce(tensors, dist::ReduceOp::Mean);
    p.fires = fires.mul_(static_cast<double>(worldSize())).round_().to(at::kLong);
    return lossValue.item<double>();
}

at::Tensor SaeTrainer::reduceMetrics(const Pass& p, const at::Tensor& x) {
    at::NoGradGuard noGrad;
    at::Tensor mean = x.mean(0);
    if (distributed())
        mean = withGlobalValue(mean);
    auto scalar = [](const at::Tensor& t) {
        // On the host: the caller reads the values (the SAE may train on a GPU).
        return t.defined() ? t.detach().to(at::kCPU, at::kDouble).reshape({1})
                           : at::zeros({1}, at::kDouble);
    };
    at::Tensor stats = at::cat({scalar(p.mse), scalar((x - mean).pow(2).sum(1).mean()),
                                scalar(p.sparsity), scalar(p.aux), scalar(p.l0)});
    if (distributed())
        m_comm->allReduce(stats, dist::ReduceOp::Mean);
    return stats;
}

} // namespace mistudio::sae
