#pragma once
// The packer's input: documents (optionally shuffled through a seeded buffer) tokenized in
// batches across threads, handed out one at a time in a deterministic order.

#include "mistudio/windows.h"

#include <deque>
#include <random>

namespace mistudio::data {

struct TokenizedDocument {
    uint64_t id = 0;
    std::vector<int32_t> tokens;
};

class TokenFeed {
public:
    TokenFeed(WindowPacker::DocumentSource source, TokenizerFunctions tokenizer,
              const WindowOptions& options);
    /// The next non-empty tokenized document; false when the dataset is used up.
    bool next(TokenizedDocument& out);
    uint64_t documentsRead() const { return m_read; }
    uint64_t emptyDocuments() const { return m_empty; }

private:
    std::optional<Document> pull();
    void refill();

    WindowPacker::DocumentSource m_source;
    TokenizerFunctions m_tokenizer;
    WindowOptions m_options;
    std::mt19937_64 m_rng;
    std::vector<Document> m_shuffle;
    bool m_sourceDone = false;
    std::deque<TokenizedDocument> m_ready;
    uint64_t m_read = 0;
    uint64_t m_empty = 0;
};

} // namespace mistudio::data
