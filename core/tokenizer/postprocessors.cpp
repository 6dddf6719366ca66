#include "tokenizer/postprocessors.h"

#include "mistudio/result.h"
#include "tokenizer/token_id.h"
#include "tokenizer/utf8.h"

#include <nlohmann/json.hpp>

namespace mistudio::tok {

namespace {

Encoding specialEncoding(const std::vector<int32_t>& ids, const std::vector<std::string>& toks) {
    Encoding e;
    e.ids = ids;
    e.tokens = toks;
    e.byteOffsets.assign(ids.size(), TokenSpan{});
    e.specialMask.assign(ids.size(), 1);
    return e;
}

void append(Encoding& to, const Encoding& from) {
    to.ids.insert(to.ids.end(), from.ids.begin(), from.ids.end());
    to.tokens.insert(to.tokens.end(), from.tokens.begin(), from.tokens.end());
    to.byteOffsets.insert(to.byteOffsets.end(), from.byteOffsets.begin(), from.byteOffsets.end());
    to.specialMask.insert(to.specialMask.end(), from.specialMask.begin(), from.specialMask.end());
}

class TemplateProcessor : public PostProcessor {
public:
    explicit TemplateProcessor(std::vector<TemplatePiece> single) : m_single(std::move(single)) {}
    void process(Encoding& e, bool addSpecialTokens) const override {
        if (!addSpecialTokens)
            return;
        Encoding out;
        for (const TemplatePiece& p : m_single) {
            if (p.isSequence)
                append(out, e);
            else
                append(out, specialEncoding(p.ids, p.tokens));
        }
        e = std::move(out);
    }

private:
    std::vector<TemplatePiece> m_single;
};

// The reference's ByteLevel offset trimming: leading/trailing "Ġ" or whitespace characters of a
// token are not part of its offsets (one byte each in the byte-level alphabet).
void trimOffsets(Encoding& e, bool addPrefixSpace) {
    for (size_t i = 0; i < e.ids.size(); ++i) {
        const std::vector<uint32_t> cps = codepoints(e.tokens[i]);
        auto isSpace = [](uint32_t c) { return c == 0x120 || isWhitespace(c); };
        size_t lead = 0, trail = 0;
        while (lead < cps.size() && isSpace(cps[lead]))
            ++lead;
        while (trail < cps.size() && isSpace(cps[cps.size() - 1 - trail]))
            ++trail;
        TokenSpan& o = e.byteOffsets[i];
        if (lead > 0) {
            if ((i == 0 || o.begin == 0) && addPrefixSpace && lead == 1)
                lead = 0;
            o.begin = std::min(o.begin + static_cast<uint32_t>(lead), o.end);
        }
        if (trail > 0 && o.end >= trail)
            o.end = std::max(o.end - static_cast<uint32_t>(trail), o.begin);
    }
}

class ByteLevelProcessor : public PostProcessor {
public:
    ByteLevelProcessor(bool trim, bool addPrefixSpace) : m_trim(trim), m_prefix(addPrefixSpace) {}
    void process(Encoding& e, bool) const override {
        if (m_trim)
            trimOffsets(e, m_prefix);
    }

private:
    bool m_trim, m_prefix;
};

class ClsSepProcessor : public PostProcessor { // RobertaProcessing and BertProcessing
public:
    ClsSepProcessor(TemplatePiece cls, TemplatePiece sep, bool trim, bool prefix)
        : m_cls(std::move(cls)), m_sep(std::move(sep)), m_trim(trim), m_prefix(prefix) {}
    void process(Encoding& e, bool addSpecialTokens) const override {
        if (m_trim)
            trimOffsets(e, m_prefix);
        if (!addSpecialTokens)
            return;
        Encoding out = specialEncoding(m_cls.ids, m_cls.tokens);
        append(out, e);
        append(out, specialEncoding(m_sep.ids, m_sep.tokens));
        e = std::move(out);
    }

private:
    TemplatePiece m_cls, m_sep;
    bool m_trim, m_prefix;
};

class SequenceProcessor : public PostProcessor {
public:
    std::vector<std::unique_ptr<PostProcessor>> steps;
    void process(Encoding& e, bool addSpecialTokens) const override {
        for (const auto& s : steps)
            s->process(e, addSpecialTokens);
    }
};

TemplatePiece pairPiece(const nlohmann::json& j, const std::string& where) { // ["</s>", 2]
    TemplatePiece p;
    p.tokens.push_back(j.at(0).get<std::string>());
    p.ids.push_back(tokenIdFromJson(j.at(1), "post-processor token '" + p.tokens[0] + "'", where));
    return p;
}

std::unique_ptr<PostProcessor> makeTemplateFromJson(const nlohmann::json& j,
                                                    const std::string& where) {
    std::vector<TemplatePiece> single;
    const auto& specials = j.value("special_tokens", nlohmann::json::object());
    for (const auto& item : j.at("single")) {
        TemplatePiece p;
        if (item.contains("Sequence")) {
            p.isSequence = true;
        } else if (item.contains("SpecialToken")) {
            const std::string id = item["SpecialToken"].at("id").get<std::string>();
            if (!specials.contains(id))
                throw Exception(ErrorCode::InvalidFormat,
                                "template uses special token '" + id +
                                    "' missing from special_tokens",
                                where, "list it in post_processor.special_tokens");
            p.tokens = specials[id].at("tokens").get<std::vector<std::string>>();
            for (const auto& v : specials[id].at("ids"))
                p.ids.push_back(tokenIdFromJson(v, "special token '" + id + "'", where));
            if (p.ids.size() != p.tokens.size())
                throw Exception(ErrorCode::InvalidFormat,
                                "special token '" + id + "' has " + std::to_string(p.ids.size()) +
                                    " ids but " + std::to_string(p.tokens.size()) + " tokens",
                                where, "give one id per token in post_processor.special_tokens");
        }
        single.push_back(std::move(p));
    }
    return makeTemplate(std::move(single));
}

} // namespace

std::unique_ptr<PostProcessor> makeTemplate(std::vector<TemplatePiece> single) {
    return std::make_unique<TemplateProcessor>(std::move(single));
}

std::unique_ptr<PostProcessor> makePostProcessor(const nlohmann::json& j,
                                                 const std::string& where) {
    if (j.is_null())
        return nullptr;
    const std::string type = j.value("type", "");
    const std::string here = where + " post_processor " + type;
    if (type == "TemplateProcessing")
        return makeTemplateFromJson(j, here);
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelProcessor>(j.value("trim_offsets", true),
                                                    j.value("add_prefix_space", true));
    if (type == "RobertaProcessing")
        return std::make_unique<ClsSepProcessor>(
            pairPiece(j.at("cls"), here), pairPiece(j.at("sep"), here),
            j.value("trim_offsets", true), j.value("add_prefix_space", true));
    if (type == "BertProcessing")
        return std::make_unique<ClsSepProcessor>(pairPiece(j.at("cls"), here),
                                                 pairPiece(j.at("sep"), here), false, false);
    if (type == "Sequence") {
        auto seq = std::make_unique<SequenceProcessor>();
        for (const auto& p : j.at("processors"))
            if (auto step = makePostProcessor(p, where))
                seq->steps.push_back(std::move(step));
        return seq;
    }
    throw Exception(ErrorCode::Unsupported, "post-processor type '" + type + "' is not supported",
                    where,
                    "supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, "
                    "Sequence");
}

} // namespace mistudio::tok
