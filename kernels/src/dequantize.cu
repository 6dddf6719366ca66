// Dequantization of core/quant's int8 / nf4 / int4 weights straight into the compute dtype, one
// thread per packed byte (4-bit) or element (int8). The torch-ops twin is
// quant::dequantizeIntoReference (core/quant/quant.cpp); the arithmetic is the same
// (value * scale in fp32, then one rounding to the output type) and kept un-fused (__fmul_rn)
// so the two agree to the last bit of fp32 where the reference does the same operations.
#include "mistudio/kernels/kernels.h"
#include "mistudio/kernels/nf4_codebook.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace mistudio::kernels {

namespace {

// QLoRA NormalFloat-4 (quant::kNF4Codebook: the same shared list).
__constant__ float kNF4[16] = {MISTUDIO_NF4_CODEBOOK_VALUES};

constexpr int64_t kDoubleQuantBlock = MISTUDIO_NF4_DOUBLE_QUANT_BLOCK;
constexpr int kThreads = 256;

template <typename T> __device__ T fromFloat(float v);
template <> __device__ float fromFloat<float>(float v) {
    return v;
}
template <> __device__ __half fromFloat<__half>(float v) {
    return __float2half_rn(v);
}
template <> __device__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}

struct Scales {
    const float* fp32;
    const int8_t* codes;
    const float* absmax2;
    float offset;
    __device__ float at(int64_t b) const {
        if (codes == nullptr)
            return fp32[b];
        return __fadd_rn(
            __fmul_rn(__fdiv_rn(float(codes[b]), 127.0f), absmax2[b / kDoubleQuantBlock]), offset);
    }
};

template <typename T, bool NF4>
__global__ void dequant4Kernel(const uint8_t* __restrict__ packed, int64_t n, int64_t block,
                               Scales scales, T* __restrict__ out) {
    const int64_t pairs = (n + 1) / 2;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < pairs; p += stride) {
        const uint8_t byte = packed[p];
        const int64_t i = 2 * p;
        const float s = scales.at(i / block); // block is even: both nibbles share it
        const float hi = NF4 ? kNF4[byte >> 4] : float(int(byte >> 4) - 8);
        const float lo = NF4 ? kNF4[byte & 15] : float(int(byte & 15) - 8);
        out[i] = fromFloat<T>(__fmul_rn(hi, s));
        if (i + 1 < n)
            out[i + 1] = fromFloat<T>(__fmul_rn(lo, s));
    }
}

template <typename T>
__global__ void int8RowsKernel(const int8_t* __restrict__ codes, const float* __restrict__ scales,
                               int64_t rows, int64_t cols, T* __restrict__ out) {
    const int64_t n = rows * cols;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        out[i] = fromFloat<T>(__fmul_rn(float(codes[i]), scales[i / cols]));
}

unsigned gridFor(int64_t items) {
    const int64_t blocks = (items + kThreads - 1) / kThreads;
    return static_cast<unsigned>(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}

template <typename T>
int launch4(const uint8_t* packed, int64_t n, int64_t block, bool nf4, Scales s, void* out,
            cudaStream_t stream) {
    const unsigned grid = gridFor((n + 1) / 2);
    if (nf4)
        dequant4Kernel<T, true>
            <<<grid, kThreads, 0, stream>>>(packed, n, block, s, static_cast<T*>(out));
    else
        dequant4Kernel<T, false>
            <<<grid, kThreads, 0, stream>>>(packed, n, block, s, static_cast<T*>(out));
    return static_cast<int>(cudaGetLastError());
}

template <typename T>
int launchInt8(const int8_t* codes, const float* scales, int64_t rows, int64_t cols, void* out,
               cudaStream_t stream) {
    int8RowsKernel<T><<<gridFor(rows * cols), kThreads, 0, stream>>>(codes, scales, rows, cols,
                                                                     static_cast<T*>(out));
    return static_cast<int>(cudaGetLastError());
}

} // namespace

int dequantize4Bit(const uint8_t* packed, int64_t n, int64_t block, bool nf4, const float* scales,
                   const int8_t* scaleCodes, const float* absmax2, float scaleOffset, void* out,
                   int outType, void* stream) {
    if (n <= 0)
        return 0;
    if (block <= 0 || block % 2 != 0)
        return static_cast<int>(cudaErrorInvalidValue);
    const Scales s{scales, scaleCodes, absmax2, scaleOffset};
    const auto st = static_cast<cudaStream_t>(stream);
    switch (outType) {
    case kDequantF32: return launch4<float>(packed, n, block, nf4, s, out, st);
    case kDequantF16: return launch4<__half>(packed, n, block, nf4, s, out, st);
    case kDequantBF16: return launch4<__nv_bfloat16>(packed, n, block, nf4, s, out, st);
    }
    return static_cast<int>(cudaErrorInvalidValue);
}

int dequantizeInt8Rows(const int8_t* codes, const float* rowScales, int64_t rows, int64_t cols,
                       void* out, int outType, void* stream) {
    if (rows <= 0 || cols <= 0)
        return 0;
    const auto st = static_cast<cudaStream_t>(stream);
    switch (outType) {
    case kDequantF32: return launchInt8<float>(codes, rowScales, rows, cols, out, st);
    case kDequantF16: return launchInt8<__half>(codes, rowScales, rows, cols, out, st);
    case kDequantBF16: return launchInt8<__nv_bfloat16>(codes, rowScales, rows, cols, out, st);
    }
    return static_cast<int>(cudaErrorInvalidValue);
}

} // namespace mistudio::kernels
