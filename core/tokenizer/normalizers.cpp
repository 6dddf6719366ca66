#include "tokenizer/normalizers.h"

#include "mistudio/result.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utf8proc.h>

namespace mistudio::tok {

namespace {

class SequenceNormalizer : public Normalizer {
public:
    std::vector<std::unique_ptr<Normalizer>> steps;
    void apply(NormText& t) const override {
        for (const auto& s : steps)
            s->apply(t);
    }
};

// Unicode normalization with utf8proc. The text is cut into segments that start at each ASCII
// character (ASCII never composes with what precedes it and blocks reordering), so segments
// normalize independently; output characters are aligned 1:1 when a segment keeps its length in
// characters, otherwise to the whole segment.
class UnicodeNormalizer : public Normalizer {
public:
    explicit UnicodeNormalizer(int options) : m_options(options) {}
    void apply(NormText& t) const override {
        bool ascii = true;
        for (unsigned char c : t.s)
            if (c >= 0x80) {
                ascii = false;
                break;
            }
        if (ascii)
            return;
        NormText out;
        out.s.reserve(t.s.size() + 16);
        out.align.reserve(t.s.size() + 16);
        size_t i = 0;
        while (i < t.s.size()) {
            size_t j = i + utf8Len(static_cast<unsigned char>(t.s[i]));
            while (j < t.s.size() && static_cast<unsigned char>(t.s[j]) >= 0x80)
                j += utf8Len(static_cast<unsigned char>(t.s[j]));
            if (j == i + 1)
                out.appendSlice(t, i, j);
            else
                normalizeSegment(t, i, j, out);
            i = j;
        }
        t = std::move(out);
    }

private:
    void normalizeSegment(const NormText& t, size_t b, size_t e, NormText& out) const {
        utf8proc_uint8_t* mapped = nullptr;
        const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(t.s.data() + b),
                                    static_cast<utf8proc_ssize_t>(e - b), &mapped,
                                    static_cast<utf8proc_option_t>(m_options));
        if (n < 0) { // cannot happen on valid UTF-8; keep the text unchanged
            out.appendSlice(t, b, e);
            return;
        }
        const std::string_view res(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
        std::vector<size_t> inStarts, outStarts;
        for (size_t i = b; i < e; i += utf8Len(static_cast<unsigned char>(t.s[i])))
            inStarts.push_back(i);
        for (size_t i = 0; i < res.size(); i += utf8Len(static_cast<unsigned char>(res[i])))
            outStarts.push_back(i);
        const bool oneToOne = inStarts.size() == outStarts.size();
        for (size_t k = 0; k < outStarts.size(); ++k) {
            const size_t ob = outStarts[k];
            const size_t oe = k + 1 < outStarts.size() ? outStarts[k + 1] : res.size();
            const Span span =
                oneToOne ? t.original(inStarts[k], k + 1 < inStarts.size() ? inStarts[k + 1] : e)
                         : t.original(b, e);
            out.appendNew(res.substr(ob, oe - ob), span);
        }
        std::free(mapped);
    }
    int m_options;
};

// Rewrites a text one code point at a time: fn(cp, out) appends the replacement of cp.
template <typename Fn> void mapChars(NormText& t, Fn fn) {
    NormText out;
    out.s.reserve(t.s.size());
    out.align.reserve(t.s.size());
    std::string buf;
    for (size_t i = 0; i < t.s.size();) {
        const size_t start = i;
        const uint32_t cp = nextCodepoint(t.s, i);
        buf.clear();
        fn(cp, buf);
        out.appendNew(buf, t.original(start, i));
    }
    t = std::move(out);
}

class LowercaseNormalizer : public Normalizer {
public:
    void apply(NormText& t) const override {
        mapChars(t, [](uint32_t cp, std::string& out) {
            if (cp == 0x130) { // Rust's full lowercase mapping: "i" + combining dot above
                out += "i\xCC\x87";
                return;
            }
            appendUtf8(out, static_cast<uint32_t>(utf8proc_tolower(static_cast<int32_t>(cp))));
        });
    }
};

class StripAccentsNormalizer : public Normalizer {
public:
    void apply(NormText& t) const override {
        mapChars(t, [](uint32_t cp, std::string& out) {
            if (utf8proc_category(static_cast<int32_t>(cp)) != UTF8PROC_CATEGORY_MN)
                appendUtf8(out, cp);
        });
    }
};

class ByteLevelNormalizer : public Normalizer {
public:
    void apply(NormText& t) const override {
        NormText out;
        const auto& table = byteToChar();
        for (size_t i = 0; i < t.s.size(); ++i)
            out.appendNew(utf8(table[static_cast<unsigned char>(t.s[i])]), t.align[i]);
        t = std::move(out);
    }
};

class StripNormalizer : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : m_left(left), m_right(right) {}
    void apply(NormText& t) const override {
        size_t b = 0, e = t.s.size();
        if (m_left)
            while (b < e) {
                size_t i = b;
                if (!isWhitespace(nextCodepoint(t.s, i)))
                    break;
                b = i;
            }
        if (m_right)
            while (e > b) {
                size_t s = e - 1;
                while (s > b && (static_cast<unsigned char>(t.s[s]) & 0xC0) == 0x80)
                    --s;
                size_t i = s;
                if (!isWhitespace(nextCodepoint(t.s, i)))
                    break;
                e = s;
            }
        NormText out;
        out.appendSlice(t, b, e);
        t = std::move(out);
    }

private:
    bool m_left, m_right;
};

class PrependNormalizer : public Normalizer {
public:
    explicit PrependNormalizer(std::string p) : m_prepend(std::move(p)) {}
    void apply(NormText& t) const override {
        if (t.s.empty())
            return;
        NormText out;
        out.appendNew(m_prepend, t.charSpan(0, utf8Len(static_cast<unsigned char>(t.s[0]))));
        out.appendSlice(t, 0, t.s.size());
        t = std::move(out);
    }

private:
    std::string m_prepend;
};

class ReplaceNormalizer : public Normalizer {
public:
    ReplaceNormalizer(const std::string& pattern, bool literal, std::string content,
                      const std::string& where)
        : m_regex(pattern, literal, where), m_content(std::move(content)) {}
    void apply(NormText& t) const override {
        std::vector<Match> matches;
        m_regex.findAll(t.s, matches);
        if (matches.empty())
            return;
        NormText out;
        size_t pos = 0;
        for (const Match& m : matches) {
            out.appendSlice(t, pos, m.b);
            out.appendNew(m_content, t.original(m.b, m.e));
            pos = m.e;
        }
        out.appendSlice(t, pos, t.s.size());
        t = std::move(out);
    }

private:
    Regex m_regex;
    std::string m_content;
};

} // namespace

