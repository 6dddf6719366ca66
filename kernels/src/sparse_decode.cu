#include "mistudio/kernels/kernels.h"

#include <cuda_runtime.h>

namespace mistudio::kernels {

namespace {

// One block per batch row; threads stride over the d output columns, so each weight row is read
// coalesced. k is small (tens to a few hundred), the loop over it stays in registers.
__global__ void sparseDecodeKernel(const int64_t* __restrict__ indices,
                                   const float* __restrict__ values,
                                   const float* __restrict__ weight, const float* __restrict__ bias,
                                   float* __restrict__ out, int64_t k, int64_t d) {
    const int64_t b = blockIdx.x;
    const int64_t* rowIdx = indices + b * k;
    const float* rowVal = values + b * k;
    for (int64_t c = threadIdx.x; c < d; c += blockDim.x) {
        float acc = bias ? bias[c] : 0.0f;
        for (int64_t j = 0; j < k; ++j)
            acc += rowVal[j] * weight[rowIdx[j] * d + c];
        out[b * d + c] = acc;
    }
}

} // namespace

bool compiledWithCuda() {
    return true;
}

const char* errorString(int code) {
    return cudaGetErrorString(static_cast<cudaError_t>(code));
}

int sparseDecodeF32(const int64_t* indices, const float* values, const float* weight,
                    const float* bias, float* out, int64_t batch, int64_t k, int64_t d,
                    void* stream) {
    if (batch == 0 || d == 0)
        return 0;
    const int threads = d >= 256 ? 256 : 128;
    sparseDecodeKernel<<<static_cast<unsigned>(batch), threads, 0,
                         static_cast<cudaStream_t>(stream)>>>(indices, values, weight, bias, out, k,
                                                              d);
    return static_cast<int>(cudaGetLastError());
}

} // namespace mistudio::kernels
