// dequantizeInto's dispatch: CUDA weights go through the kernel of kernels/src/dequantize.cu when
// this build has it (nvcc + a CUDA LibTorch); everything else through the torch-ops reference.
#include "mistudio/result.h"
#include "quant/quant.h"

#ifdef MISTUDIO_WITH_CUDA_KERNELS
#include "mistudio/kernels/kernels.h"
#endif
#if defined(MISTUDIO_WITH_CUDA_KERNELS) && defined(MISTUDIO_TORCH_CUDA) &&                         \
    __has_include(<c10/cuda/CUDAStream.h>)
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define MISTUDIO_QUANT_KERNEL 1
#endif

namespace mistudio::quant {

namespace {
#ifdef MISTUDIO_QUANT_KERNEL
int outTypeOf(at::ScalarType t) {
    switch (t) {
    case at::kFloat: return kernels::kDequantF32;
    case at::kHalf: return kernels::kDequantF16;
    case at::kBFloat16: return kernels::kDequantBF16;
    default: return -1;
    }
}

/// False when the kernel does not cover this case (the caller then runs the reference).
bool dequantizeWithKernel(const QuantizedTensor& q, const at::Tensor& out) {
    const int outType = outTypeOf(out.scalar_type());
    if (!out.is_cuda() || outType < 0 || !traits(q.mode).quantized || !q.data.is_contiguous() ||
        !q.scales.is_contiguous())
        return false;
    const c10::cuda::CUDAGuard guard(out.device());
    void* stream = c10::cuda::getCurrentCUDAStream().stream();
    int rc = 0;
    if (q.mode == QuantMode::Int8) {
        if (q.data.dim() != 2)
            return false;
        rc = kernels::dequantizeInt8Rows(q.data.data_ptr<int8_t>(), q.scales.data_ptr<float>(),
                                         q.data.size(0), q.data.size(1), out.data_ptr(), outType,
                                         stream);
    } else {
        const bool dq = q.doubleQuant;
        rc = kernels::dequantize4Bit(
            q.data.data_ptr<uint8_t>(), q.numel(), q.blockSize, q.mode == QuantMode::NF4,
            dq ? nullptr : q.scales.data_ptr<float>(), dq ? q.scales.data_ptr<int8_t>() : nullptr,
            dq ? q.scales2.contiguous().data_ptr<float>() : nullptr, q.scaleOffset, out.data_ptr(),
            outType, stream);
    }
    if (rc != 0)
        throw Exception(ErrorCode::Internal,
                        std::string("CUDA dequantization kernel failed: ") +
                            kernels::errorString(rc),
                        quantModeName(q.mode), "Run with --device cpu and report this");
    return true;
}
#endif
} // namespace

bool cudaDequantKernelAvailable() {
#ifdef MISTUDIO_QUANT_KERNEL
    return true;
#else
    return false;
#endif
}

void dequantizeInto(const QuantizedTensor& q, const at::Tensor& out) {
    checkDequantOutput(q, out);
#ifdef MISTUDIO_QUANT_KERNEL
    if (out.is_cuda() && dequantizeWithKernel(q, out))
        return;
#endif
    dequantizeIntoReference(q, out);
}

} // namespace mistudio::quant
