#include "tokenizer/decoders.h"

#include "mistudio/result.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

#include <nlohmann/json.hpp>

namespace mistudio::tok {

std::string lossyUtf8(const std::string& bytes) {
    return isValidUtf8(bytes) ? bytes : sanitizeUtf8(bytes).text;
}

namespace {

class ByteLevelDecoder : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::string bytes;
        for (const std::string& t : tokens) {
            const size_t mark = bytes.size();
            bool ok = true;
            for (size_t i = 0; i < t.size() && ok;) {
                const int b = charToByte(nextCodepoint(t, i));
                if (b < 0)
                    ok = false;
                else
                    bytes.push_back(static_cast<char>(b));
            }
            if (!ok) { // a token outside the byte alphabet is kept as it is
                bytes.resize(mark);
                bytes += t;
            }
        }
        tokens.assign(1, lossyUtf8(bytes));
    }
};

class MetaspaceDecoder : public Decoder {
public:
    MetaspaceDecoder(uint32_t rep, bool stripFirst) : m_rep(rep), m_stripFirst(stripFirst) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (size_t k = 0; k < tokens.size(); ++k) {
            std::string out;
            const std::string& t = tokens[k];
            for (size_t i = 0; i < t.size();) {
                const uint32_t cp = nextCodepoint(t, i);
                if (cp != m_rep)
                    appendUtf8(out, cp);
                else if (!(k == 0 && m_stripFirst))
                    out += ' ';
            }
            tokens[k] = std::move(out);
        }
    }

private:
    uint32_t m_rep;
    bool m_stripFirst;
};

class ByteFallbackDecoder : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::vector<std::string> out;
        std::string pending;
        auto flush = [&] {
            if (pending.empty())
                return;
            if (isValidUtf8(pending))
                out.push_back(pending);
            else
                for (size_t i = 0; i < pending.size(); ++i)
                    out.emplace_back("\xEF\xBF\xBD");
            pending.clear();
        };
        for (std::string& t : tokens) {
            int byte = -1;
            if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
                char* end = nullptr;
                const std::string hex = t.substr(3, 2);
                const long v = std::strtol(hex.c_str(), &end, 16);
                if (end == hex.c_str() + 2)
                    byte = static_cast<int>(v);
            }
            if (byte >= 0) {
                pending.push_back(static_cast<char>(byte));
            } else {
                flush();
                out.push_back(std::move(t));
            }
        }
        flush();
        tokens = std::move(out);
    }
};

class FuseDecoder : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::string all;
        for (const auto& t : tokens)
            all += t;
        tokens.assign(1, all);
    }
};

class StripDecoder : public Decoder {
public:
    StripDecoder(uint32_t c, size_t start, size_t stop) : m_c(c), m_start(start), m_stop(stop) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (std::string& t : tokens) {
            const std::vector<uint32_t> cps = codepoints(t);
            size_t b = 0, e = cps.size();
            for (size_t i = 0; i < m_start && i < cps.size() && cps[i] == m_c; ++i)
                b = i + 1;
            for (size_t i = 0; i < m_stop && i < cps.size() && cps[cps.size() - 1 - i] == m_c; ++i)
                e = cps.size() - 1 - i;
            std::string out;
            for (size_t i = b; i < e; ++i)
                appendUtf8(out, cps[i]);
            t = std::move(out);
        }
    }

private:
    uint32_t m_c;
    size_t m_start, m_stop;
};

class ReplaceDecoder : public Decoder {
public:
    ReplaceDecoder(const std::string& pattern, bool literal, std::string content,
                   const std::string& where)
        : m_re(pattern, literal, where), m_content(std::move(content)) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::vector<Match> ms;
        for (std::string& t : tokens) {
            ms.clear();
            m_re.findAll(t, ms);
            if (ms.empty())
                continue;
            std::string out;
            size_t pos = 0;
            for (const Match& m : ms) {
                out.append(t, pos, m.b - pos);
                out += m_content;
                pos = m.e;
            }
            out.append(t, pos, std::string::npos);
            t = std::move(out);
        }
    }

private:
    Regex m_re;
    std::string m_content;
};

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
        s.replace(p, from.size(), to);
}

class WordPieceDecoder : public Decoder {
public:
    WordPieceDecoder(std::string prefix, bool cleanup)
        : m_prefix(std::move(prefix)), m_cleanup(cleanup) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            std::string& t = tokens[i];
            if (i != 0) {
                if (t.rfind(m_prefix, 0) == 0)
                    t.erase(0, m_prefix.size());
                else
                    t = " " + t;
            }
            if (m_cleanup)
                for (const auto& [from, to] : kCleanup)
                    replaceAll(t, from, to);
        }
    }

private:
    static inline const std::pair<std::string, std::string> kCleanup[] = {
        {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
        {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
        {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    std::string m_prefix;
    bool m_cleanup;
};

class BpeSuffixDecoder : public Decoder {
public:
    explicit BpeSuffixDecoder(std::string suffix) : m_suffix(std::move(suffix)) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i)
            replaceAll(tokens[i], m_suffix, i + 1 == tokens.size() ? "" : " ");
    }

private:
    std::string m_suffix;
};

class SequenceDecoder : public Decoder {
public:
    std::vector<std::unique_ptr<Decoder>> steps;
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (const auto& s : steps)
            s->decodeChain(tokens);
    }
};

uint32_t firstCodepoint(const std::string& s, uint32_t fallback) {
    const auto cps = codepoints(s);
    return cps.empty() ? fallback : cps[0];
}

} // namespace

std::unique_ptr<Decoder> makeDecoder(const nlohmann::json& j, const std::string& where) {
    if (j.is_null())
        return nullptr;
    const std::string type = j.value("type", "");
    const std::string here = where + " decoder " + type;
    if (type == "Sequence") {
        auto seq = std::make_unique<SequenceDecoder>();
        for (const auto& d : j.at("decoders"))
            if (auto step = makeDecoder(d, where))
                seq->steps.push_back(std::move(step));
        return seq;
    }
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelDecoder>();
    if (type == "Metaspace") {
        bool stripFirst = true;
        if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string())
            stripFirst = j["prepend_scheme"].get<std::string>() != "never";
        else if (j.contains("add_prefix_space"))
            stripFirst = j.value("add_prefix_space", true);
        return std::make_unique<MetaspaceDecoder>(
            firstCodepoint(j.value("replacement", std::string("\xE2\x96\x81")), 0x2581),
            stripFirst);
    }
    if (type == "ByteFallback")
        return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse")
        return std::make_unique<FuseDecoder>();
    if (type == "Strip")
        return std::make_unique<StripDecoder>(firstCodepoint(j.at("content"), ' '),
                                              j.value("start", 0), j.value("stop", 0));
    if (type == "Replace") {
        const auto& pat = j.at("pattern");
        const bool literal = pat.contains("String");
        const std::string p =
            literal ? pat.at("String").get<std::string>() : pat.at("Regex").get<std::string>();
        return std::make_unique<ReplaceDecoder>(p, literal, j.at("content").get<std::string>(),
                                                here);
    }
    if (type == "WordPiece")
        return std::make_unique<WordPieceDecoder>(j.value("prefix", std::string("##")),
                                                  j.value("cleanup", true));
    if (type == "BPEDecoder")
        return std::make_unique<BpeSuffixDecoder>(j.value("suffix", std::string("</w>")));
    throw Exception(ErrorCode::Unsupported, "decoder type '" + type + "' is not supported", where,
                    "supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, "
                    "WordPiece, BPEDecoder, Sequence");
}

} // namespace mistudio::tok
