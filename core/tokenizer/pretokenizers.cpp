#include "tokenizer/pretokenizers.h"

#include "mistudio/result.h"
#include "tokenizer/utf8.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

namespace mistudio::tok {

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

struct Seg {
    uint32_t b, e;
    bool match;
};

// Turns the match/non-match segments of one piece into pieces, as the reference's
// NormalizedString::split does for each behavior; empty pieces are dropped.
void emitSegments(std::vector<Seg>& segs, SplitBehavior behavior, std::vector<Range>& out) {
    std::vector<Seg> merged;
    switch (behavior) {
    case SplitBehavior::Removed:
        for (const Seg& s : segs)
            if (!s.match && s.e > s.b)
                out.push_back({s.b, s.e});
        return;
    case SplitBehavior::Isolated: merged = segs; break;
    case SplitBehavior::MergedWithPrevious: {
        bool prevMatch = false;
        for (const Seg& s : segs) {
            if (s.match && !prevMatch && !merged.empty())
                merged.back().e = s.e;
            else
                merged.push_back(s);
            prevMatch = s.match;
        }
        break;
    }
    case SplitBehavior::MergedWithNext: {
        bool prevMatch = false;
        for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
            if (it->match && !prevMatch && !merged.empty())
                merged.back().b = it->b;
            else
                merged.push_back(*it);
            prevMatch = it->match;
        }
        std::reverse(merged.begin(), merged.end());
        break;
    }
    case SplitBehavior::Contiguous: {
        bool prevMatch = false;
        for (const Seg& s : segs) {
            if (s.match == prevMatch && !merged.empty())
                merged.back().e = s.e;
            else
                merged.push_back(s);
            prevMatch = s.match;
        }
        break;
    }
    }
    for (const Seg& s : merged)
        if (s.e > s.b)
            out.push_back({s.b, s.e});
}

// Splits every piece with a segmentation function, then applies `behavior`.
void splitPieces(PreTokState& st, SplitBehavior behavior,
                 const std::function<void(const Range&, std::vector<Seg>&)>& segment) {
    st.newPieces.clear();
    std::vector<Seg> segs;
    for (const Range& r : st.pieces) {
        segs.clear();
        segment(r, segs);
        emitSegments(segs, behavior, st.newPieces);
    }
    st.pieces.swap(st.newPieces);
}

void regexSegments(const Regex& re, PreTokState& st, const Range& r, bool invert,
                   std::vector<Seg>& segs) {
    st.matches.clear();
    re.findAll(std::string_view(st.buf.s).substr(r.b, r.e - r.b), st.matches);
    uint32_t prev = r.b;
    for (const Match& m : st.matches) {
        const uint32_t b = r.b + m.b, e = r.b + m.e;
        if (prev != b)
            segs.push_back({prev, b, invert});
        segs.push_back({b, e, !invert});
        prev = e;
    }
    if (prev != r.e)
        segs.push_back({prev, r.e, invert});
}

// Each character matching `pred` is its own match; runs of other characters are one segment.
template <typename Pred>
void charSegments(const std::string& s, const Range& r, Pred pred, std::vector<Seg>& segs) {
    uint32_t last = r.b;
    for (size_t i = r.b; i < r.e;) {
        const size_t start = i;
        if (pred(nextCodepoint(s, i))) {
            if (last < start)
                segs.push_back({last, static_cast<uint32_t>(start), false});
            segs.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(i), true});
            last = static_cast<uint32_t>(i);
        }
    }
    if (last < r.e)
        segs.push_back({last, r.e, false});
}

template <typename Pred> class CharSplit : public PreTokenizer {
public:
    CharSplit(Pred pred, SplitBehavior b) : m_pred(pred), m_behavior(b) {}
    void apply(PreTokState& st) const override {
        splitPieces(st, m_behavior, [&](const Range& r, std::vector<Seg>& segs) {
            charSegments(st.buf.s, r, m_pred, segs);
        });
    }

private:
    Pred m_pred;
    SplitBehavior m_behavior;
};
template <typename Pred> std::unique_ptr<PreTokenizer> charSplit(Pred pred, SplitBehavior b) {
    return std::make_unique<CharSplit<Pred>>(pred, b);
}

