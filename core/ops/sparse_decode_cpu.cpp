#include "ops/sparse_decode.h"

#include <ATen/ATen.h>

namespace mistudio::ops {

at::Tensor sparseDecodeReference(const at::Tensor& indices, const at::Tensor& values,
                                 const at::Tensor& weight, const at::Tensor& bias) {
    const auto batch = indices.size(0);
    const auto k = indices.size(1);
    // rows: [B, k, d]; values [B, 1, k] x rows -> [B, 1, d]
    at::Tensor rows =
        weight.index_select(0, indices.reshape({-1})).view({batch, k, weight.size(1)});
    at::Tensor out = at::bmm(values.unsqueeze(1), rows).squeeze(1);
    if (bias.defined())
        out.add_(bias);
    return out;
}

} // namespace mistudio::ops
