#include "sae/model.h"

#include "ops/sparse_decode.h"

namespace mistudio::sae {

const char* inferenceKindName(InferenceKind kind) {
    switch (kind) {
    case InferenceKind::TopK: return "topk";
    case InferenceKind::JumpReLU: return "jumprelu";
    case InferenceKind::ReLU: break;
    }
    return "relu";
}

at::Tensor SaeModel::preActivations(const at::Tensor& x) const {
    return at::addmm(bEnc, x - bDec, encT.t());
}

at::Tensor SaeModel::encode(const at::Tensor& x) const {
    at::Tensor pre = preActivations(x).relu_();
    switch (kind) {
    case InferenceKind::ReLU: return pre;
    case InferenceKind::JumpReLU: return pre.mul_((pre > threshold).to(pre.scalar_type()));
    case InferenceKind::TopK: {
        auto [values, indices] = pre.topk(k, 1);
        return at::zeros_like(pre).scatter_(1, indices, values);
    }
    }
    return pre;
}

at::Tensor SaeModel::decode(const at::Tensor& f) const {
    if (kind == InferenceKind::TopK) {
        auto [values, indices] = f.topk(k, 1);
        return ops::sparseDecode(indices, values.contiguous(), wDec, bDec);
    }
    return at::addmm(bDec, f, wDec);
}

std::pair<at::Tensor, at::Tensor> SaeModel::forward(const at::Tensor& x) const {
    if (kind == InferenceKind::TopK) {
        at::Tensor pre = preActivations(x).relu_();
        auto [values, indices] = pre.topk(k, 1);
        at::Tensor xhat = ops::sparseDecode(indices, values.contiguous(), wDec, bDec);
        return {at::zeros_like(pre).scatter_(1, indices, values), xhat};
    }
    at::Tensor f = encode(x);
    return {f, at::addmm(bDec, f, wDec)};
}

} // namespace mistudio::sae
