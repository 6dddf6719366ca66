#include "sae/geometric_median.h"

#include "mistudio/result.h"

#include <cmath>

namespace mistudio::sae {

at::Tensor geometricMedian(const at::Tensor& pointsIn, int64_t maxIterations, double eps,
                           double ftol) {
    if (pointsIn.dim() != 2 || pointsIn.size(0) == 0)
        throw Exception(ErrorCode::InvalidArgument,
                        "the geometric median needs a non-empty [N, d] sample", "b_dec_init", "");
    const at::Tensor x = pointsIn.to(at::kDouble);
    auto objective = [&](const at::Tensor& m) { return (x - m).norm(2, {1}).sum().item<double>(); };
    at::Tensor median = x.mean(0);
    double value = objective(median);
    for (int64_t it = 0; it < maxIterations; ++it) {
        const at::Tensor w = 1.0 / (x - median).norm(2, {1}).clamp_min(eps);
        median = (w.unsqueeze(1) * x).sum(0) / w.sum();
        const double previous = value;
        value = objective(median);
        if (std::abs(previous - value) <= ftol * value)
            break;
    }
    return median;
}

} // namespace mistudio::sae
