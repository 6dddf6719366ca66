#pragma once
// Quantizing a weight while reporting which part of it has been consumed, so that a caller
// reading from a file mapping can drop those pages at once (model/transformer.cpp): the peak is
// one chunk of file pages instead of the whole matrix's.

#include "quant/quant.h"

#include <functional>

namespace mistudio::quant {

/// Called after each chunk with the (already quantized) part of the source weight.
using ChunkDone = std::function<void(const at::Tensor& consumed)>;

/// quantize() with `done` called per chunk of kChunkWeights weights, in order.
QuantizedTensor quantizeStreaming(const at::Tensor& weight, const QuantConfig& config,
                                  const ChunkDone& done);

} // namespace mistudio::quant
