#pragma once
// UTF-8 helpers for the tokenizer: validation, replacement of invalid bytes by U+FFFD, code point
// iteration, the Unicode classes the Rust reference uses (char::is_whitespace, is_numeric, ...)
// and the GPT-2 byte <-> character table.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mistudio::tok {

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool isValidUtf8(std::string_view s);

/// `text` with each maximal invalid subsequence replaced by U+FFFD (Python errors="replace",
/// Rust from_utf8_lossy). `origin[i]` is the input byte offset where output byte i came from;
/// origin has text.size() + 1 entries, the last being the input size.
struct SanitizedText {
    std::string text;
    std::vector<uint32_t> origin;
};
SanitizedText sanitizeUtf8(std::string_view s);

/// Length in bytes of the UTF-8 sequence starting with lead byte `c` (valid input assumed).
inline size_t utf8Len(unsigned char c) {
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/// Decodes the code point at s[i] of valid UTF-8 and advances i past it.
inline uint32_t nextCodepoint(std::string_view s, size_t& i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        ++i;
        return c;
    }
    const size_t n = utf8Len(c);
    uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < n && i + k < s.size(); ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += n;
    return cp;
}

void appendUtf8(std::string& out, uint32_t cp);
std::string utf8(uint32_t cp);
/// Code points of valid UTF-8 text.
std::vector<uint32_t> codepoints(std::string_view s);

/// Rust char::is_whitespace (Unicode White_Space).
bool isWhitespace(uint32_t cp);
/// Rust char::is_numeric (general categories Nd, Nl, No).
bool isNumeric(uint32_t cp);
/// Rust char::is_alphanumeric, approximated as categories L* and N*.
bool isAlphanumeric(uint32_t cp);
/// Unicode punctuation (P*) or ASCII punctuation (as the Punctuation pre-tokenizer).
bool isPunctuation(uint32_t cp);
/// Rust regex \w: letters, marks, decimal digits, connector punctuation, joiners.
bool isWordChar(uint32_t cp);

/// GPT-2's reversible byte -> printable character map ("Ġ" for a space).
const std::array<uint32_t, 256>& byteToChar();
/// Inverse of byteToChar: the byte for a code point, or -1.
int charToByte(uint32_t cp);

} // namespace mistudio::tok
