#pragma once
// Text hygiene shared by the dataset sources: UTF-8 repair and NUL handling.

#include <cstddef>
#include <cstdint>
#include <string>

namespace mistudio::data {

/// Replaces every invalid UTF-8 sequence (stray continuation bytes, overlongs, surrogates,
/// code points past U+10FFFF, truncated sequences) by U+FFFD; returns how many were replaced.
uint64_t repairUtf8(std::string& s);

/// Removes U+0000 characters (valid UTF-8 but poison for tokenizers); returns how many.
uint64_t removeNuls(std::string& s);

/// True when the string holds only ASCII whitespace.
bool isBlank(const std::string& s);

} // namespace mistudio::data
