#pragma once
// Token ids read from tokenizer.json: JSON integers in [0, kMaxTokenId). A float, a negative
// number or a huge id (found by fuzzing: 1e15 converted to int is undefined behaviour, and an id
// of 2^31 - 1 sized the id → token table at 2^31 entries) is refused with InvalidFormat.

#include "mistudio/result.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace mistudio::tok {

/// Larger than any released vocabulary (Gemma: 256,000) by far, small enough to index tables.
constexpr int64_t kMaxTokenId = int64_t(1) << 24;

inline int32_t tokenIdFromJson(const nlohmann::json& v, const std::string& what,
                               const std::string& where) {
    if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() < kMaxTokenId)
        return static_cast<int32_t>(v.get<int64_t>());
    if (v.is_number_unsigned() && v.get<uint64_t>() < uint64_t(kMaxTokenId))
        return static_cast<int32_t>(v.get<uint64_t>());
    throw Exception(ErrorCode::InvalidFormat,
                    "the id of " + what + " is " + v.dump() + ", not an integer in [0, " +
                        std::to_string(kMaxTokenId) + ")",
                    where, "re-export the tokenizer with the `tokenizers` library");
}

} // namespace mistudio::tok
