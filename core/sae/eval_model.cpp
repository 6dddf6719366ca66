#include "sae/eval_model.h"

#include "mistudio/result.h"
#include "mistudio/tokenizer.h"
#include "sae/metrics.h"
#include "tokenizer/window_functions.h"

#include <memory>

namespace mistudio::sae {

namespace {

// The SAE's tensors on the model's device in float32 (the metrics are computed in fp32/fp64
// whatever dtype the model runs in).
SaeModel onDevice(const SaeModel& s, at::Device device) {
    SaeModel m = s;
    auto move = [&](at::Tensor& t) {
        if (t.defined())
            t = t.to(device, at::kFloat);
    };
    move(m.encT);
    move(m.bEnc);
    move(m.wDec);
    move(m.bDec);
    move(m.threshold);
    return m;
}

at::Tensor includeMask(const std::vector<data::TokenWindow>& windows) {
    const auto B = static_cast<int64_t>(windows.size());
    const auto T = static_cast<int64_t>(windows[0].tokens.size());
    at::Tensor m = at::zeros({B, T}, at::kBool);
    auto a = m.accessor<bool, 2>();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t)
            a[b][t] = windows[b].include[t] != 0;
    return m;
}

at::Tensor inputIds(const std::vector<data::TokenWindow>& windows) {
    const auto B = static_cast<int64_t>(windows.size());
    const auto T = static_cast<int64_t>(windows[0].tokens.size());
    at::Tensor ids = at::empty({B, T}, at::kLong);
    auto a = ids.accessor<int64_t, 2>();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t)
            a[b][t] = windows[b].tokens[t];
    return ids;
}

} // namespace

namespace {
// The window stream shared by evalWindows and windowsHoldingRows (the reader must outlive it).
struct WindowStream {
    data::DocumentReader reader;
    data::WindowPacker packer;
    WindowStream(const std::string& modelFolder, const data::DatasetSpec& dataset, int context)
        : reader(dataset), packer(data::WindowPacker::fromReader(reader),
                                  windowTokenizerFunctions(std::make_shared<const Tokenizer>(
                                      Tokenizer::load(modelFolder))),
                                  options(context)) {}
    static data::WindowOptions options(int context) {
        data::WindowOptions wo;
        wo.contextLength = context;
        return wo;
    }
};
} // namespace

std::vector<data::TokenWindow> evalWindows(const std::string& modelFolder,
                                           const data::DatasetSpec& dataset, int64_t tokens,
                                           int contextLength, int64_t skipWindows) {
    if (tokens <= 0)
        throw Exception(ErrorCode::InvalidArgument, "evaluation needs at least one token", "",
                        "pass --tokens N with N > 0");
    WindowStream stream(modelFolder, dataset, contextLength);
    for (int64_t i = 0; i < skipWindows; ++i)
        if (!stream.packer.next())
            throw Exception(ErrorCode::InvalidArgument,
                            "the dataset has no windows left for evaluation after the " +
                                std::to_string(i) + " used for training",
                            dataset.path, "give a larger dataset or fewer training rows");
    std::vector<data::TokenWindow> windows;
    int64_t included = 0;
    while (included < tokens) {
        auto w = stream.packer.next();
        if (!w)
            break;
        for (auto& inc : w->include) {
            if (inc && included >= tokens)
                inc = 0; // exactly `tokens` positions are evaluated
            included += inc;
        }
        windows.push_back(std::move(*w));
    }
    if (windows.empty())
        throw Exception(ErrorCode::InvalidArgument,
                        "the dataset holds no full window of " + std::to_string(contextLength) +
                            " tokens",
                        dataset.path, "use more text or a smaller --context-length");
    return windows;
}

int64_t windowsHoldingRows(const std::string& modelFolder, const data::DatasetSpec& dataset,
                           int64_t rows, int contextLength) {
    WindowStream stream(modelFolder, dataset, contextLength);
    int64_t windows = 0, included = 0;
    while (included < rows) {
        auto w = stream.packer.next();
        if (!w)
            break;
        ++windows;
        for (auto inc : w->include)
            included += inc;
    }
    return windows;
}

at::Tensor scoredTargets(const std::vector<data::TokenWindow>& windows) {
    at::Tensor ids = inputIds(windows);
    at::Tensor inc = includeMask(windows);
    at::Tensor targets = at::full_like(ids, -1);
    const int64_t T = ids.size(1);
    at::Tensor both = inc.narrow(1, 0, T - 1).logical_and(inc.narrow(1, 1, T - 1));
    targets.narrow(1, 0, T - 1)
        .copy_(at::where(both, ids.narrow(1, 1, T - 1), at::full_like(both, -1, at::kLong)));
    return targets;
}

EvalMetrics evaluateSpliced(const SaeModel& saeIn, model::Transformer& model,
                            const std::string& hook, const std::vector<data::TokenWindow>& windows,
                            int batch) {
    const SaeModel sae = onDevice(saeIn, model.device());
    const at::Device dev = model.device();
    EvalAccumulator rec(sae.dSae());
    CeAccumulator ce;
    for (size_t start = 0; start < windows.size(); start += static_cast<size_t>(batch)) {
        const size_t end = std::min(windows.size(), start + static_cast<size_t>(batch));
        const std::vector<data::TokenWindow> part(windows.begin() + static_cast<long>(start),
                                                  windows.begin() + static_cast<long>(end));
        const at::Tensor ids = inputIds(part).to(dev);
        const at::Tensor inc = includeMask(part).to(dev);
        model::ForwardRequest req;
        req.capture = {hook};
        const auto clean = model.forward(ids, req);
        const at::Tensor x = clean.activations.at(hook);
        if (x.dim() != 3 || x.size(-1) != sae.dIn())
            throw Exception(ErrorCode::InvalidArgument,
                            hook + " activations have shape " + std::to_string(x.size(-1)) +
                                " per token, the SAE takes d_in = " + std::to_string(sae.dIn()),
                            model.folder(), "evaluate the SAE at the hook it was trained on");
        const at::Tensor idx = inc.reshape({-1}).nonzero().reshape({-1});
        const at::Tensor xs = x.reshape({-1, x.size(-1)}).index_select(0, idx).to(at::kFloat);
        auto [codes, xhat] = sae.forward(xs);
        rec.add(xs, xhat, codes);

        // Spliced / zero-ablated activations: replaced at document tokens only.
        at::Tensor flat = x.reshape({-1, x.size(-1)});
        req.capture.clear();
        req.replace[hook] = flat.index_copy(0, idx, xhat.to(x.scalar_type())).view(x.sizes());
        const auto spliced = model.forward(ids, req);
        req.replace[hook] = flat.index_fill(0, idx, 0).view(x.sizes());
        const auto zero = model.forward(ids, req);
        ce.add(clean.logits, spliced.logits, zero.logits, scoredTargets(part).to(dev));
    }
    EvalMetrics m = rec.finish();
    const CeMetrics c = ce.finish();
    m.ceClean = c.ceClean;
    m.ceSpliced = c.ceSpliced;
    m.ceZero = c.ceZero;
    m.deltaCe = c.deltaCe;
    m.ceLossRecovered = c.ceLossRecovered;
    m.kl = c.kl;
    return m;
}

} // namespace mistudio::sae
