#pragma once
// Helpers shared by the feature writer, the migrations and the queries.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mistudio::store {

/// Distinct token ids on which an example's activation is > 0 (the "fires on token" index).
inline std::vector<int32_t> firingTokens(const std::vector<int32_t>& ids,
                                         const std::vector<float>& acts) {
    std::vector<int32_t> out;
    const size_t n = std::min(ids.size(), acts.size());
    for (size_t i = 0; i < n; ++i)
        if (acts[i] > 0.0f)
            out.push_back(ids[i]);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace mistudio::store
