#pragma once
// Token windows: tokenized documents packed into fixed-length windows for the model, with every
// position traced back to (document id, token index in the document) so activations can be
// linked to text. Tokenization is injected (the tokenizer lives elsewhere) and batched across
// threads. Deterministic for a seed. LibTorch-free.

#include "mistudio/dataset.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mistudio::data {

/// The tokenizer as seen by the packer. `encode` returns the ids of a text without special
/// tokens (the packer adds BOS/EOS/PAD itself) and must be safe to call from several threads.
struct TokenizerFunctions {
    std::function<std::vector<int32_t>(const std::string&)> encode;
    std::optional<int32_t> bos; // set when the model uses a BOS token
    std::optional<int32_t> eos;
    std::optional<int32_t> pad;
};

enum class Packing {
    Concatenate,       // documents joined with EOS between them, cut into windows
    DocumentPerWindow, // one document per window, truncated or padded
};

struct WindowOptions {
    int contextLength = 128;
    Packing packing = Packing::Concatenate;
    bool prependBos = true;            // a BOS at the start of each window (when bos is set)
    bool keepSpecialPositions = false; // include BOS/EOS/PAD positions in collected activations
    bool shuffleDocuments = false;     // shuffle documents through a buffer (seeded)
    size_t shuffleBuffer = 10000;      // documents held for shuffling
    uint64_t seed = 0;
    int threads = 0;             // tokenizer threads; 0 = all cores
    size_t batchDocuments = 256; // documents tokenized per batch
};

/// A position that holds no document token (BOS, PAD).
constexpr int64_t kNoDocument = -1;

struct TokenWindow {
    std::vector<int32_t> tokens;   // contextLength ids
    std::vector<int64_t> document; // document id per position; kNoDocument for BOS and PAD
    /// Token index within the document; -1 for BOS/PAD; an EOS carries the length of the
    /// document it ends (the index it would have).
    std::vector<int32_t> position;
    std::vector<uint8_t> include; // 1 where activations are collected
};

struct WindowStats {
    uint64_t windows = 0;
    uint64_t documentsRead = 0;  // documents taken from the dataset
    uint64_t documentsUsed = 0;  // documents with at least one token in an emitted window
    uint64_t emptyDocuments = 0; // documents that tokenized to nothing
    uint64_t tokens = 0;         // document tokens placed in emitted windows
    uint64_t includedPositions = 0;
    uint64_t excludedPositions = 0;
    uint64_t truncatedTokens = 0; // tokens cut off (one document per window)
    uint64_t droppedTokens = 0;   // tokens of a last, incomplete window (concatenation)
};

class WindowPacker {
public:
    using DocumentSource = std::function<std::optional<Document>()>;

    WindowPacker(DocumentSource source, TokenizerFunctions tokenizer, WindowOptions options);
    ~WindowPacker();
    WindowPacker(const WindowPacker&) = delete;
    WindowPacker& operator=(const WindowPacker&) = delete;

    /// Reads documents from a DocumentReader (which must outlive the packer).
    static DocumentSource fromReader(DocumentReader& reader);

    /// The next full window, or nullopt when the documents are used up.
    std::optional<TokenWindow> next();
    const WindowStats& stats() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace mistudio::data
