#pragma once
// The tokenizer as the window packer sees it (data::TokenizerFunctions): one definition shared by
// activation extraction, SAE evaluation and the on-the-fly training source, so all three pack the
// same windows from the same text. Internal header.

#include "mistudio/token_windows.h"
#include "mistudio/tokenizer.h"

#include <memory>

namespace mistudio {

/// Encodes without special tokens (the packer adds BOS/EOS/PAD itself); safe across threads.
inline data::TokenizerFunctions windowTokenizerFunctions(std::shared_ptr<const Tokenizer> tok) {
    data::TokenizerFunctions f;
    f.encode = [tok](const std::string& text) { return tok->encode(text, false).ids; };
    f.bos = tok->bosId();
    f.eos = tok->eosId();
    f.pad = tok->padId();
    return f;
}

} // namespace mistudio
