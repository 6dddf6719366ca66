#include "ops/sparse_decode.h"

#include "mistudio/result.h"

#include <ATen/ATen.h>

#ifdef MISTUDIO_WITH_CUDA_KERNELS
#include "mistudio/kernels/kernels.h"
#endif
#if defined(MISTUDIO_TORCH_CUDA) && __has_include(<c10/cuda/CUDAStream.h>)
#include <c10/cuda/CUDAStream.h>
#define MISTUDIO_HAVE_TORCH_STREAMS 1
#endif

namespace mistudio::ops {

namespace {
void checkArgs(const at::Tensor& indices, const at::Tensor& values, const at::Tensor& weight,
               const at::Tensor& bias) {
    auto fail = [](const std::string& what) {
        throw Exception(ErrorCode::InvalidArgument, "sparseDecode: " + what);
    };
    if (indices.dim() != 2 || values.sizes() != indices.sizes())
        fail("indices and values must both be [batch, k]");
    if (indices.scalar_type() != at::kLong)
        fail("indices must be int64");
    if (weight.dim() != 2)
        fail("weight must be [n_rows, d]");
    if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(1)))
        fail("bias must be [d]");
    if (values.device() != weight.device() || indices.device() != weight.device())
        fail("all tensors must be on one device");
}
} // namespace

at::Tensor sparseDecode(const at::Tensor& indices, const at::Tensor& values,
                        const at::Tensor& weight, const at::Tensor& bias) {
    checkArgs(indices, values, weight, bias);
    if (!weight.is_cuda())
        return sparseDecodeReference(indices, values, weight, bias);
#if defined(MISTUDIO_WITH_CUDA_KERNELS) && defined(MISTUDIO_HAVE_TORCH_STREAMS)
    if (weight.scalar_type() != at::kFloat || values.scalar_type() != at::kFloat)
        return sparseDecodeReference(indices, values, weight, bias);
    auto idx = indices.contiguous();
    auto val = values.contiguous();
    auto w = weight.contiguous();
    auto b = bias.defined() ? bias.contiguous() : at::Tensor();
    auto out = at::empty({idx.size(0), w.size(1)}, w.options());
    const int rc = kernels::sparseDecodeF32(
        idx.data_ptr<int64_t>(), val.data_ptr<float>(), w.data_ptr<float>(),
        b.defined() ? b.data_ptr<float>() : nullptr, out.data_ptr<float>(), idx.size(0),
        idx.size(1), w.size(1), c10::cuda::getCurrentCUDAStream().stream());
    if (rc != 0)
        throw Exception(ErrorCode::Internal, std::string("sparseDecode CUDA kernel failed: ") +
                                                 kernels::errorString(rc));
    return out;
#else
    // A CUDA tensor in a build without kernels: the torch-ops path runs on CUDA too.
    return sparseDecodeReference(indices, values, weight, bias);
#endif
}

} // namespace mistudio::ops
