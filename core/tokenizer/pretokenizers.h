#pragma once
// Pre-tokenizers of tokenizer.json: ByteLevel, Split, Metaspace, Digits, Whitespace,
// WhitespaceSplit, Punctuation, BertPreTokenizer, CharDelimiterSplit, Sequence. They cut a
// NormText into pieces (ranges of bytes) and may rewrite it (ByteLevel, Metaspace).

#include "tokenizer/norm_text.h"
#include "tokenizer/regex.h"

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace mistudio::tok {

/// Reusable pre-tokenization state (one per thread): the text and its pieces, plus scratch.
struct PreTokState {
    NormText buf;
    std::vector<Range> pieces;
    NormText scratch;
    std::vector<Range> newPieces;
    std::vector<Match> matches;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    virtual void apply(PreTokState& st) const = 0;
};

std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& j, const std::string& where);

/// The GPT-2 split pattern used by ByteLevel with use_regex.
extern const char* const kGpt2Pattern;

} // namespace mistudio::tok
