#pragma once
// Quantizing a weight while reporting which part of it has been consumed, so that a caller
// reading from a file mapping can drop those pages at once (model/transformer.cpp): the peak is
// one chunk of file pages instead of the whole matrix's.

#include "quant/quant.h"

#include <functional>

namespace mistudio::quant {

/// Called after each chunk with the (already quantized) part of the source weight.
using ChunkDone = std::function<void(const at::Tensor& consumed)>;
/// Returns the values of `part` (a chunk of the source weight) to quantize, e.g. read from the
/// file into a reused buffer instead of faulting the mapping in. Valid until the next call.
using ChunkFetch = std::function<at::Tensor(const at::Tensor& part)>;

/// quantize() with `done` called per chunk of kChunkWeights weights, in order; each chunk's
/// values come from `fetch` when given (the chunk itself otherwise).
QuantizedTensor quantizeStreaming(const at::Tensor& weight, const QuantConfig& config,
                                  const ChunkDone& done, const ChunkFetch& fetch = {});

} // namespace mistudio::quant
