// QuantizedLinear (dequantize just in time, then matmul) and the compute-dtype decision.
#include "mistudio/environment.h"
#include "mistudio/result.h"
#include "quant/quant.h"

#include <algorithm>

namespace mistudio {
std::vector<CudaDeviceInfo> listCudaDevices(); // core/common/cuda_info.cpp
}

namespace mistudio::quant {

at::Tensor linear(const at::Tensor& x, const QuantizedTensor& w, const at::Tensor& bias) {
    const at::ScalarType dtype = x.scalar_type();
    const at::Tensor b = bias.defined() ? bias.to(dtype) : at::Tensor();
    if (!traits(w.mode).quantized)
        return at::linear(x, w.data.to(dtype), b);
    const int64_t rows = w.shape.at(0), cols = w.shape.at(1);
    const int64_t step = std::max<int64_t>(1, kChunkWeights / std::max<int64_t>(cols, 1));
    if (!rowSliceable(w) || rows <= 2 * step)
        return at::linear(x, dequantize(w, dtype), b);
    std::vector<int64_t> outShape = x.sizes().vec();
    outShape.back() = rows;
    at::Tensor out = at::empty(outShape, x.options());
    const at::Tensor x2 = x.reshape({-1, cols});
    const at::Tensor out2 = out.view({-1, rows});
    at::Tensor scratch = at::empty({step * cols}, w.data.options().dtype(dtype));
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        const int64_t nr = std::min(step, rows - r0);
        const at::Tensor part = scratch.narrow(0, 0, nr * cols);
        dequantizeInto(rowSlice(w, r0, nr), part);
        out2.narrow(1, r0, nr).copy_(at::matmul(x2, part.view({nr, cols}).t()));
    }
    return b.defined() ? out.add_(b) : out;
}

QuantizedLinear QuantizedLinear::make(const at::Tensor& weight, const at::Tensor& bias,
                                      const QuantConfig& config, at::ScalarType computeDtype) {
    if (weight.dim() != 2)
        throw Exception(ErrorCode::InvalidArgument,
                        "a linear weight must be 2-D [out_features, in_features], got " +
                            std::to_string(weight.dim()) + "-D",
                        "QuantizedLinear", {});
    if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
        throw Exception(ErrorCode::InvalidArgument,
                        "bias must be 1-D with out_features = " + std::to_string(weight.size(0)) +
                            " entries",
                        "QuantizedLinear", {});
    QuantizedLinear l;
    l.weight = quantize(weight, config);
    if (bias.defined())
        l.bias = bias.to(at::kFloat).contiguous(); // biases stay fp32 (issue 6)
    l.computeDtype = computeDtype;
    return l;
}

at::Tensor QuantizedLinear::forward(const at::Tensor& x) const {
    if (x.dim() < 1 || x.size(-1) != inFeatures())
        throw Exception(ErrorCode::InvalidArgument,
                        "input's last dimension is " +
                            (x.dim() ? std::to_string(x.size(-1)) : std::string("absent")) +
                            " but the layer has " + std::to_string(inFeatures()) +
                            " input features",
                        "QuantizedLinear", {});
    if (x.device() != weight.data.device())
        throw Exception(ErrorCode::InvalidArgument,
                        "input on " + x.device().str() + " but weights on " +
                            weight.data.device().str(),
                        "QuantizedLinear", "Move the input to the layer's device");
    return linear(x.to(computeDtype), weight, bias);
}

int64_t QuantizedLinear::bytes() const {
    return weight.bytes() + (bias.defined() ? static_cast<int64_t>(bias.nbytes()) : 0);
}

ComputePlan resolveComputeType(QuantMode requested, at::ScalarType saved, bool cuda,
                               bool cudaHasBf16) {
    ComputePlan plan;
    plan.mode = requested;
    auto fallBack = [&](const std::string& why) {
        plan.mode = QuantMode::None;
        plan.computeDtype = at::kFloat;
        plan.fallback = true;
        plan.reason =
            std::string("requested ") + quantModeName(requested) + " → running fp32 " + why;
        return plan;
    };
    const bool halfRequested = requested == QuantMode::BF16 || requested == QuantMode::FP16;
    if (!cuda) {
        // CPU computes in fp32 (CONTRIBUTING): half-precision GEMMs on CPU are slow or missing.
        if (halfRequested)
            return fallBack("on CPU (half-precision matmuls are slow on CPU; quantized modes "
                            "int8/nf4/int4 save memory there)");
        return plan;
    }
    if (requested == QuantMode::BF16 && !cudaHasBf16)
        return fallBack("on CUDA (this GPU has no bf16 support, compute capability < 8.0; fp16 "
                        "could overflow bf16-trained weights)");
    switch (requested) {
    case QuantMode::None: plan.computeDtype = at::kFloat; break;
    case QuantMode::BF16: plan.computeDtype = at::kBFloat16; break;
    case QuantMode::FP16: plan.computeDtype = at::kHalf; break;
    case QuantMode::Int8:
    case QuantMode::NF4:
    case QuantMode::Int4:
        // Dequantize to the precision the model was saved in when the GPU handles it.
        if (saved == at::kBFloat16 && cudaHasBf16)
            plan.computeDtype = at::kBFloat16;
        else if (saved == at::kHalf)
            plan.computeDtype = at::kHalf;
        else
            plan.computeDtype = at::kFloat;
        break;
    }
    return plan;
}

ComputePlan resolveComputeType(QuantMode requested, at::ScalarType saved,
                               const std::string& device) {
    checkDevice(device); // clear error for unknown devices or CUDA without a GPU
    if (device == "cpu")
        return resolveComputeType(requested, saved, false, false);
    const auto devices = listCudaDevices();
    const size_t index = device.size() > 5 ? std::stoul(device.substr(5)) : 0;
    const bool bf16 = index < devices.size() && devices[index].computeMajor >= 8;
    return resolveComputeType(requested, saved, true, bf16);
}

} // namespace mistudio::quant
