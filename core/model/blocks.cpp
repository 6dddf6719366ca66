#include "model/blocks.h"

#include <cmath>
#include <limits>
#include <torch/version.h>

// at::scaled_dot_product_attention with an explicit `scale` appeared in LibTorch 2.1.
#if defined(TORCH_VERSION_MAJOR) &&                                                                \
    (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1))
#define MISTUDIO_HAVE_SDPA 1
#endif

namespace mistudio::model {

at::Tensor applyNorm(const at::Tensor& x, const NormWeights& w, NormKind kind, double eps) {
    switch (kind) {
    case NormKind::LayerNorm: return at::layer_norm(x, {x.size(-1)}, w.weight, w.bias, eps);
    case NormKind::RmsNorm: {
        const at::Tensor xf = x.to(at::kFloat);
        const at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, true) + eps);
        return w.weight * normed.to(x.scalar_type());
    }
    case NormKind::GemmaRmsNorm: {
        const at::Tensor xf = x.to(at::kFloat);
        const at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, true) + eps);
        return (normed * (w.weight.to(at::kFloat) + 1.0)).to(x.scalar_type());
    }
    }
    return x;
}

at::Tensor activate(const at::Tensor& x, Activation a) {
    switch (a) {
    case Activation::Gelu: return at::gelu(x);
    case Activation::GeluTanh: return at::gelu(x, "tanh");
    case Activation::Silu: return at::silu(x);
    case Activation::Relu: return at::relu(x);
    }
    return x;
}

at::Tensor ropeInverseFrequencies(const RopeConfig& r, int64_t maxPositions, int64_t seqLen,
                                  double* attentionScaling) {
    const int64_t dim = r.rotaryDim;
    double base = r.theta;
    *attentionScaling = 1.0;
    if (r.type == "dynamic" && seqLen > maxPositions)
        base *= std::pow(r.factor * double(seqLen) / double(maxPositions) - (r.factor - 1.0),
                         double(dim) / double(dim - 2));
    // fp32 throughout, as transformers computes it, so positions round the same way.
    const at::Tensor exponent = at::arange(0, dim, 2, at::kLong).to(at::kFloat) / double(dim);
    at::Tensor inv = 1.0 / at::pow(base, exponent);
    if (r.type == "linear") {
        inv = inv / r.factor;
    } else if (r.type == "llama3") {
        const double lowWavelen = double(r.originalMaxPositions) / r.lowFreqFactor;
        const double highWavelen = double(r.originalMaxPositions) / r.highFreqFactor;
        const at::Tensor wavelen = 2.0 * M_PI / inv;
        at::Tensor scaled = at::where(wavelen > lowWavelen, inv / r.factor, inv);
        const at::Tensor smooth = (double(r.originalMaxPositions) / wavelen - r.lowFreqFactor) /
                                  (r.highFreqFactor - r.lowFreqFactor);
        const at::Tensor smoothed = (1 - smooth) * scaled / r.factor + smooth * scaled;
        const at::Tensor medium = (wavelen >= highWavelen).logical_and(wavelen <= lowWavelen);
        inv = at::where(medium, smoothed, scaled);
    } else if (r.type == "longrope") {
        const auto& ext = seqLen > r.originalMaxPositions ? r.longFactor : r.shortFactor;
        const at::Tensor factors = at::tensor(ext, at::kDouble).to(at::kFloat);
        inv = 1.0 / (factors * at::pow(base, exponent));
        *attentionScaling = r.attentionFactor;
    }
    return inv;
}

RotaryTables rotaryTables(const ModelConfig& c, const at::Tensor& positions, at::ScalarType dtype) {
    // One frequency choice for the whole batch, from its largest position (as transformers).
    const int64_t seqLen = positions.numel() ? positions.max().item<int64_t>() + 1 : 0;
    double scaling = 1.0;
    const at::Tensor inv =
        ropeInverseFrequencies(c.rope, c.maxPositions, seqLen, &scaling).to(positions.device());
    const at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv; // [B, T, dim/2]
    const at::Tensor emb = at::cat({freqs, freqs}, -1);
    at::Tensor cos = emb.cos(), sin = emb.sin();
    if (scaling != 1.0) {
        cos = cos * scaling;
        sin = sin * scaling;
    }
    return {cos.to(dtype).unsqueeze(1), sin.to(dtype).unsqueeze(1)};
}

namespace {
at::Tensor rotateHalf(const at::Tensor& x) {
    const int64_t half = x.size(-1) / 2;
    return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}
} // namespace

