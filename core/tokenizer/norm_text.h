#pragma once
// A text being normalized / pre-tokenized, with the original byte range of every byte (the
// "alignments" of the reference's NormalizedString), so token offsets map back to the input.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mistudio::tok {

struct Span {
    uint32_t b = 0;
    uint32_t e = 0;
};

struct NormText {
    std::string s;
    std::vector<Span> align; // one per byte of s: the original bytes it came from

    void clear() {
        s.clear();
        align.clear();
    }
    /// Unmodified text: byte i comes from original byte base + i.
    void assignIdentity(std::string_view text, uint32_t base) {
        s.assign(text.data(), text.size());
        align.resize(text.size());
        for (uint32_t i = 0; i < text.size(); ++i)
            align[i] = {base + i, base + i + 1};
    }
    void appendSlice(const NormText& src, size_t b, size_t e) {
        s.append(src.s, b, e - b);
        align.insert(align.end(), src.align.begin() + static_cast<long>(b),
                     src.align.begin() + static_cast<long>(e));
    }
    /// New bytes that all come from the original range `span`.
    void appendNew(std::string_view str, Span span) {
        s.append(str.data(), str.size());
        align.insert(align.end(), str.size(), span);
    }
    /// Original range of normalized bytes [b, e); an empty range maps to an empty span.
    Span original(size_t b, size_t e) const {
        if (b >= e) {
            const uint32_t at =
                b < align.size() ? align[b].b : (align.empty() ? 0 : align.back().e);
            return {at, at};
        }
        return {align[b].b, align[e - 1].e};
    }
    /// Original span of the code point starting at byte i (whose length is n bytes).
    Span charSpan(size_t i, size_t n) const { return original(i, i + n); }
};

/// A half-open byte range of a NormText.
struct Range {
    uint32_t b = 0;
    uint32_t e = 0;
};

} // namespace mistudio::tok