std::string Normalizer::normalize(const std::string& s) const {
    NormText t;
    t.assignIdentity(s, 0);
    apply(t);
    return t.s;
}

std::unique_ptr<Normalizer> makeNormalizer(const nlohmann::json& j, const std::string& where) {
    if (j.is_null())
        return nullptr;
    const std::string type = j.value("type", "");
    const std::string here = where + " normalizer " + type;
    if (type == "Sequence") {
        auto seq = std::make_unique<SequenceNormalizer>();
        for (const auto& n : j.at("normalizers"))
            if (auto step = makeNormalizer(n, where))
                seq->steps.push_back(std::move(step));
        return seq;
    }
    if (type == "NFC")
        return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (type == "NFD")
        return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    if (type == "NFKC")
        return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                                   UTF8PROC_COMPAT);
    if (type == "NFKD")
        return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
                                                   UTF8PROC_COMPAT);
    if (type == "Lowercase")
        return std::make_unique<LowercaseNormalizer>();
    if (type == "StripAccents")
        return std::make_unique<StripAccentsNormalizer>();
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelNormalizer>();
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(j.value("strip_left", j.value("left", true)),
                                                 j.value("strip_right", j.value("right", true)));
    if (type == "Prepend")
        return std::make_unique<PrependNormalizer>(j.at("prepend").get<std::string>());
    if (type == "Replace") {
        const auto& pat = j.at("pattern");
        const bool literal = pat.contains("String");
        const std::string p =
            literal ? pat.at("String").get<std::string>() : pat.at("Regex").get<std::string>();
        return std::make_unique<ReplaceNormalizer>(p, literal, j.at("content").get<std::string>(),
                                                   here);
    }
    throw Exception(ErrorCode::Unsupported, "normalizer type '" + type + "' is not supported",
                    where,
                    "supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, "
                    "Prepend, Replace, ByteLevel");
}

std::string describeComponent(const nlohmann::json& j, const char* listKey) {
    if (j.is_null())
        return "";
    std::string type = j.value("type", "?");
    if (type == "Sequence" && j.contains(listKey)) {
        type += "[";
        bool first = true;
        for (const auto& s : j.at(listKey)) {
            type += (first ? "" : ", ") + describeComponent(s, listKey);
            first = false;
        }
        type += "]";
    }
    return type;
}

} // namespace mistudio::tok
