#include "data/text_util.h"

#include <algorithm>

namespace mistudio::data {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid.
size_t validSequence(const unsigned char* s, size_t i, size_t n) {
    const unsigned char c = s[i];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n - i < len)
        return 0;
    for (size_t k = 1; k < len; ++k) {
        if ((s[i + k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

} // namespace

uint64_t repairUtf8(std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) { // fast path: most text is valid
        const size_t len = validSequence(p, i, n);
        if (len == 0)
            break;
        i += len;
    }
    if (i == n)
        return 0;
    std::string out(s, 0, i);
    uint64_t replaced = 0;
    while (i < n) {
        const size_t len = validSequence(p, i, n);
        if (len) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++replaced;
            ++i;
        }
    }
    s = std::move(out);
    return replaced;
}

uint64_t removeNuls(std::string& s) {
    const auto before = s.size();
    s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
    return before - s.size();
}

bool isBlank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    });
}

} // namespace mistudio::data
