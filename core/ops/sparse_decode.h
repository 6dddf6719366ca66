#pragma once
// k-sparse decode: x_hat[b] = bias + sum_j values[b, j] * weight[indices[b, j]].
// Internal to core (takes ATen tensors). CPU path: torch ops; CUDA path: kernels/.

#include <ATen/core/Tensor.h>

namespace mistudio::ops {

/// indices [B, k] int64, values [B, k], weight [n, d], bias [d] (may be undefined) -> [B, d].
/// All on one device; fp32. Inference only (no autograd).
at::Tensor sparseDecode(const at::Tensor& indices, const at::Tensor& values,
                        const at::Tensor& weight, const at::Tensor& bias);

/// The reference path, usable on any device (gather + batched matmul).
at::Tensor sparseDecodeReference(const at::Tensor& indices, const at::Tensor& values,
                                 const at::Tensor& weight, const at::Tensor& bias);

} // namespace mistudio::ops
