#pragma once
// Normalizers of tokenizer.json: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents,
// Prepend, Replace (string or regex), ByteLevel. Each rewrites a NormText keeping alignments.

#include "tokenizer/norm_text.h"

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace mistudio::tok {

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual void apply(NormText& t) const = 0;
    /// Normalizes a plain string (for added-token contents).
    std::string normalize(const std::string& s) const;
};

/// Builds the normalizer described by `j` (the "normalizer" object); nullptr for null.
/// Throws Exception(Unsupported / InvalidFormat) naming `where` for types not handled.
std::unique_ptr<Normalizer> makeNormalizer(const nlohmann::json& j, const std::string& where);

/// Type name(s) for display, e.g. "Sequence[Prepend, Replace]".
std::string describeComponent(const nlohmann::json& j, const char* listKey);

} // namespace mistudio::tok
