#include "sae/sparse_autograd.h"

#include <torch/autograd.h>

namespace mistudio::sae {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

struct SparseDecodeFn : public torch::autograd::Function<SparseDecodeFn> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& rows, const at::Tensor& cols,
                              const at::Tensor& values, const at::Tensor& weight, int64_t batch) {
        ctx->save_for_backward({rows, cols, values, weight});
        at::Tensor out = at::zeros({batch, weight.size(1)}, weight.options());
        out.index_add_(0, rows, weight.index_select(0, cols).mul_(values.unsqueeze(1)));
        return out;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &rows = saved[0], &cols = saved[1], &values = saved[2], &weight = saved[3];
        at::Tensor g = grads[0].index_select(0, rows); // [N, d]
        at::Tensor gValues;
        if (ctx->needs_input_grad(2))
            gValues = (g * weight.index_select(0, cols)).sum(1);
        at::Tensor gWeight;
        if (ctx->needs_input_grad(3)) {
            gWeight = at::zeros_like(weight);
            gWeight.index_add_(0, cols, g.mul_(values.unsqueeze(1)));
        }
        return {at::Tensor(), at::Tensor(), gValues, gWeight, at::Tensor()};
    }
};

struct SparseEncodeFn : public torch::autograd::Function<SparseEncodeFn> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& bDec,
                              const at::Tensor& encT, const at::Tensor& bEnc,
                              const at::Tensor& rows, const at::Tensor& cols,
                              const at::Tensor& pre) {
        ctx->save_for_backward({x, bDec, encT, rows, cols});
        return pre.reshape({-1}).index_select(0, rows * pre.size(1) + cols);
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &bDec = saved[1], &encT = saved[2], &rows = saved[3],
                         &cols = saved[4];
        const at::Tensor& g = grads[0]; // [N]
        // Sum of g per latent: the b_enc gradient, and (times encT) minus the b_dec gradient.
        at::Tensor perLatent = at::zeros({encT.size(0)}, g.options()).index_add_(0, cols, g);
        at::Tensor gEncT;
        if (ctx->needs_input_grad(2)) {
            at::Tensor centred = x.index_select(0, rows).sub_(bDec); // [N, d]
            gEncT = at::zeros_like(encT).index_add_(0, cols, centred.mul_(g.unsqueeze(1)));
        }
        at::Tensor gBDec;
        if (ctx->needs_input_grad(1))
            gBDec = -at::matmul(perLatent, encT);
        at::Tensor gBEnc = ctx->needs_input_grad(3) ? perLatent : at::Tensor();
        return {at::Tensor(), gBDec, gEncT, gBEnc, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

at::Tensor rectangle(const at::Tensor& pre, const at::Tensor& theta, double bandwidth) {
    return ((pre - theta).abs() < bandwidth / 2).to(pre.scalar_type());
}

struct JumpReluFn : public torch::autograd::Function<JumpReluFn> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& pre, const at::Tensor& theta,
                              double bandwidth) {
        ctx->save_for_backward({pre, theta});
        ctx->saved_data["bandwidth"] = bandwidth;
        return pre * (pre > theta).to(pre.scalar_type());
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &pre = saved[0], &theta = saved[1];
        const double eps = ctx->saved_data["bandwidth"].toDouble();
        const at::Tensor& g = grads[0];
        at::Tensor gPre = g * (pre > theta).to(pre.scalar_type());
        at::Tensor gTheta = (-(theta / eps) * rectangle(pre, theta, eps) * g);
        gTheta = gTheta.sum_to_size(theta.sizes());
        return {gPre, gTheta, at::Tensor()};
    }
};

struct StepFn : public torch::autograd::Function<StepFn> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& pre, const at::Tensor& theta,
                              double bandwidth) {
        ctx->save_for_backward({pre, theta});
        ctx->saved_data["bandwidth"] = bandwidth;
        return (pre > theta).to(pre.scalar_type());
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &pre = saved[0], &theta = saved[1];
        const double eps = ctx->saved_data["bandwidth"].toDouble();
        at::Tensor gTheta = (-(1.0 / eps) * rectangle(pre, theta, eps) * grads[0]);
        return {at::Tensor(), gTheta.sum_to_size(theta.sizes()), at::Tensor()};
    }
};

} // namespace

at::Tensor sparseDecodeCoo(const at::Tensor& rows, const at::Tensor& cols, const at::Tensor& values,
                           const at::Tensor& weight, int64_t batch) {
    return SparseDecodeFn::apply(rows, cols, values, weight, batch);
}

at::Tensor sparseEncodeCoo(const at::Tensor& x, const at::Tensor& bDec, const at::Tensor& encT,
                           const at::Tensor& bEnc, const at::Tensor& rows, const at::Tensor& cols,
                           const at::Tensor& pre) {
    return SparseEncodeFn::apply(x, bDec, encT, bEnc, rows, cols, pre);
}

at::Tensor jumpRelu(const at::Tensor& pre, const at::Tensor& theta, double bandwidth) {
    return JumpReluFn::apply(pre, theta, bandwidth);
}

at::Tensor heavisideStep(const at::Tensor& pre, const at::Tensor& theta, double bandwidth) {
    return StepFn::apply(pre, theta, bandwidth);
}

} // namespace mistudio::sae
