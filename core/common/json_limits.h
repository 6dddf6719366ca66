#pragma once
// JSON from files a stranger may send (config.json, tokenizer.json) is parsed with a nesting
// limit. nlohmann's parser itself is iterative, but dump(), comparisons and the readers of nested
// components recurse: a 200,000-deep array in config.json overflowed the stack (found by
// fuzzing). No real file of these formats nests beyond a dozen levels. Internal header.

#include "mistudio/result.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace mistudio {

constexpr int kMaxJsonNesting = 64;

/// nlohmann::json::parse(input) that throws Exception(InvalidFormat, ..., where, fix) for
/// nesting deeper than kMaxJsonNesting; syntax errors still throw nlohmann::json::parse_error.
template <class Input>
nlohmann::json parseJsonLimitingDepth(Input&& input, const std::string& where,
                                      const std::string& fix) {
    auto limit = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxJsonNesting)
            throw Exception(ErrorCode::InvalidFormat,
                            "JSON nested deeper than " + std::to_string(kMaxJsonNesting) +
                                " levels",
                            where, fix);
        return true;
    };
    return nlohmann::json::parse(std::forward<Input>(input), limit);
}

} // namespace mistudio
