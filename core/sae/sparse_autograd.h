#pragma once
// Differentiable pieces of SAE training that autograd cannot do efficiently or at all:
//  - k-sparse decode and k-sparse encode in coordinate form (rows, cols, values), so a k-sparse
//    code never becomes a dense [B, d_sae] x [d_sae, d] product, neither forward nor backward;
//  - JumpReLU and the Heaviside step with straight-through rectangle pseudo-gradients for theta.

#include <ATen/ATen.h>

namespace mistudio::sae {

/// out[b] = sum over n with rows[n] == b of values[n] * weight[cols[n]]  ->  [batch, d].
/// Differentiable in values and weight. rows/cols int64 [N], values [N], weight [d_sae, d].
at::Tensor sparseDecodeCoo(const at::Tensor& rows, const at::Tensor& cols, const at::Tensor& values,
                           const at::Tensor& weight, int64_t batch);

/// values[n] = (x[rows[n]] - bDec) . encT[cols[n]] + bEnc[cols[n]], differentiable in bDec, encT
/// and bEnc (x is data). `pre` is the already computed dense pre-activation [B, d_sae] the values
/// are read from (no recomputation); the backward only touches the selected N entries.
at::Tensor sparseEncodeCoo(const at::Tensor& x, const at::Tensor& bDec, const at::Tensor& encT,
                           const at::Tensor& bEnc, const at::Tensor& rows, const at::Tensor& cols,
                           const at::Tensor& pre);

/// f = pre * H(pre - theta). d/dpre = H(pre - theta); d/dtheta = -(theta / eps) K((pre-theta)/eps)
/// with the rectangle kernel K(u) = 1{|u| < 1/2} (Gemma Scope / Rajamanoharan et al. 2024).
at::Tensor jumpRelu(const at::Tensor& pre, const at::Tensor& theta, double bandwidth);

/// H(pre - theta); d/dpre = 0; d/dtheta = -(1 / eps) K((pre - theta) / eps). Used for the L0 term.
at::Tensor heavisideStep(const at::Tensor& pre, const at::Tensor& theta, double bandwidth);

} // namespace mistudio::sae
