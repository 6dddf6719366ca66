#pragma once
// Launchers for miStudio's CUDA kernels, declared with plain C++ types so core/ compiles without
// nvcc. Every kernel has a CPU/torch-ops twin in core/ops that computes the same function; core
// dispatches by device. Pointers are device pointers; `stream` is a cudaStream_t (nullptr: the
// default stream). Each launcher returns 0 on success or the CUDA error code.

#include <cstdint>

namespace mistudio::kernels {

/// True in a build where this library was compiled by nvcc.
bool compiledWithCuda();

/// Human-readable text for a code returned by a launcher.
const char* errorString(int code);

/// k-sparse decode, fp32: out[b, :] = bias[:] + sum_j values[b, j] * weight[indices[b, j], :]
/// with indices [batch, k] (int64), values [batch, k], weight [n_rows, d] row-major, bias [d] or
/// null, out [batch, d]. Used by the SAE decoder so a TopK code never multiplies d_sae zeros.
int sparseDecodeF32(const int64_t* indices, const float* values, const float* weight,
                    const float* bias, float* out, int64_t batch, int64_t k, int64_t d,
                    void* stream);

} // namespace mistudio::kernels
