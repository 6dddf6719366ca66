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

/// Element types a dequantization kernel writes (the run's compute dtype).
enum DequantOut : int { kDequantF32 = 0, kDequantF16 = 1, kDequantBF16 = 2 };

/// 4-bit weights (core/quant/quant.h layout): n codes packed two per byte, element 2i in the high
/// nibble; value = (nf4 ? NF4[code] : code - 8) * scale of its block of `block` (even) elements.
/// The block scale is `scales[b]` (fp32), or, double-quantized (scaleCodes != null),
/// scaleCodes[b] / 127 * absmax2[b / 256] + scaleOffset. Writes n elements of `outType` to out.
int dequantize4Bit(const uint8_t* packed, int64_t n, int64_t block, bool nf4, const float* scales,
                   const int8_t* scaleCodes, const float* absmax2, float scaleOffset, void* out,
                   int outType, void* stream);

/// int8 per output row: out[r, c] = codes[r, c] * rowScales[r], both row-major [rows, cols].
int dequantizeInt8Rows(const int8_t* codes, const float* rowScales, int64_t rows, int64_t cols,
                       void* out, int outType, void* stream);

} // namespace mistudio::kernels
