#pragma once
// The geometric median of a set of points (argmin_m sum_i ||x_i - m||), used to initialise b_dec
// as SAELens's b_dec_init_method "geometric_median" does. Internal header.

#include <ATen/ATen.h>

namespace mistudio::sae {

/// Weiszfeld's algorithm in float64, as SAELens's compute_geometric_median: start at the mean,
/// reweight each point by 1 / max(||x_i - m||, eps), stop after `maxIterations` or when the
/// objective changes by at most ftol * objective. points [N, d] (any float dtype, any device);
/// returns float64 [d] on the points' device.
at::Tensor geometricMedian(const at::Tensor& points, int64_t maxIterations = 100, double eps = 1e-6,
                           double ftol = 1e-20);

} // namespace mistudio::sae
