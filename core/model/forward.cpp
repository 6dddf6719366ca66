// Transformer::forward: embedding, decoder blocks with hook points, final norm and head.
#include "mistudio/result.h"
#include "model/blocks.h"
#include "model/hooks.h"
#include "model/transformer.h"

#include <algorithm>
#include <climits>
#include <set>

namespace mistudio::model {

namespace {

std::string shapeText(at::IntArrayRef s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

/// Applies a forward's capture/replace/edit requests at each hook point and says when the
/// deepest requested hook has fired (early exit).
class HookRunner {
public:
    HookRunner(const ForwardRequest& req, const ModelConfig& c, ForwardResult& out)
        : m_req(req), m_cfg(c), m_out(out) {
        for (const auto& name : req.capture)
            m_capture.insert(name);
        for (const auto& name : req.capture)
            m_deepest = std::max(m_deepest, parseHookPoint(name, c).order(c.nLayers));
        // Parse replace/edit names too, so a typo is an error rather than a silent no-op.
        for (const auto& [name, t] : req.replace)
            parseHookPoint(name, c);
        for (const auto& [name, fn] : req.edit)
            parseHookPoint(name, c);
        m_runsToEnd = req.logits || req.hiddenStates;
    }

    /// Blocks the forward has to run.
    int64_t layersNeeded() const {
        if (m_runsToEnd)
            return m_cfg.nLayers;
        int64_t n = 0;
        for (const auto& name : m_capture)
            n = std::max(n, parseHookPoint(name, m_cfg).layersNeeded(m_cfg.nLayers));
        return n;
    }
    bool needsFinalNorm() const {
        return m_runsToEnd || m_deepest >= HookPoint{HookKind::LnFinal, -1}.order(m_cfg.nLayers);
    }

    at::Tensor at(const HookPoint& p, at::Tensor x) {
        const std::string name = p.name();
        if (auto it = m_req.edit.find(name); it != m_req.edit.end())
            x = checked(name, it->second(name, x), x);
        if (auto it = m_req.replace.find(name); it != m_req.replace.end())
            x = checked(name, it->second, x);
        if (m_capture.count(name))
            m_out.activations[name] = x;
        if (!m_runsToEnd && p.order(m_cfg.nLayers) >= m_deepest)
            m_done = true;
        return x;
    }
    bool done() const { return m_done; }

private:
    static at::Tensor checked(const std::string& name, const at::Tensor& t,
                              const at::Tensor& like) {
        if (!t.defined() || t.sizes() != like.sizes())
            throw Exception(ErrorCode::InvalidArgument,
                            "replacement for hook '" + name + "' has shape " +
                                (t.defined() ? shapeText(t.sizes()) : "(undefined)") +
                                ", the activation is " + shapeText(like.sizes()),
                            "forward", "Give a tensor of the activation's shape [B, T, d]");
        return t.to(like.device(), like.scalar_type());
    }

    const ForwardRequest& m_req;
    const ModelConfig& m_cfg;
    ForwardResult& m_out;
    std::set<std::string> m_capture;
    int64_t m_deepest = -1;
    bool m_runsToEnd = true;
    bool m_done = false;
};

struct BlockContext {
    const RotaryTables* rotary = nullptr;
    at::Tensor globalBias;
    at::Tensor slidingBias;
};

/// One decoder block after its hook_resid_pre. Returns an undefined tensor when the deepest
/// hook fired inside it.
at::Tensor runBlock(const ModelConfig& c, const LayerWeights& w, int64_t L, at::Tensor x,
                    HookRunner& hooks, const BlockContext& ctx) {
    const at::Tensor& bias = c.layerIsSliding(L) ? ctx.slidingBias : ctx.globalBias;
    auto hook = [&](HookKind kind, at::Tensor t) { return hooks.at({kind, L}, std::move(t)); };
    const at::Tensor h1 = applyNorm(x, w.ln1, c.norm, c.normEps);
    at::Tensor a = attention(h1, w, c, ctx.rotary, bias);
    if (c.sandwichNorms)
        a = applyNorm(a, w.postAttnNorm, c.norm, c.normEps);
    a = hook(HookKind::AttnOut, a);
    if (hooks.done())
        return {};
    at::Tensor m;
    if (c.residual == ResidualKind::Sequential) {
        x = hook(HookKind::ResidMid, x + a);
        if (hooks.done())
            return {};
        m = mlp(applyNorm(x, w.ln2, c.norm, c.normEps), w, c);
    } else {
        const at::Tensor& h2 = c.residual == ResidualKind::ParallelOneNorm
                                   ? h1
                                   : applyNorm(x, w.ln2, c.norm, c.normEps);
        m = mlp(h2, w, c);
    }
    if (c.sandwichNorms)
        m = applyNorm(m, w.postMlpNorm, c.norm, c.normEps);
    m = hook(HookKind::MlpOut, m);
    if (hooks.done())
        return {};
    x = c.residual == ResidualKind::Sequential ? x + m : x + a + m;
    return hook(HookKind::ResidPost, x);
}

void checkIds(const at::Tensor& ids, const ModelConfig& c) {
    if (!ids.defined() || ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1)
        throw Exception(ErrorCode::InvalidArgument,
                        "input ids must be a non-empty [batch, seq] tensor", "forward",
                        "Pass token ids shaped [B, T]");
    if (at::isFloatingType(ids.scalar_type()) || ids.scalar_type() == at::kBool)
        throw Exception(ErrorCode::InvalidArgument, "input ids must be integers", "forward",
                        "Pass int64 token ids");
    const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
    if (lo < 0 || hi >= c.vocabSize)
        throw Exception(ErrorCode::InvalidArgument,
                        "token id " + std::to_string(lo < 0 ? lo : hi) + " is outside [0, " +
                            std::to_string(c.vocabSize) + ")",
                        "forward", "Use ids from this model's tokenizer");
}

at::Tensor positionIds(const at::Tensor& mask, int64_t B, int64_t T, const at::Device& device) {
    if (!mask.defined())
        return at::arange(T, at::TensorOptions().dtype(at::kLong).device(device))
            .unsqueeze(0)
            .expand({B, T});
    // Positions count real tokens only (as generate() computes them for padded batches).
    return (mask.to(at::kLong).cumsum(-1) - 1).clamp_min(0);
}

} // namespace

ForwardResult Transformer::forward(const at::Tensor& inputIds, const ForwardRequest& req) {
    at::NoGradGuard noGrad;
    const ModelConfig& c = m_cfg;
    checkIds(inputIds, c);
    const int64_t B = inputIds.size(0), T = inputIds.size(1);
    if (c.position == PositionKind::Learned && T > c.maxPositions)
        throw Exception(ErrorCode::InvalidArgument,
                        "sequence of " + std::to_string(T) + " tokens exceeds the model's " +
                            std::to_string(c.maxPositions) + " positions",
                        "forward", "Use shorter sequences");
    at::Tensor mask;
    if (req.attentionMask.defined()) {
        if (req.attentionMask.sizes() != inputIds.sizes())
            throw Exception(ErrorCode::InvalidArgument, "attention mask shape differs from ids",
                            "forward", "Pass a [B, T] mask of 1 (token) / 0 (padding)");
        mask = req.attentionMask.to(m_device).ne(0);
    }
    ForwardResult out;
    HookRunner hooks(req, c, out);
    const int64_t needed = hooks.layersNeeded();
    ensureLayers(needed);
    const bool runHead = req.logits || req.hiddenStates;
    if (runHead || hooks.needsFinalNorm())
        ensureHead(req.logits);

    const at::Tensor ids = inputIds.to(m_device, at::kLong);
    const at::Tensor positions = positionIds(mask, B, T, m_device);
    at::Tensor x = embed(ids);
    if (c.scaleEmbeddings) // transformers builds sqrt(d) as a tensor of the activation dtype
        x = x * at::scalar_tensor(std::sqrt(double(c.dModel)), x.options());
    x = hooks.at({HookKind::Embed, -1}, x);
    if (hooks.done())
        return out;
    if (c.position == PositionKind::Learned)
        x = x + at::embedding(m_posEmbed, positions);

    BlockContext ctx;
    RotaryTables rotary;
    if (c.position == PositionKind::Rotary) {
        rotary = rotaryTables(c, positions, m_dtype);
        ctx.rotary = &rotary;
    }
    ctx.globalBias = attentionBias(mask, T, 0, m_dtype, m_device);
    if (c.slidingWindow > 0)
        ctx.slidingBias = attentionBias(mask, T, c.slidingWindow, m_dtype, m_device);

    for (int64_t L = 0; L < c.nLayers; ++L) {
        // hook_resid_pre of block L needs only blocks 0..L-1 (loaded: `needed` >= L).
        x = hooks.at({HookKind::ResidPre, L}, x);
        if (hooks.done() || L >= needed)
            return out;
        if (req.hiddenStates)
            out.hiddenStates.push_back(x);
        x = runBlock(c, m_layers[L], L, x, hooks, ctx);
        out.layersRun = L + 1;
        if (hooks.done())
            return out;
    }
    if (!runHead && !hooks.needsFinalNorm())
        return out;
    at::Tensor normed =
        hooks.at({HookKind::LnFinal, -1}, applyNorm(x, m_finalNorm, c.norm, c.normEps));
    if (req.hiddenStates)
        out.hiddenStates.push_back(normed);
    if (!req.logits)
        return out;
    if (req.logitsLastPositionOnly)
        normed = normed.narrow(1, T - 1, 1);
    at::Tensor logits = unembed(normed);
    if (c.finalSoftcap > 0)
        logits = at::tanh(logits / c.finalSoftcap) * c.finalSoftcap;
    out.logits = logits;
    return out;
}

} // namespace mistudio::model
