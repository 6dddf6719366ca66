#pragma once
// Weight formats for quantized loading (internal header, uses ATen). This is the reference path:
// quantize/dequantize are plain torch ops and run on CPU and CUDA alike.
//
// Layouts (all little-endian, row-major over the flattened tensor):
//  - int8: one int8 code per weight, one fp32 scale per output channel (row = dim 0):
//          w = code * scale, scale = max|row| / 127, codes in [-127, 127].
//  - nf4:  4-bit index into the QLoRA NormalFloat-4 codebook, one absmax per block of 64:
//          w = NF4[code] * absmax. Optional double quantization (QLoRA): the fp32 absmaxes are
//          centred on their mean and stored as int8 per block of 256 with one fp32 absmax per
//          block (bitsandbytes uses its dynamic 8-bit float map there; we use linear int8).
//  - int4: symmetric, code = round(w / scale) in [-7, 7] stored as code + 8, one fp32 scale
//          (max|block| / 7) per block of 32 or 64.
// 4-bit codes are packed two per byte, element 2i in the HIGH nibble and 2i+1 in the low nibble
// (the bitsandbytes order). The flattened tensor is zero-padded to a whole number of blocks.

#include "mistudio/kernels/nf4_codebook.h"
#include <ATen/ATen.h>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mistudio::quant {

enum class QuantMode { None, BF16, FP16, Int8, NF4, Int4 };

struct FormatTraits {
    QuantMode mode;
    const char* name;      // as in --quant
    int64_t blockSize;     // weights sharing one scale; 0 = one scale per output row; 1 = no scale
    int64_t bitsPerWeight; // code bits per weight
    int64_t bytesPerBlock; // packed codes + scale of one block (0 for per-row int8: depends on row)
    bool quantized;        // codes + scales (true) or a plain float tensor (false)
};

inline constexpr std::array<FormatTraits, 6> kFormats{{
    {QuantMode::None, "none", 1, 32, 4, false},
    {QuantMode::BF16, "bf16", 1, 16, 2, false},
    {QuantMode::FP16, "fp16", 1, 16, 2, false},
    {QuantMode::Int8, "int8", 0, 8, 0, true},
    {QuantMode::NF4, "nf4", 64, 4, 64 / 2 + 4, true},
    {QuantMode::Int4, "int4", 32, 4, 32 / 2 + 4, true},
}};

constexpr const FormatTraits& traits(QuantMode m) {
    for (const auto& t : kFormats)
        if (t.mode == m)
            return t;
    return kFormats[0];
}

// Layout checks: 4-bit blocks pack into whole bytes; block bytes = codes + one fp32 scale.
static_assert(traits(QuantMode::NF4).blockSize % 2 == 0 &&
              traits(QuantMode::NF4).bytesPerBlock == 64 * 4 / 8 + sizeof(float));
static_assert(traits(QuantMode::Int4).blockSize % 2 == 0 &&
              traits(QuantMode::Int4).bytesPerBlock == 32 * 4 / 8 + sizeof(float));
static_assert(traits(QuantMode::Int8).bitsPerWeight == 8 * sizeof(int8_t));
static_assert(traits(QuantMode::BF16).bytesPerBlock == 2 &&
              traits(QuantMode::None).bytesPerBlock == 4);
static_assert(!traits(QuantMode::None).quantized && traits(QuantMode::NF4).quantized);

inline constexpr int64_t kNF4Block = 64;
inline constexpr int64_t kDoubleQuantBlock = MISTUDIO_NF4_DOUBLE_QUANT_BLOCK;

/// The 16 NormalFloat-4 values of QLoRA (shared with the CUDA kernel).
inline constexpr std::array<float, 16> kNF4Codebook = {MISTUDIO_NF4_CODEBOOK_VALUES};

/// "nf4" -> QuantMode::NF4; throws InvalidArgument listing the modes for anything else.
QuantMode parseQuantMode(std::string_view name);
const char* quantModeName(QuantMode m);

struct QuantConfig {
    QuantMode mode = QuantMode::None;
    int64_t blockSize = 0;    // int4: 32 or 64 (0 = 32); nf4: 0 = 64; any even size works
    bool doubleQuant = false; // nf4 only: 8-bit scales (QLoRA double quantization)
};

/// A weight in one of the formats. For non-quantized modes `data` is the float tensor itself.
struct QuantizedTensor {
    QuantMode mode = QuantMode::None;
    std::vector<int64_t> shape;
    int64_t blockSize = 0;
    at::Tensor data;   // int8 [rows, cols] | uint8 packed nibbles [blocks * block / 2] | float
    at::Tensor scales; // fp32: per row (int8) / per block (nf4, int4); int8 codes with doubleQuant
    bool doubleQuant = false;
    at::Tensor scales2;    // doubleQuant: fp32 absmax per block of 256 scales
    float scaleOffset = 0; // doubleQuant: mean of the fp32 absmaxes
    int64_t numel() const;
    int64_t bytes() const; // memory held by data + scales (+ scales2)
    QuantizedTensor to(const at::Device& device) const;
};

