#pragma once
// Dataset windows -> model (early exit at the hook) -> SAE codes, as CodeBatch-es. A stream is
// deterministic (no shuffling), so the analysis can replay exactly the same tokens in its second
// pass by building a new stream.

#include "analysis/accumulator.h"
#include "mistudio/dataset.h"
#include "mistudio/tokenizer.h"
#include "mistudio/token_windows.h"
#include "model/transformer.h"
#include "sae/model.h"

#include <memory>
#include <optional>
#include <string>

namespace mistudio::analysis {

struct StreamSetup {
    data::DatasetSpec dataset;
    int contextLength = 128;
    int64_t windowsPerBatch = 32;
    int64_t tokenLimit = 0; // included tokens; positions past it are excluded
    std::string hook;
};

class CodeStream {
public:
    CodeStream(model::Transformer& model, const sae::SaeModel& sae, const Tokenizer& tokenizer,
               StreamSetup setup);
    ~CodeStream();
    /// The next batch, or nullopt when the token limit or the dataset is reached.
    std::optional<CodeBatch> next();
    int64_t tokensSoFar() const { return m_tokens; }

private:
    model::Transformer& m_model;
    const sae::SaeModel& m_sae;
    const Tokenizer& m_tokenizer;
    StreamSetup m_setup;
    std::unique_ptr<data::DocumentReader> m_reader;
    std::unique_ptr<data::WindowPacker> m_packer;
    int64_t m_tokens = 0;
};

/// The packer's view of a Hugging Face tokenizer: ids without special tokens, BOS when the
/// tokenizer adds one, EOS and PAD when it has them.
data::TokenizerFunctions packerTokenizer(const Tokenizer& tokenizer);

} // namespace mistudio::analysis
