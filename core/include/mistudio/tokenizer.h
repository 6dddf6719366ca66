#pragma once
// Hugging Face `tokenizer.json` tokenizers (BPE models with their normalizers, pre-tokenizers,
// post-processors, decoders and added tokens), reproducing the ids of the Rust `tokenizers`
// library exactly. Plain C++: the GUI's feature browser and playground use token strings and
// offsets from here. A Tokenizer is immutable after load and safe to use from many threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mistudio {

/// A half-open range [begin, end).
struct TokenSpan {
    uint32_t begin = 0;
    uint32_t end = 0;
    bool operator==(const TokenSpan&) const = default;
};

/// The result of encoding one text.
struct Encoding {
    std::vector<int32_t> ids;
    /// Token strings as the reference library reports them: vocabulary form ("Ġworld",
    /// "▁Hello", "<0x0A>"), or the matched text for added tokens (with absorbed whitespace for
    /// lstrip/rstrip tokens).
    std::vector<std::string> tokens;
    /// Byte offsets into the input exactly as it was passed (before invalid UTF-8 was replaced).
    /// Tokens added by the post-processor (e.g. a leading <s>) get {0, 0}.
    std::vector<TokenSpan> byteOffsets;
    /// Offsets in Unicode code points into the input after invalid UTF-8 was replaced by U+FFFD
    /// (one U+FFFD per maximal invalid subsequence, as Python's errors="replace"). Equal to what
    /// Python's `return_offsets_mapping` gives for a valid string.
    std::vector<TokenSpan> charOffsets;
    /// 1 for special tokens (post-processor tokens and added tokens marked special).
    std::vector<uint8_t> specialMask;
};

/// Where a tokenizer came from and what it is, for display.
struct TokenizerInfo {
    std::string path;       // the tokenizer.json that was read
    std::string modelType;  // "BPE"
    std::string normalizer; // type names, "" when none
    std::string preTokenizer;
    std::string postProcessor;
    std::string decoder;
    bool byteLevel = false;   // ByteLevel pre-tokenizer or decoder (GPT-2 style vocabulary)
    bool addBosToken = false; // from tokenizer_config.json when present
    bool addEosToken = false;
};

class Tokenizer {
public:
    /// Loads `path`: a tokenizer.json file or a folder holding one. A tokenizer_config.json beside
    /// it is read when present (add_bos_token / add_eos_token, bos/eos/pad/unk tokens).
    /// Throws mistudio::Exception (NotFound, InvalidFormat, Unsupported) with a clear message.
    static Tokenizer load(const std::string& path);

    /// Encodes one text. addSpecialTokens=true applies the post-processor (e.g. a leading <s>).
    Encoding encode(std::string_view text, bool addSpecialTokens = true) const;
    /// Encodes many texts on `threads` threads (0: one per core); results are in input order.
    std::vector<Encoding> encodeBatch(const std::vector<std::string>& texts,
                                      bool addSpecialTokens = true, int threads = 0) const;

    /// Decodes ids with the tokenizer's decoder. Unknown ids are skipped.
    std::string decode(const std::vector<int32_t>& ids, bool skipSpecialTokens = false) const;

    /// A readable form of one token for display: byte-level pieces become the text they encode,
    /// "▁" becomes a space in SentencePiece-style vocabularies, <0xNN> byte tokens become their
    /// byte; bytes that do not form complete UTF-8 are shown as \xNN, and control characters as
    /// \n, \t, \r or \xNN. Unknown ids give "".
    std::string displayToken(int32_t id) const;

    std::optional<std::string> idToToken(int32_t id) const;
    std::optional<int32_t> tokenToId(std::string_view token) const;
    /// Number of ids: model vocabulary plus added tokens (max id + 1).
    size_t vocabSize() const;
    bool isSpecial(int32_t id) const;

    std::optional<int32_t> bosId() const;
    std::optional<int32_t> eosId() const;
    std::optional<int32_t> padId() const;
    std::optional<int32_t> unkId() const;

    const TokenizerInfo& info() const;

    struct Impl;

private:
    explicit Tokenizer(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> m_impl;
};

} // namespace mistudio
