#include "mistudio/windows.h"

#include "data/token_feed.h"
#include "mistudio/result.h"

namespace mistudio::data {

struct WindowPacker::Impl {
    TokenFeed feed;
    TokenizerFunctions tok;
    WindowOptions opt;
    WindowStats stats;
    TokenizedDocument current; // concatenation: the document being laid out
    size_t offset = 0;         // next token of `current`
    bool haveCurrent = false;
    bool finished = false;

    Impl(DocumentSource s, TokenizerFunctions t, WindowOptions o)
        : feed(std::move(s), t, o), tok(std::move(t)), opt(o) {}

    bool useBos() const { return opt.prependBos && tok.bos.has_value(); }

    static void push(TokenWindow& w, int32_t token, int64_t doc, int32_t pos, bool include) {
        w.tokens.push_back(token);
        w.document.push_back(doc);
        w.position.push_back(pos);
        w.include.push_back(include ? 1 : 0);
    }

    void startWindow(TokenWindow& w) const {
        const auto n = static_cast<size_t>(opt.contextLength);
        w.tokens.reserve(n);
        w.document.reserve(n);
        w.position.reserve(n);
        w.include.reserve(n);
        if (useBos())
            push(w, *tok.bos, kNoDocument, -1, opt.keepSpecialPositions);
    }

    // Documents joined as d0 EOS d1 EOS d2 ..., cut every contextLength (minus the BOS) tokens.
    std::optional<TokenWindow> nextConcatenated() {
        TokenWindow w;
        startWindow(w);
        uint64_t started = 0, placed = 0;
        const auto full = static_cast<size_t>(opt.contextLength);
        while (w.tokens.size() < full) {
            if (haveCurrent && offset < current.tokens.size()) {
                if (offset == 0)
                    ++started;
                push(w, current.tokens[offset], static_cast<int64_t>(current.id),
                     static_cast<int32_t>(offset), true);
                ++offset;
                ++placed;
                continue;
            }
            TokenizedDocument following;
            if (!feed.next(following)) {
                stats.droppedTokens += placed;
                return std::nullopt;
            }
            if (haveCurrent && tok.eos) { // EOS between documents, owned by the one it ends
                push(w, *tok.eos, static_cast<int64_t>(current.id),
                     static_cast<int32_t>(current.tokens.size()), opt.keepSpecialPositions);
                if (w.tokens.size() == full) {
                    // The window is full: the next document starts the next window.
                    current = std::move(following);
                    offset = 0;
                    break;
                }
            }
            current = std::move(following);
            offset = 0;
            haveCurrent = true;
        }
        stats.documentsUsed += started;
        stats.tokens += placed;
        return w;
    }

    std::optional<TokenWindow> nextPerDocument() {
        TokenizedDocument d;
        if (!feed.next(d))
            return std::nullopt;
        TokenWindow w;
        startWindow(w);
        const auto full = static_cast<size_t>(opt.contextLength);
        const size_t room = full - w.tokens.size();
        const size_t n = std::min(room, d.tokens.size());
        for (size_t i = 0; i < n; ++i)
            push(w, d.tokens[i], static_cast<int64_t>(d.id), static_cast<int32_t>(i), true);
        stats.truncatedTokens += d.tokens.size() - n;
        const int32_t pad = tok.pad ? *tok.pad : *tok.eos; // checked in the constructor
        while (w.tokens.size() < full)
            push(w, pad, kNoDocument, -1, opt.keepSpecialPositions);
        ++stats.documentsUsed;
        stats.tokens += n;
        return w;
    }
};

WindowPacker::WindowPacker(DocumentSource source, TokenizerFunctions tokenizer,
                           WindowOptions options) {
    if (!tokenizer.encode)
        throw Exception(ErrorCode::InvalidArgument, "no tokenizer given to the window packer", "",
                        "pass TokenizerFunctions::encode");
    const int minLength = options.prependBos && tokenizer.bos ? 2 : 1;
    if (options.contextLength < minLength || options.contextLength > (1 << 20))
        throw Exception(ErrorCode::InvalidArgument,
                        "context length " + std::to_string(options.contextLength) +
                            " is out of range",
                        "--context-length",
                        "use a value between " + std::to_string(minLength) +
                            " and the model's "
                            "maximum");
    if (options.packing == Packing::DocumentPerWindow && !tokenizer.pad && !tokenizer.eos)
        throw Exception(ErrorCode::InvalidArgument,
                        "one document per window needs a PAD or EOS token to pad with", "",
                        "use concatenated packing, or a tokenizer with a pad token");
    m_impl = std::make_unique<Impl>(std::move(source), std::move(tokenizer), options);
}

WindowPacker::~WindowPacker() = default;

WindowPacker::DocumentSource WindowPacker::fromReader(DocumentReader& reader) {
    return [&reader] { return reader.next(); };
}

std::optional<TokenWindow> WindowPacker::next() {
    Impl& d = *m_impl;
    if (d.finished)
        return std::nullopt;
    auto w = d.opt.packing == Packing::Concatenate ? d.nextConcatenated() : d.nextPerDocument();
    if (!w) {
        d.finished = true;
    } else {
        ++d.stats.windows;
        for (uint8_t inc : w->include)
            ++(inc ? d.stats.includedPositions : d.stats.excludedPositions);
    }
    d.stats.documentsRead = d.feed.documentsRead();
    d.stats.emptyDocuments = d.feed.emptyDocuments();
    return w;
}

const WindowStats& WindowPacker::stats() const {
    return m_impl->stats;
}

} // namespace mistudio::data
