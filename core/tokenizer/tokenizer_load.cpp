// Loading tokenizer.json (+ tokenizer_config.json) and the display form of single tokens.
#include "common/json_limits.h"
#include "mistudio/result.h"
#include "tokenizer/token_id.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace mistudio {

using namespace tok;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json readJson(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw Exception(ErrorCode::Io, "cannot open " + p.string(), "", "check the permissions");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return parseJsonLimitingDepth(ss.str(), p.string(),
                                      "re-export the tokenizer with the `tokenizers` library");
    } catch (const json::exception& e) {
        throw Exception(ErrorCode::InvalidFormat, std::string("not valid JSON: ") + e.what(),
                        p.string(), "re-download the file; it may be truncated");
    }
}

std::vector<AddedToken> readAddedTokens(const json& j, const std::string& where) {
    std::vector<AddedToken> out;
    if (!j.contains("added_tokens") || j["added_tokens"].is_null())
        return out;
    for (const auto& t : j["added_tokens"]) {
        AddedToken a;
        a.content = t.at("content").get<std::string>();
        a.id = tokenIdFromJson(t.at("id"), "added token '" + a.content + "'", where);
        a.singleWord = t.value("single_word", false);
        a.lstrip = t.value("lstrip", false);
        a.rstrip = t.value("rstrip", false);
        a.special = t.value("special", false);
        a.normalized = t.value("normalized", !a.special);
        if (!isValidUtf8(a.content))
            throw Exception(ErrorCode::InvalidFormat, "added token is not valid UTF-8", where, "");
        out.push_back(std::move(a));
    }
    return out;
}

// "bos_token": "<s>" or {"content": "<s>", ...} or null.
std::optional<std::string> configToken(const json& cfg, const char* key) {
    if (!cfg.contains(key))
        return std::nullopt;
    const json& v = cfg[key];
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string())
        return v["content"].get<std::string>();
    return std::nullopt;
}

// transformers rebuilds the post-processor of these classes from add_bos_token/add_eos_token.
bool honoursAddBosEos(const std::string& cls) {
    static const std::set<std::string> classes = {"LlamaTokenizer",     "LlamaTokenizerFast",
                                                  "CodeLlamaTokenizer", "CodeLlamaTokenizerFast",
                                                  "GemmaTokenizer",     "GemmaTokenizerFast"};
    return classes.count(cls) > 0;
}

void applyConfig(Tokenizer::Impl& impl, const Tokenizer& tk, const json& cfg) {
    auto id = [&](const std::optional<std::string>& s) -> std::optional<int32_t> {
        return s ? tk.tokenToId(*s) : std::nullopt;
    };
    impl.bos = id(configToken(cfg, "bos_token"));
    impl.eos = id(configToken(cfg, "eos_token"));
    impl.pad = id(configToken(cfg, "pad_token"));
    if (auto u = id(configToken(cfg, "unk_token")))
        impl.unk = u;
    auto flag = [&](const char* key) { return cfg.contains(key) && cfg[key].is_boolean(); };
    impl.info.addBosToken = flag("add_bos_token") && cfg["add_bos_token"].get<bool>();
    impl.info.addEosToken = flag("add_eos_token") && cfg["add_eos_token"].get<bool>();
    const bool explicitFlags = flag("add_bos_token") || flag("add_eos_token");
    const std::string cls = cfg.contains("tokenizer_class") && cfg["tokenizer_class"].is_string()
                                ? cfg["tokenizer_class"].get<std::string>()
                                : std::string();
    if (!explicitFlags || !honoursAddBosEos(cls))
        return;
    std::vector<TemplatePiece> single;
    auto special = [&](const std::optional<int32_t>& sid) {
        TemplatePiece p;
        p.ids = {*sid};
        p.tokens = {*impl.token(*sid)};
        single.push_back(std::move(p));
    };
    if (impl.info.addBosToken && impl.bos)
        special(impl.bos);
    single.push_back(TemplatePiece{true, {}, {}});
    if (impl.info.addEosToken && impl.eos)
        special(impl.eos);
    impl.postProcessor = makeTemplate(std::move(single));
    impl.info.postProcessor = "TemplateProcessing (from tokenizer_config.json)";
}

// Without a tokenizer_config.json: the usual names.
void guessSpecialIds(Tokenizer::Impl& impl, const Tokenizer& tk) {
    for (const char* name : {"<s>", "<|begin_of_text|>", "<bos>"})
        if (!impl.bos && (impl.bos = tk.tokenToId(name)))
            break;
    for (const char* name : {"</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>"})
        if (!impl.eos && (impl.eos = tk.tokenToId(name)))
            break;
}

fs::path resolveFile(const std::string& path) {
    fs::path p(path);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
        if (!fs::exists(p / "tokenizer.json"))
            throw Exception(ErrorCode::NotFound, "no tokenizer.json in folder " + path, "",
                            "point to a model folder that holds a Hugging Face tokenizer.json");
        return p / "tokenizer.json";
    }
    if (!fs::exists(p, ec))
        throw Exception(ErrorCode::NotFound, "tokenizer file not found: " + path, "",
                        "pass a tokenizer.json file or the folder holding it");
    return p;
}

} // namespace

