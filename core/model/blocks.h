#pragma once
// The shared building blocks every family is made of. Each function reproduces transformers'
// eager computation (v4.47) for fp32 inputs; half-precision inputs follow the same casts
// (norms and softmax in fp32).

#include "model/config.h"
#include "model/family.h"

#include <ATen/ATen.h>

namespace mistudio::model {

at::Tensor applyNorm(const at::Tensor& x, const NormWeights& w, NormKind kind, double eps);

at::Tensor activate(const at::Tensor& x, Activation a);

/// cos/sin tables for the rotary dims, [B, 1, T, rotaryDim], in `dtype`.
struct RotaryTables {
    at::Tensor cos;
    at::Tensor sin;
};

/// Inverse frequencies [rotaryDim / 2] (fp32) for a forward whose largest position is
/// `maxPosition` (dynamic NTK and longrope depend on it), with the cos/sin multiplier.
at::Tensor ropeInverseFrequencies(const RopeConfig& rope, int64_t maxPositions, int64_t maxPosition,
                                  double* attentionScaling);

/// `positions` [B, T] int64 (per row: left padding shifts them).
RotaryTables rotaryTables(const ModelConfig& c, const at::Tensor& positions, at::ScalarType dtype);

/// Rotates the first rotaryDim dims of x [B, H, T, headDim] (rotate_half pairing).
at::Tensor applyRotary(const at::Tensor& x, const RotaryTables& t);

/// Additive attention bias (0 or -inf), [B or 1, 1, T, T] in `dtype`: a query sees keys that are
/// causal, not padding (`keyMask` [B, T] bool, may be undefined) and within `window` (0:
/// unlimited) positions. A query always sees itself, so padding rows stay finite.
at::Tensor attentionBias(const at::Tensor& keyMask, int64_t T, int64_t window, at::ScalarType dtype,
                         const at::Device& device);

/// Self-attention of one block on normed input h [B, T, d]; returns the o_proj output [B, T, d].
at::Tensor attention(const at::Tensor& h, const LayerWeights& w, const ModelConfig& c,
                     const RotaryTables* rotary, const at::Tensor& bias);

at::Tensor mlp(const at::Tensor& h, const LayerWeights& w, const ModelConfig& c);

} // namespace mistudio::model