class RegexSplit : public PreTokenizer {
public:
    RegexSplit(const std::string& pattern, bool literal, SplitBehavior b, bool invert,
               const std::string& where)
        : m_re(pattern, literal, where), m_behavior(b), m_invert(invert) {}
    void apply(PreTokState& st) const override {
        splitPieces(st, m_behavior, [&](const Range& r, std::vector<Seg>& segs) {
            regexSegments(m_re, st, r, m_invert, segs);
        });
    }

private:
    Regex m_re;
    SplitBehavior m_behavior;
    bool m_invert;
};

// Rewrites each piece: fn(st.buf, piece, out) appends the new piece text to `out`.
template <typename Fn> void transformPieces(PreTokState& st, Fn fn) {
    NormText& out = st.scratch;
    out.clear();
    st.newPieces.clear();
    for (const Range& r : st.pieces) {
        const auto b = static_cast<uint32_t>(out.s.size());
        fn(st.buf, r, out);
        st.newPieces.push_back({b, static_cast<uint32_t>(out.s.size())});
    }
    std::swap(st.buf, out);
    st.pieces.swap(st.newPieces);
}

class ByteLevelPre : public PreTokenizer {
public:
    ByteLevelPre(bool addPrefixSpace, bool useRegex, const std::string& where)
        : m_addPrefixSpace(addPrefixSpace) {
        if (useRegex)
            m_split = std::make_unique<RegexSplit>(kGpt2Pattern, false, SplitBehavior::Isolated,
                                                   false, where);
        const auto& table = byteToChar();
        for (int b = 0; b < 256; ++b)
            m_chars[b] = utf8(table[b]);
    }
    void apply(PreTokState& st) const override {
        if (m_addPrefixSpace)
            transformPieces(st, [](const NormText& t, const Range& r, NormText& out) {
                if (t.s[r.b] != ' ')
                    out.appendNew(" ",
                                  t.charSpan(r.b, utf8Len(static_cast<unsigned char>(t.s[r.b]))));
                out.appendSlice(t, r.b, r.e);
            });
        if (m_split)
            m_split->apply(st);
        transformPieces(st, [this](const NormText& t, const Range& r, NormText& out) {
            size_t n = out.s.size();
            out.s.resize(n + 2 * (r.e - r.b));
            out.align.resize(n + 2 * (r.e - r.b));
            for (uint32_t i = r.b; i < r.e; ++i) {
                const std::string& c = m_chars[static_cast<unsigned char>(t.s[i])];
                out.s[n] = c[0];
                out.align[n++] = t.align[i];
                if (c.size() == 2) {
                    out.s[n] = c[1];
                    out.align[n++] = t.align[i];
                }
            }
            out.s.resize(n);
            out.align.resize(n);
        });
    }

private:
    bool m_addPrefixSpace;
    std::unique_ptr<RegexSplit> m_split;
    std::string m_chars[256];
};

class MetaspacePre : public PreTokenizer {
public:
    enum class Prepend { Always, First, Never };
    MetaspacePre(std::string replacement, Prepend scheme, bool split)
        : m_rep(std::move(replacement)), m_scheme(scheme), m_split(split) {
        m_repCp = codepoints(m_rep).empty() ? 0x2581 : codepoints(m_rep)[0];
    }
    void apply(PreTokState& st) const override {
        transformPieces(st, [this](const NormText& t, const Range& r, NormText& out) {
            const bool startsWithRep =
                std::string_view(t.s).substr(r.b, r.e - r.b).rfind(m_rep, 0) == 0 ||
                (t.s[r.b] == ' '); // ' ' becomes the replacement below
            const bool prepend =
                m_scheme == Prepend::Always || (m_scheme == Prepend::First && t.align[r.b].b == 0);
            if (prepend && !startsWithRep)
                out.appendNew(m_rep,
                              t.charSpan(r.b, utf8Len(static_cast<unsigned char>(t.s[r.b]))));
            for (uint32_t i = r.b; i < r.e; ++i) {
                if (t.s[i] == ' ')
                    out.appendNew(m_rep, t.align[i]);
                else
                    out.appendSlice(t, i, i + 1);
            }
        });
        if (m_split) {
            const uint32_t rep = m_repCp;
            splitPieces(st, SplitBehavior::MergedWithNext,
                        [&](const Range& r, std::vector<Seg>& s) {
                            charSegments(
                                st.buf.s, r, [rep](uint32_t c) { return c == rep; }, s);
                        });
        }
    }

private:
    std::string m_rep;
    uint32_t m_repCp;
    Prepend m_scheme;
    bool m_split;
};

