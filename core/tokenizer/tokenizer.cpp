// The encode pipeline (added tokens -> normalizer -> pre-tokenizer -> BPE -> post-processor),
// decoding, display strings and batch encoding.
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace mistudio {

using namespace tok;

namespace {

void pushToken(Encoding& out, int32_t id, std::string token, Span span, bool special) {
    out.ids.push_back(id);
    out.tokens.push_back(std::move(token));
    out.byteOffsets.push_back({span.b, span.e});
    out.specialMask.push_back(special ? 1 : 0);
}

// Byte offsets of valid UTF-8 `s` -> code point offsets (offsets mostly ascend; restart if not).
void charOffsets(std::string_view s, const std::vector<TokenSpan>& bytes,
                 std::vector<TokenSpan>& chars) {
    chars.resize(bytes.size());
    size_t pos = 0, count = 0;
    auto toChar = [&](uint32_t target) {
        if (target < pos)
            pos = count = 0;
        while (pos < target && pos < s.size()) {
            pos += utf8Len(static_cast<unsigned char>(s[pos]));
            ++count;
        }
        return static_cast<uint32_t>(count);
    };
    for (size_t i = 0; i < bytes.size(); ++i) {
        chars[i].begin = toChar(bytes[i].begin);
        chars[i].end = toChar(bytes[i].end);
    }
}

} // namespace

void Tokenizer::Impl::encodePiece(const NormText& norm, uint32_t b, uint32_t e, Workspace& ws,
                                  Encoding& out) const {
    PreTokState& st = ws.pre;
    st.buf.clear();
    st.buf.appendSlice(norm, b, e);
    st.pieces.assign(1, Range{0, static_cast<uint32_t>(st.buf.s.size())});
    if (preTokenizer)
        preTokenizer->apply(st);
    const auto& vocabR = model->idToToken();
    for (const Range& r : st.pieces) {
        ws.words.clear();
        model->tokenize(std::string_view(st.buf.s).substr(r.b, r.e - r.b), &ws.cache, ws.words);
        uint32_t pos = r.b;
        for (const WordToken& w : ws.words) {
            const Span span = st.buf.original(pos, pos + w.len);
            pos += w.len;
            pushToken(out, w.id, static_cast<size_t>(w.id) < vocabR.size() ? vocabR[w.id] : "",
                      span, special(w.id));
        }
    }
}

void Tokenizer::Impl::encodeSegment(std::string_view text, uint32_t base, Workspace& ws,
                                    Encoding& out) const {
    NormText& norm = ws.norm;
    norm.assignIdentity(text, base);
    if (normalizer)
        normalizer->apply(norm);
    if (!added.hasNormalized()) {
        encodePiece(norm, 0, static_cast<uint32_t>(norm.s.size()), ws, out);
        return;
    }
    ws.sub.clear();
    added.split(norm.s, true, ws.sub);
    for (const AddedSplit& sp : ws.sub) { // encodePiece does not touch ws.sub
        if (sp.id < 0) {
            encodePiece(norm, sp.b, sp.e, ws, out);
            continue;
        }
        const AddedToken* a = added.byId(sp.id);
        pushToken(out, sp.id, norm.s.substr(sp.b, sp.e - sp.b), norm.original(sp.b, sp.e),
                  a && a->special);
    }
}

Encoding Tokenizer::Impl::encode(std::string_view input, bool addSpecialTokens,
                                 Workspace& ws) const {
    SanitizedText sanitized;
    const bool valid = isValidUtf8(input);
    if (!valid)
        sanitized = sanitizeUtf8(input);
    const std::string_view text = valid ? input : std::string_view(sanitized.text);

    Encoding out;
    ws.raw.clear();
    added.split(text, false, ws.raw);
    for (const AddedSplit& sp : ws.raw) { // encodeSegment does not touch ws.raw
        if (sp.id < 0) {
            encodeSegment(text.substr(sp.b, sp.e - sp.b), sp.b, ws, out);
            continue;
        }
        const AddedToken* a = added.byId(sp.id);
        pushToken(out, sp.id, std::string(text.substr(sp.b, sp.e - sp.b)), {sp.b, sp.e},
                  a && a->special);
    }
    if (postProcessor)
        postProcessor->process(out, addSpecialTokens);
    charOffsets(text, out.byteOffsets, out.charOffsets);
    if (!valid)
        for (TokenSpan& o : out.byteOffsets)
            o = {sanitized.origin[o.begin], sanitized.origin[o.end]};
    return out;
}

std::optional<std::string> Tokenizer::Impl::token(int32_t id) const {
    if (const AddedToken* a = added.byId(id))
        return a->content;
    const auto& v = model->idToToken();
    if (id >= 0 && static_cast<size_t>(id) < v.size() && !v[id].empty())
        return v[id];
    return std::nullopt;
}

Tokenizer::Tokenizer(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}

std::unique_ptr<Workspace> Tokenizer::Impl::takeWorkspace() const {
    std::lock_guard lock(poolMutex);
    if (pool.empty())
        return std::make_unique<Workspace>();
    auto ws = std::move(pool.back());
    pool.pop_back();
    return ws;
}

void Tokenizer::Impl::returnWorkspace(std::unique_ptr<Workspace> ws) const {
    std::lock_guard lock(poolMutex);
    if (pool.size() < 64)
        pool.push_back(std::move(ws));
}

Encoding Tokenizer::encode(std::string_view text, bool addSpecialTokens) const {
    auto ws = m_impl->takeWorkspace();
    Encoding e = m_impl->encode(text, addSpecialTokens, *ws);
    m_impl->returnWorkspace(std::move(ws));
    return e;
}

std::vector<Encoding> Tokenizer::encodeBatch(const std::vector<std::string>& texts,
                                             bool addSpecialTokens, int threads) const {
    std::vector<Encoding> out(texts.size());
    size_t n = threads > 0 ? static_cast<size_t>(threads)
                           : std::max(1u, std::thread::hardware_concurrency());
    n = std::min(n, std::max<size_t>(1, texts.size()));
    std::atomic<size_t> next{0};
    constexpr size_t kChunk = 8;
    auto worker = [&] {
        auto ws = m_impl->takeWorkspace();
        for (size_t b; (b = next.fetch_add(kChunk)) < texts.size();)
            for (size_t i = b; i < std::min(b + kChunk, texts.size()); ++i)
                out[i] = m_impl->encode(texts[i], addSpecialTokens, *ws);
        m_impl->returnWorkspace(std::move(ws));
    };
    if (n == 1) {
        worker();
        return out;
    }
    std::vector<std::thread> pool;
    std::exception_ptr error;
    std::mutex errorMutex;
    for (size_t t = 0; t < n; ++t)
        pool.emplace_back([&] {
            try {
                worker();
            } catch (...) {
                std::lock_guard g(errorMutex);
                error = std::current_exception();
                next = texts.size();
            }
        });
    for (auto& th : pool)
        th.join();
    if (error)
        std::rethrow_exception(error);
    return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skipSpecialTokens) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
        const AddedToken* a = m_impl->added.byId(id);
        if (skipSpecialTokens && a && a->special)
            continue;
        if (auto t = m_impl->token(id))
            tokens.push_back(std::move(*t));
    }
    if (!m_impl->decoder) {
        std::string joined;
        for (size_t i = 0; i < tokens.size(); ++i)
            joined += (i ? " " : "") + tokens[i];
        return joined;
    }
    m_impl->decoder->decodeChain(tokens);
    std::string joined;
    for (const auto& t : tokens)
        joined += t;
    return joined;
}

std::optional<std::string> Tokenizer::idToToken(int32_t id) const {
    return m_impl->token(id);
}

std::optional<int32_t> Tokenizer::tokenToId(std::string_view token) const {
    if (const AddedToken* a = m_impl->added.byContent(token))
        return a->id;
    const auto& v = m_impl->model->vocab();
    auto it = v.find(token);
    return it == v.end() ? std::nullopt : std::optional<int32_t>(it->second);
}

size_t Tokenizer::vocabSize() const {
    return m_impl->vocabSize;
}

bool Tokenizer::isSpecial(int32_t id) const {
    const AddedToken* a = m_impl->added.byId(id);
    return a && a->special;
}

std::optional<int32_t> Tokenizer::bosId() const {
    return m_impl->bos;
}
std::optional<int32_t> Tokenizer::eosId() const {
    return m_impl->eos;
}
std::optional<int32_t> Tokenizer::padId() const {
    return m_impl->pad;
}
std::optional<int32_t> Tokenizer::unkId() const {
    return m_impl->unk;
}
const TokenizerInfo& Tokenizer::info() const {
    return m_impl->info;
}

} // namespace mistudio