/// Weights handled per step by quantize/dequantize (bounds their temporary memory).
inline constexpr int64_t kChunkWeights = int64_t(1) << 22;

/// Quantizes on the weight's device; any float dtype in, a zero-copy mmap view is fine.
QuantizedTensor quantize(const at::Tensor& weight, const QuantConfig& config);
/// The weight back in `dtype` on the tensor's device (non-quantized modes: no copy when the
/// stored dtype is already `dtype`).
at::Tensor dequantize(const QuantizedTensor& q, at::ScalarType dtype = at::kFloat);
/// Dequantizes into a preallocated contiguous tensor (any float dtype, the weight's numel, same
/// device), e.g. a scratch buffer reused across layers. On CUDA, in a build with kernels/, the
/// fused kernel (kernels/src/dequantize.cu) writes it; elsewhere the torch-ops reference.
void dequantizeInto(const QuantizedTensor& q, const at::Tensor& out);
/// The torch-ops path (CPU and CUDA alike): what the CUDA kernel is tested against.
void dequantizeIntoReference(const QuantizedTensor& q, const at::Tensor& out);
/// Throws InvalidArgument unless `out` is contiguous, on q's device, with q's element count.
void checkDequantOutput(const QuantizedTensor& q, const at::Tensor& out);
/// Whether dequantizeInto uses the CUDA kernel for CUDA tensors in this build (kernels/ compiled
/// by nvcc and LibTorch with CUDA).
bool cudaDequantKernelAvailable();

/// Rows `rows` (int64 indices into dim 0) of a 2-D weight, dequantized without touching the
/// others: embedding lookups on a quantized embedding. 4-bit modes need in_features to be a
/// multiple of the block size (blocks then never straddle rows); throws Unsupported otherwise.
at::Tensor dequantizeRows(const QuantizedTensor& q, const at::Tensor& rows,
                          at::ScalarType dtype = at::kFloat);

/// Whether rowSlice() works: 2-D, and for 4-bit formats in_features a multiple of the block.
bool rowSliceable(const QuantizedTensor& q);
/// Rows row0 .. row0+rows-1 of a 2-D weight as a weight of its own, sharing the codes (no
/// copy; double-quantized scales are decoded for the range only). Throws InvalidArgument when
/// !rowSliceable(q) or the range is outside the weight.
QuantizedTensor rowSlice(const QuantizedTensor& q, int64_t row0, int64_t rows);

/// y = x W^T + b in x's dtype, W dequantized just in time kChunkWeights rows-worth at a time
/// into one scratch buffer reused across the chunks: the transient is a few tens of MB instead
/// of a float copy of the whole matrix (a 35840 x 5120 MLP matrix is 700 MB in fp32).
at::Tensor linear(const at::Tensor& x, const QuantizedTensor& w, const at::Tensor& bias = {});

/// Pack/unpack 4-bit codes (uint8 values 0..15, even count) two per byte, high nibble first.
at::Tensor packNibbles(const at::Tensor& codes);
at::Tensor unpackNibbles(const at::Tensor& packed);

/// y = x W^T + b with W dequantized to the compute dtype just in time.
struct QuantizedLinear {
    QuantizedTensor weight; // [out_features, in_features]
    at::Tensor bias;        // fp32 [out_features] or undefined
    at::ScalarType computeDtype = at::kFloat;

    static QuantizedLinear make(const at::Tensor& weight, const at::Tensor& bias,
                                const QuantConfig& config, at::ScalarType computeDtype);
    int64_t inFeatures() const { return weight.shape.at(1); }
    int64_t outFeatures() const { return weight.shape.at(0); }
    at::Tensor forward(const at::Tensor& x) const; // [..., in] -> [..., out] in computeDtype
    int64_t bytes() const;
};

/// What a run will actually use for a requested mode.
struct ComputePlan {
    QuantMode mode = QuantMode::None;         // effective weight format
    at::ScalarType computeDtype = at::kFloat; // activations / dequantized weights
    bool fallback = false;                    // differs from what was requested
    std::string reason; // e.g. "requested bf16 → running fp32 on CPU (...)"; empty if no fallback
};

/// `device` is "cpu", "cuda" or "cuda:N"; `saved` is the dtype of the weights on disk.
ComputePlan resolveComputeType(QuantMode requested, at::ScalarType saved,
                               const std::string& device);
/// The same decision with the device's facts given (testable without a GPU).
ComputePlan resolveComputeType(QuantMode requested, at::ScalarType saved, bool cuda,
                               bool cudaHasBf16);

} // namespace mistudio::quant
