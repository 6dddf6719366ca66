// Uses of the forward: per-position next-token loss and greedy decoding.
#include "mistudio/result.h"
#include "model/transformer.h"

#include <algorithm>

namespace mistudio::model {

at::Tensor nextTokenLoss(const at::Tensor& logits, const at::Tensor& inputIds,
                         const at::Tensor& attentionMask) {
    at::NoGradGuard noGrad;
    if (logits.dim() != 3 || inputIds.dim() != 2 || logits.size(0) != inputIds.size(0) ||
        logits.size(1) != inputIds.size(1))
        throw Exception(ErrorCode::InvalidArgument,
                        "nextTokenLoss needs logits [B, T, V] and ids [B, T] of the same B, T",
                        "nextTokenLoss", "Pass the full-sequence logits of a forward");
    const int64_t T = inputIds.size(1);
    if (T < 2)
        return at::zeros({inputIds.size(0), 0}, logits.options().dtype(at::kFloat));
    const at::Tensor logp = at::log_softmax(logits.narrow(1, 0, T - 1).to(at::kFloat), -1);
    const at::Tensor targets = inputIds.narrow(1, 1, T - 1).to(logits.device(), at::kLong);
    at::Tensor nll = -logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
    if (attentionMask.defined()) {
        const at::Tensor m = attentionMask.to(logits.device()).ne(0);
        nll = nll * m.narrow(1, 0, T - 1).logical_and(m.narrow(1, 1, T - 1)).to(at::kFloat);
    }
    return nll;
}

std::vector<int64_t> generateGreedy(Transformer& model, const std::vector<int64_t>& prompt,
                                    int64_t maxNewTokens, bool stopAtEos) {
    if (prompt.empty())
        throw Exception(ErrorCode::InvalidArgument, "the prompt has no tokens", "generate",
                        "Give at least one token");
    const ModelConfig& c = model.config();
    std::vector<int64_t> ids = prompt, added;
    ForwardRequest req;
    req.logitsLastPositionOnly = true;
    for (int64_t step = 0; step < maxNewTokens; ++step) {
        if (c.position == PositionKind::Learned &&
            static_cast<int64_t>(ids.size()) >= c.maxPositions)
            break;
        const at::Tensor input = at::tensor(ids, at::kLong).unsqueeze(0);
        const at::Tensor logits = model.forward(input, req).logits; // [1, 1, V]
        const int64_t next = logits.reshape({-1}).argmax().item<int64_t>();
        ids.push_back(next);
        added.push_back(next);
        if (stopAtEos && std::count(c.eosTokenIds.begin(), c.eosTokenIds.end(), next))
            break;
    }
    return added;
}

} // namespace mistudio::model