class SequencePre : public PreTokenizer {
public:
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    void apply(PreTokState& st) const override {
        for (const auto& s : steps)
            s->apply(st);
    }
};

SplitBehavior parseBehavior(const nlohmann::json& j, const std::string& where) {
    const std::string b = j.is_string() ? j.get<std::string>() : "Isolated";
    if (b == "Removed")
        return SplitBehavior::Removed;
    if (b == "Isolated")
        return SplitBehavior::Isolated;
    if (b == "MergedWithPrevious")
        return SplitBehavior::MergedWithPrevious;
    if (b == "MergedWithNext")
        return SplitBehavior::MergedWithNext;
    if (b == "Contiguous")
        return SplitBehavior::Contiguous;
    throw Exception(ErrorCode::InvalidFormat, "unknown split behavior '" + b + "'", where,
                    "use Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

std::unique_ptr<PreTokenizer> makeMetaspace(const nlohmann::json& j) {
    std::string rep = j.value("replacement", std::string("\xE2\x96\x81"));
    MetaspacePre::Prepend scheme = MetaspacePre::Prepend::Always;
    if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
        const std::string s = j["prepend_scheme"];
        scheme = s == "first"   ? MetaspacePre::Prepend::First
                 : s == "never" ? MetaspacePre::Prepend::Never
                                : MetaspacePre::Prepend::Always;
    } else if (j.contains("add_prefix_space") && !j.value("add_prefix_space", true)) {
        scheme = MetaspacePre::Prepend::Never;
    }
    return std::make_unique<MetaspacePre>(rep, scheme, j.value("split", true));
}

} // namespace

std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& j, const std::string& where) {
    if (j.is_null())
        return nullptr;
    const std::string type = j.value("type", "");
    const std::string here = where + " pre_tokenizer " + type;
    if (type == "Sequence") {
        auto seq = std::make_unique<SequencePre>();
        for (const auto& p : j.at("pretokenizers"))
            if (auto step = makePreTokenizer(p, where))
                seq->steps.push_back(std::move(step));
        return seq;
    }
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPre>(j.value("add_prefix_space", true),
                                              j.value("use_regex", true), here);
    if (type == "Split") {
        const auto& pat = j.at("pattern");
        const bool literal = pat.contains("String");
        const std::string p =
            literal ? pat.at("String").get<std::string>() : pat.at("Regex").get<std::string>();
        return std::make_unique<RegexSplit>(p, literal, parseBehavior(j.at("behavior"), here),
                                            j.value("invert", false), here);
    }
    if (type == "Metaspace")
        return makeMetaspace(j);
    if (type == "Digits") {
        const bool individual = j.value("individual_digits", false);
        return charSplit(isNumeric,
                         individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
    }
    if (type == "Whitespace") // keep the matches of \w+|[^\w\s]+, drop the rest
        return std::make_unique<RegexSplit>(R"(\w+|[^\w\s]+)", false, SplitBehavior::Removed, true,
                                            here);
    if (type == "WhitespaceSplit")
        return charSplit(isWhitespace, SplitBehavior::Removed);
    if (type == "Punctuation")
        return charSplit(isPunctuation, parseBehavior(j.value("behavior", nlohmann::json()), here));
    if (type == "BertPreTokenizer") {
        auto seq = std::make_unique<SequencePre>();
        seq->steps.push_back(charSplit(isWhitespace, SplitBehavior::Removed));
        seq->steps.push_back(charSplit(isPunctuation, SplitBehavior::Isolated));
        return seq;
    }
    if (type == "CharDelimiterSplit") {
        const auto cps = codepoints(j.at("delimiter").get<std::string>());
        const uint32_t d = cps.empty() ? 0 : cps[0];
        return charSplit([d](uint32_t c) { return c == d; }, SplitBehavior::Removed);
    }
    throw Exception(ErrorCode::Unsupported, "pre-tokenizer type '" + type + "' is not supported",
                    where,
                    "supported: ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit, "
                    "Punctuation, BertPreTokenizer, CharDelimiterSplit, Sequence");
}

} // namespace mistudio::tok
