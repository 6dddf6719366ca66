#include "analysis/code_stream.h"

namespace mistudio::analysis {

data::TokenizerFunctions packerTokenizer(const Tokenizer& tokenizer) {
    data::TokenizerFunctions f;
    f.encode = [&tokenizer](const std::string& text) { return tokenizer.encode(text, false).ids; };
    if (tokenizer.info().addBosToken)
        f.bos = tokenizer.bosId();
    f.eos = tokenizer.eosId();
    f.pad = tokenizer.padId();
    return f;
}

CodeStream::CodeStream(model::Transformer& model, const sae::SaeModel& sae,
                       const Tokenizer& tokenizer, StreamSetup setup)
    : m_model(model), m_sae(sae), m_tokenizer(tokenizer), m_setup(std::move(setup)) {
    m_reader = std::make_unique<data::DocumentReader>(m_setup.dataset);
    data::WindowOptions wo;
    wo.contextLength = m_setup.contextLength;
    wo.packing = data::Packing::Concatenate;
    wo.keepSpecialPositions = false;
    wo.shuffleDocuments = false;
    m_packer = std::make_unique<data::WindowPacker>(data::WindowPacker::fromReader(*m_reader),
                                                    packerTokenizer(tokenizer), wo);
}

CodeStream::~CodeStream() = default;

std::optional<CodeBatch> CodeStream::next() {
    const int64_t T = m_setup.contextLength;
    CodeBatch b;
    std::vector<uint8_t> include;
    int64_t W = 0;
    while (W < m_setup.windowsPerBatch && m_tokens < m_setup.tokenLimit) {
        auto w = m_packer->next();
        if (!w)
            break;
        for (int64_t t = 0; t < T; ++t) {
            // Special tokens (BOS/EOS/PAD and added special tokens) never count; nor do tokens
            // past the limit, so both passes see exactly tokenLimit tokens.
            bool in = w->include[t] && !m_tokenizer.isSpecial(w->tokens[t]);
            if (in && m_tokens >= m_setup.tokenLimit)
                in = false;
            m_tokens += in;
            b.includedTokens += in;
            include.push_back(in);
        }
        b.tokens.insert(b.tokens.end(), w->tokens.begin(), w->tokens.end());
        b.document.insert(b.document.end(), w->document.begin(), w->document.end());
        b.position.insert(b.position.end(), w->position.begin(), w->position.end());
        ++W;
    }
    if (W == 0)
        return std::nullopt;
    const at::Device dev = m_model.device();
    std::vector<int64_t> ids(b.tokens.begin(), b.tokens.end());
    const at::Tensor input = at::tensor(ids, at::kLong).view({W, T}).to(dev);
    model::ForwardRequest req;
    req.capture = {m_setup.hook};
    req.logits = false;
    const at::Tensor act = m_model.forward(input, req).activations.at(m_setup.hook);
    const at::Tensor codes = m_sae.encode(act.reshape({W * T, -1}).to(at::kFloat));
    const at::Tensor mask =
        at::tensor(std::vector<float>(include.begin(), include.end()), at::kFloat).to(dev);
    b.codes = (codes * mask.unsqueeze(1)).view({W, T, -1}).cpu().contiguous();
    return b;
}

} // namespace mistudio::analysis
