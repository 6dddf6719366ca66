#include "analysis/decoder_geometry.h"

#include <algorithm>
#include <limits>

namespace mistudio::analysis {

std::vector<std::vector<Neighbor>> decoderNeighbors(const at::Tensor& wDec, int64_t begin,
                                                    int64_t end, int n, int64_t block) {
    const at::Tensor w = wDec.to(at::kFloat);
    const at::Tensor unit = w / w.norm(2, {1}, true).clamp_min(1e-12);
    const int64_t d = unit.size(0);
    const int64_t kk = std::min<int64_t>(n, d - 1);
    std::vector<std::vector<Neighbor>> out;
    out.reserve(end - begin);
    for (int64_t b = begin; b < end; b += block) {
        const int64_t e = std::min(end, b + block);
        at::Tensor sims = at::matmul(unit.slice(0, b, e), unit.t()); // [rows, d_sae]
        const at::Tensor self =
            at::arange(b, e, at::TensorOptions().dtype(at::kLong)).to(sims.device()).unsqueeze(1);
        sims.scatter_(1, self, -std::numeric_limits<float>::infinity());
        if (kk <= 0) {
            out.resize(out.size() + (e - b));
            continue;
        }
        const auto [v, i] = sims.topk(kk, 1, true, true);
        const at::Tensor vc = v.cpu().contiguous(), ic = i.cpu().contiguous();
        const auto va = vc.accessor<float, 2>();
        const auto ia = ic.accessor<int64_t, 2>();
        for (int64_t r = 0; r < e - b; ++r) {
            std::vector<Neighbor> row;
            for (int64_t j = 0; j < kk; ++j)
                row.push_back({ia[r][j], va[r][j]});
            out.push_back(std::move(row));
        }
    }
    return out;
}

std::vector<LogitTokens> topLogitTokens(const at::Tensor& effects, int n) {
    const int64_t kk = std::min<int64_t>(n, effects.size(1));
    const auto [pv, pi] = effects.topk(kk, 1, true, true);
    const auto [nv, ni] = effects.topk(kk, 1, false, true);
    const at::Tensor pvc = pv.cpu().contiguous(), pic = pi.cpu().contiguous();
    const at::Tensor nvc = nv.cpu().contiguous(), nic = ni.cpu().contiguous();
    const auto pva = pvc.accessor<float, 2>(), nva = nvc.accessor<float, 2>();
    const auto pia = pic.accessor<int64_t, 2>(), nia = nic.accessor<int64_t, 2>();
    std::vector<LogitTokens> out(effects.size(0));
    for (int64_t r = 0; r < effects.size(0); ++r)
        for (int64_t j = 0; j < kk; ++j) {
            out[r].positive.push_back({static_cast<int32_t>(pia[r][j]), {}, pva[r][j]});
            out[r].negative.push_back({static_cast<int32_t>(nia[r][j]), {}, nva[r][j]});
        }
    return out;
}

} // namespace mistudio::analysis