at::Tensor applyRotary(const at::Tensor& x, const RotaryTables& t) {
    const int64_t rot = t.cos.size(-1);
    if (rot == x.size(-1))
        return x * t.cos + rotateHalf(x) * t.sin;
    const at::Tensor xr = x.narrow(-1, 0, rot);
    const at::Tensor rotated = xr * t.cos + rotateHalf(xr) * t.sin;
    return at::cat({rotated, x.narrow(-1, rot, x.size(-1) - rot)}, -1);
}

at::Tensor attentionBias(const at::Tensor& keyMask, int64_t T, int64_t window, at::ScalarType dtype,
                         const at::Device& device) {
    const at::Tensor idx = at::arange(T, at::TensorOptions().dtype(at::kLong).device(device));
    const at::Tensor i = idx.unsqueeze(1), j = idx.unsqueeze(0);
    at::Tensor allowed = j <= i;
    if (window > 0)
        allowed = allowed.logical_and(i - j < window);
    allowed = allowed.view({1, 1, T, T});
    if (keyMask.defined()) {
        const int64_t B = keyMask.size(0);
        allowed = allowed.logical_and(keyMask.to(at::kBool).view({B, 1, 1, T}));
        allowed = allowed.logical_or((i == j).view({1, 1, T, T}));
    }
    at::Tensor bias = at::zeros(allowed.sizes(), at::TensorOptions().dtype(dtype).device(device));
    return bias.masked_fill_(allowed.logical_not(), -std::numeric_limits<double>::infinity());
}

namespace {
/// x W^T + b, W dequantized to x's dtype just in time, a chunk of rows at a time, when the run
/// is quantized (quant::linear).
at::Tensor project(const at::Tensor& x, const at::Tensor& w, const quant::QuantizedTensor& q,
                   const at::Tensor& b) {
    if (w.defined())
        return at::linear(x, w, b);
    return quant::linear(x, q, b);
}

/// [B, T, n*hd] -> [B, n, T, hd]
at::Tensor splitHeads(const at::Tensor& x, int64_t n, int64_t hd) {
    return x.view({x.size(0), x.size(1), n, hd}).transpose(1, 2);
}

/// GQA: kv head j serves query heads j*r .. j*r+r-1.
at::Tensor repeatKv(const at::Tensor& x, int64_t r) {
    if (r == 1)
        return x;
    const auto s = x.sizes();
    return x.unsqueeze(2).expand({s[0], s[1], r, s[2], s[3]}).reshape({s[0], s[1] * r, s[2], s[3]});
}

at::Tensor scores(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                  const ModelConfig& c, const at::Tensor& bias) {
#ifdef MISTUDIO_HAVE_SDPA
    if (c.attnSoftcap <= 0)
        return at::scaled_dot_product_attention(q, k, v, bias, 0.0, false, c.attnScale);
#endif
    at::Tensor s = at::matmul(q, k.transpose(-2, -1)).mul_(c.attnScale);
    if (c.attnSoftcap > 0)
        s = at::tanh(s / c.attnSoftcap) * c.attnSoftcap;
    s.add_(bias);
    const at::Tensor p = at::softmax(s, -1, at::kFloat).to(q.scalar_type());
    return at::matmul(p, v);
}
} // namespace

at::Tensor attention(const at::Tensor& h, const LayerWeights& w, const ModelConfig& c,
                     const RotaryTables* rotary, const at::Tensor& bias) {
    const int64_t hd = c.headDim, nq = c.nHeads * hd, nkv = c.nKvHeads * hd;
    const at::Tensor qkv = project(h, w.wqkv, w.qkvQ, w.bqkv);
    at::Tensor q = splitHeads(qkv.narrow(-1, 0, nq), c.nHeads, hd);
    at::Tensor k = splitHeads(qkv.narrow(-1, nq, nkv), c.nKvHeads, hd);
    at::Tensor v = splitHeads(qkv.narrow(-1, nq + nkv, nkv), c.nKvHeads, hd);
    if (rotary) {
        q = applyRotary(q, *rotary);
        k = applyRotary(k, *rotary);
    }
    const int64_t r = c.nHeads / c.nKvHeads;
    const at::Tensor out = scores(q, repeatKv(k, r), repeatKv(v, r), c, bias);
    const at::Tensor merged = out.transpose(1, 2).reshape({h.size(0), h.size(1), nq});
    return project(merged, w.wo, w.woQ, w.bo);
}

at::Tensor mlp(const at::Tensor& h, const LayerWeights& w, const ModelConfig& c) {
    const at::Tensor x = project(h, w.wIn, w.wInQ, w.bIn);
    if (!c.gatedMlp)
        return project(activate(x, c.activation), w.wOut, w.wOutQ, w.bOut);
    const int64_t I = c.dMlp;
    const at::Tensor gated = activate(x.narrow(-1, 0, I), c.activation) * x.narrow(-1, I, I);
    return project(gated, w.wOut, w.wOutQ, w.bOut);
}

} // namespace mistudio::model