namespace {

std::shared_ptr<Tokenizer::Impl> buildImpl(const std::string& where, const json& j) {
    auto impl = std::make_shared<Tokenizer::Impl>();
    impl->info.path = where;
    static const json kNone;
    const json& model = j.is_object() && j.contains("model") ? j["model"] : kNone;
    if (!model.is_object())
        throw Exception(ErrorCode::InvalidFormat, "no \"model\" object", where,
                        "a tokenizer.json holds the model (vocabulary and merges) under \"model\"");
    std::string type = model.value("type", "");
    if (type.empty() && model.contains("merges"))
        type = "BPE";
    impl->info.modelType = type;
    if (type != "BPE")
        throw Exception(ErrorCode::Unsupported,
                        "tokenizer model '" + (type.empty() ? std::string("?") : type) +
                            "' is not supported yet",
                        where,
                        "only BPE tokenizers (GPT-2, Llama, Mistral, Qwen, Phi, ...) load; "
                        "WordLevel, WordPiece and Unigram models are planned");
    impl->model = std::make_unique<Bpe>(model, where);
    impl->normalizer = makeNormalizer(j.value("normalizer", json()), where);
    impl->preTokenizer = makePreTokenizer(j.value("pre_tokenizer", json()), where);
    impl->postProcessor = makePostProcessor(j.value("post_processor", json()), where);
    impl->decoder = makeDecoder(j.value("decoder", json()), where);
    impl->added.build(readAddedTokens(j, where), impl->normalizer.get());

    impl->info.normalizer = describeComponent(j.value("normalizer", json()), "normalizers");
    impl->info.preTokenizer = describeComponent(j.value("pre_tokenizer", json()), "pretokenizers");
    impl->info.postProcessor = describeComponent(j.value("post_processor", json()), "processors");
    impl->info.decoder = describeComponent(j.value("decoder", json()), "decoders");
    // dump() escapes nothing but control characters, so "▁" appears as its UTF-8 bytes.
    const std::string pipeline = j.value("pre_tokenizer", json()).dump() +
                                 j.value("decoder", json()).dump() +
                                 j.value("normalizer", json()).dump();
    impl->info.byteLevel = pipeline.find("\"ByteLevel\"") != std::string::npos;
    impl->metaspaceVocab =
        !impl->info.byteLevel && pipeline.find("\xE2\x96\x81") != std::string::npos;

    impl->vocabSize = impl->model->idToToken().size();
    for (const AddedToken& a : impl->added.tokens())
        impl->vocabSize = std::max(impl->vocabSize, static_cast<size_t>(a.id) + 1);
    impl->unk = impl->model->unkId();
    impl->specialIds.assign(impl->vocabSize, 0);
    for (const AddedToken& a : impl->added.tokens())
        if (a.special && a.id >= 0)
            impl->specialIds[static_cast<size_t>(a.id)] = 1;
    return impl;
}

} // namespace

Tokenizer Tokenizer::load(const std::string& path) {
    const fs::path file = resolveFile(path);
    try {
        auto impl = buildImpl(file.string(), readJson(file));
        Tokenizer tk(impl);
        const fs::path configPath = file.parent_path() / "tokenizer_config.json";
        const json cfg = fs::exists(configPath) ? readJson(configPath) : json();
        if (cfg.is_object())
            applyConfig(*impl, tk, cfg);
        else
            guessSpecialIds(*impl, tk);
        return tk;
    } catch (const json::exception& e) {
        // A key of the wrong type, or missing where the format requires it.
        throw Exception(ErrorCode::InvalidFormat,
                        std::string("unexpected tokenizer.json structure: ") + e.what(),
                        file.string(), "re-export the tokenizer with a recent `tokenizers`");
    }
}

std::string Tokenizer::displayToken(int32_t id) const {
    const auto tok = m_impl->token(id);
    if (!tok)
        return "";
    std::string bytes;
    const std::string& t = *tok;
    if (m_impl->added.byId(id)) {
        bytes = t;
    } else if (m_impl->info.byteLevel) {
        for (size_t i = 0; i < t.size();) {
            const int b = charToByte(nextCodepoint(t, i));
            if (b < 0) {
                bytes = t;
                break;
            }
            bytes.push_back(static_cast<char>(b));
        }
    } else if (m_impl->model->byteFallback() && t.size() == 6 && t.rfind("<0x", 0) == 0 &&
               t[5] == '>' && std::isxdigit(static_cast<unsigned char>(t[3])) &&
               std::isxdigit(static_cast<unsigned char>(t[4]))) {
        bytes.push_back(static_cast<char>(std::strtol(t.substr(3, 2).c_str(), nullptr, 16)));
    } else {
        bytes = t;
        if (m_impl->metaspaceVocab)
            for (size_t p; (p = bytes.find("\xE2\x96\x81")) != std::string::npos;)
                bytes.replace(p, 3, " ");
    }
    // Render: complete UTF-8 sequences as text, other bytes and controls as escapes.
    std::string out;
    const SanitizedText s = sanitizeUtf8(bytes);
    auto hex = [&](unsigned char c) {
        static const char* digits = "0123456789ABCDEF";
        out += "\\x";
        out += digits[c >> 4];
        out += digits[c & 15];
    };
    for (size_t i = 0; i < s.text.size();) {
        const size_t start = i;
        const uint32_t cp = nextCodepoint(s.text, i);
        const uint32_t o0 = s.origin[start], o1 = s.origin[i];
        if (cp == 0xFFFD && std::string_view(bytes).substr(o0, 3) != "\xEF\xBF\xBD") {
            for (uint32_t k = o0; k < o1; ++k)
                hex(static_cast<unsigned char>(bytes[k]));
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\t') {
            out += "\\t";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp < 0x20 || cp == 0x7F) {
            hex(static_cast<unsigned char>(cp));
        } else {
            out.append(s.text, start, i - start);
        }
    }
    return out;
}

} // namespace mistudio
