#pragma once
// Feature-page parts computed from the SAE's decoder alone: nearest features by decoder cosine and
// the promoted / suppressed tokens of each decoder row's logit effects.

#include "mistudio/project_types.h"

#include <ATen/ATen.h>
#include <vector>

namespace mistudio::analysis {

/// For rows [begin, end) of wDec [d_sae, d_in]: the `n` other rows with the highest cosine, best
/// first. Computed in blocks of `block` rows, so memory is block x d_sae, never d_sae^2.
std::vector<std::vector<Neighbor>> decoderNeighbors(const at::Tensor& wDec, int64_t begin,
                                                    int64_t end, int n, int64_t block = 1024);

struct LogitTokens {
    std::vector<TokenValue> positive; // highest first
    std::vector<TokenValue> negative; // lowest first
};

/// The `n` highest and lowest entries of each row of effects [N, vocab] (token strings empty).
std::vector<LogitTokens> topLogitTokens(const at::Tensor& effects, int n);

} // namespace mistudio::analysis
