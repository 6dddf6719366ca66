#pragma once
// The parts of a loaded tokenizer and the per-thread scratch space of the encode pipeline.

#include "mistudio/tokenizer.h"
#include "tokenizer/added_vocab.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoders.h"
#include "tokenizer/normalizers.h"
#include "tokenizer/postprocessors.h"
#include "tokenizer/pretokenizers.h"

#include <mutex>

namespace mistudio {

namespace tok {
/// Scratch buffers and the word cache of one encoding thread.
struct Workspace {
    BpeCache cache;
    NormText norm;
    PreTokState pre;
    std::vector<AddedSplit> raw, sub;
    std::vector<WordToken> words;
};
} // namespace tok

struct Tokenizer::Impl {
    TokenizerInfo info;
    std::unique_ptr<tok::Normalizer> normalizer;
    std::unique_ptr<tok::PreTokenizer> preTokenizer;
    std::unique_ptr<tok::Bpe> model;
    std::unique_ptr<tok::PostProcessor> postProcessor;
    std::unique_ptr<tok::Decoder> decoder;
    tok::AddedVocab added;
    size_t vocabSize = 0;
    std::optional<int32_t> bos, eos, pad, unk;
    bool metaspaceVocab = false;     // "▁" stands for a space (SentencePiece-style vocabulary)
    std::vector<uint8_t> specialIds; // 1 for ids of special added tokens

    bool special(int32_t id) const {
        return id >= 0 && static_cast<size_t>(id) < specialIds.size() && specialIds[id];
    }
    /// Workspaces kept between calls so word caches stay warm (encode and encodeBatch).
    std::unique_ptr<tok::Workspace> takeWorkspace() const;
    void returnWorkspace(std::unique_ptr<tok::Workspace> ws) const;

    mutable std::mutex poolMutex;
    mutable std::vector<std::unique_ptr<tok::Workspace>> pool;

    Encoding encode(std::string_view text, bool addSpecialTokens, tok::Workspace& ws) const;
    std::optional<std::string> token(int32_t id) const;

private:
    void encodeSegment(std::string_view text, uint32_t base, tok::Workspace& ws,
                       Encoding& out) const;
    void encodePiece(const tok::NormText& norm, uint32_t b, uint32_t e, tok::Workspace& ws,
                     Encoding& out) const;
};

} // namespace mistudio
