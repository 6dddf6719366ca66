#pragma once
// Decoders of tokenizer.json (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace,
// WordPiece, BPEDecoder, Sequence), each rewriting the list of token strings as the reference's
// decode_chain does; the results are concatenated at the end.

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace mistudio::tok {

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void decodeChain(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<Decoder> makeDecoder(const nlohmann::json& j, const std::string& where);

/// Bytes to text with each maximal invalid UTF-8 subsequence replaced by U+FFFD.
std::string lossyUtf8(const std::string& bytes);

} // namespace mistudio::tok
