#include "tokenizer/utf8.h"

#include <utf8proc.h>

namespace mistudio::tok {

namespace {

// Length of the well-formed sequence at s[i], or the length of its maximal invalid prefix
// (>= 1) negated. Follows Unicode Table 3-7, so overlongs and surrogates are invalid.
int sequenceLength(std::string_view s, size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80)
        return 1;
    int n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return -1;
    }
    for (int k = 1; k < n; ++k) {
        if (i + k >= s.size())
            return -k;
        const auto b = static_cast<unsigned char>(s[i + k]);
        const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (b < l || b > h)
            return -k;
    }
    return n;
}

const utf8proc_property_t* prop(uint32_t cp) {
    return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
}

} // namespace

bool isValidUtf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        // Fast path over ASCII, 8 bytes at a time.
        while (i + 8 <= s.size()) {
            uint64_t w;
            __builtin_memcpy(&w, s.data() + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= s.size())
            break;
        const int n = sequenceLength(s, i);
        if (n < 0)
            return false;
        i += static_cast<size_t>(n);
    }
    return true;
}

SanitizedText sanitizeUtf8(std::string_view s) {
    SanitizedText out;
    out.text.reserve(s.size() + 8);
    out.origin.reserve(s.size() + 9);
    size_t i = 0;
    while (i < s.size()) {
        const int n = sequenceLength(s, i);
        if (n > 0) {
            for (int k = 0; k < n; ++k) {
                out.text.push_back(s[i + k]);
                out.origin.push_back(static_cast<uint32_t>(i + k));
            }
            i += static_cast<size_t>(n);
        } else {
            out.text += "\xEF\xBF\xBD";
            for (int k = 0; k < 3; ++k)
                out.origin.push_back(static_cast<uint32_t>(i));
            i += static_cast<size_t>(-n);
        }
    }
    out.origin.push_back(static_cast<uint32_t>(s.size()));
    return out;
}

void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string utf8(uint32_t cp) {
    std::string s;
    appendUtf8(s, cp);
    return s;
}

std::vector<uint32_t> codepoints(std::string_view s) {
    std::vector<uint32_t> out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();)
        out.push_back(nextCodepoint(s, i));
    return out;
}

bool isWhitespace(uint32_t cp) {
    switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool isNumeric(uint32_t cp) {
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    const auto c = prop(cp)->category;
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool isAlphanumeric(uint32_t cp) {
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
    const auto c = prop(cp)->category;
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

bool isPunctuation(uint32_t cp) {
    if (cp < 0x80)
        return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) ||
               (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E);
    const auto c = prop(cp)->category;
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

bool isWordChar(uint32_t cp) {
    if (cp < 0x80)
        return cp == '_' || isAlphanumeric(cp);
    if (cp == 0x200C || cp == 0x200D)
        return true;
    const auto c = prop(cp)->category;
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME) || c == UTF8PROC_CATEGORY_ND ||
           c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_PC;
}

const std::array<uint32_t, 256>& byteToChar() {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        uint32_t next = 256;
        for (uint32_t b = 0; b < 256; ++b) {
            const bool printable =
                (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            t[b] = printable ? b : next++;
        }
        return t;
    }();
    return table;
}

int charToByte(uint32_t cp) {
    static const std::vector<int> inverse = [] {
        std::vector<int> v(512, -1);
        const auto& t = byteToChar();
        for (int b = 0; b < 256; ++b)
            v[t[b]] = b;
        return v;
    }();
    return cp < inverse.size() ? inverse[cp] : -1;
}

} // namespace mistudio::tok
