// PlaygroundSession: one text → tokens → model up to the hook → SAE codes → per-token readings.
#include "mistudio/playground.h"

#include "analysis/run_inputs.h"
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"
#include "sae/saelens.h"

#include <algorithm>
#include <tuple>

namespace mistudio {

struct PlaygroundSession::Impl {
    std::shared_ptr<model::Transformer> model;
    sae::SaeModel sae;
    std::unique_ptr<Tokenizer> tokenizer;
    std::string hook;
};

PlaygroundSession::PlaygroundSession(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
PlaygroundSession::~PlaygroundSession() = default;

PlaygroundSource PlaygroundSession::sourceForRun(const Project& project, int64_t runId,
                                                 const std::string& device) {
    const RunRecord run = project.run(runId);
    if (run.saePath.empty())
        throw Exception(ErrorCode::InvalidArgument,
                        "run " + std::to_string(runId) + " has no SAE folder yet", project.path(),
                        "wait until the run has trained its SAE, or pick a finished run");
    PlaygroundSource source;
    source.modelFolder = analysis::runModelFolder(project, run);
    source.saeFolder = project.resolveAssetPath(run.saePath);
    source.hook = run.hook;
    source.device = device;
    return source;
}

std::unique_ptr<PlaygroundSession> PlaygroundSession::open(const PlaygroundSource& source) {
    auto impl = std::make_unique<Impl>();
    impl->tokenizer = std::make_unique<Tokenizer>(Tokenizer::load(source.modelFolder));
    impl->model =
        model::Transformer::open(source.modelFolder, {.device = source.device, .dtype = "float32"});
    impl->sae = analysis::loadSaeForModel(source.saeFolder, *impl->model);
    impl->hook = source.hook.empty() ? sae::cfgHookName(impl->sae.cfg) : source.hook;
    if (impl->hook.empty())
        throw Exception(ErrorCode::InvalidFormat, "the SAE's cfg.json names no hook_name",
                        source.saeFolder + "/cfg.json", "give the hook (blocks.L.hook_resid_post)");
    const auto hooks = impl->model->hookPoints();
    if (std::find(hooks.begin(), hooks.end(), impl->hook) == hooks.end())
        throw Exception(ErrorCode::InvalidArgument,
                        "the model has no hook point '" + impl->hook + "'", source.modelFolder,
                        "run 'mistudio-cli inspect MODEL' for its hook names");
    return std::unique_ptr<PlaygroundSession>(new PlaygroundSession(std::move(impl)));
}

const std::string& PlaygroundSession::hook() const {
    return m_impl->hook;
}
int64_t PlaygroundSession::dSae() const {
    return m_impl->sae.dSae();
}
int64_t PlaygroundSession::dIn() const {
    return m_impl->sae.dIn();
}

namespace {

/// The tokens the model sees: a BOS first when the tokenizer adds one (as the analysis windows
/// do, so activations here match the feature pages), then the text's own tokens.
std::vector<PlaygroundToken> tokensOf(const Tokenizer& tokenizer, const std::string& text) {
    std::vector<PlaygroundToken> out;
    const auto bos = tokenizer.bosId();
    if (tokenizer.info().addBosToken && bos) {
        PlaygroundToken t;
        t.id = *bos;
        t.text = tokenizer.displayToken(*bos);
        t.special = true;
        out.push_back(std::move(t));
    }
    const Encoding enc = tokenizer.encode(text, false);
    for (size_t i = 0; i < enc.ids.size(); ++i) {
        PlaygroundToken t;
        t.id = enc.ids[i];
        t.text = tokenizer.displayToken(t.id);
        t.begin = enc.byteOffsets[i].begin;
        t.end = enc.byteOffsets[i].end;
        t.special = enc.specialMask[i] != 0 || tokenizer.isSpecial(t.id);
        out.push_back(std::move(t));
    }
    return out;
}

void readCodes(const at::Tensor& codes, const PlaygroundOptions& o, PlaygroundResult& r) {
    const int64_t T = codes.size(0);
    const at::Tensor total = codes.sum(1).contiguous();
    const at::Tensor active = (codes > 0).sum(1).to(at::kInt).contiguous();
    const int64_t n = std::min<int64_t>(std::max(o.topFeatures, 0), codes.size(1));
    at::Tensor topValues = at::zeros({T, 0}), topIndices = at::zeros({T, 0}, at::kLong);
    if (n > 0)
        std::tie(topValues, topIndices) = codes.topk(n, 1);
    topValues = topValues.contiguous();
    topIndices = topIndices.contiguous();
    // Accessors, not item(): a long text has thousands of readings.
    const auto c = codes.accessor<float, 2>();
    const auto tv = topValues.accessor<float, 2>();
    const auto ti = topIndices.accessor<int64_t, 2>();
    const auto tot = total.accessor<float, 1>();
    const auto act = active.accessor<int, 1>();
    for (int64_t t = 0; t < T; ++t) {
        PlaygroundToken& tok = r.tokens[static_cast<size_t>(t)];
        tok.total = tot[t];
        tok.activeCount = act[t];
        if (o.selectedFeature >= 0)
            tok.selected = c[t][o.selectedFeature];
        for (int64_t j = 0; j < n && tv[t][j] > 0; ++j) // sorted: the rest are inactive
            tok.top.emplace_back(ti[t][j], tv[t][j]);
    }
}

} // namespace

PlaygroundResult PlaygroundSession::encode(const std::string& text, const PlaygroundOptions& o) {
    Impl& s = *m_impl;
    if (o.selectedFeature >= s.sae.dSae())
        throw Exception(ErrorCode::InvalidArgument,
                        "feature " + std::to_string(o.selectedFeature) + " does not exist",
                        "playground",
                        "pick a feature below d_sae = " + std::to_string(s.sae.dSae()));
    PlaygroundResult r;
    r.text = text;
    r.selectedFeature = o.selectedFeature;
    r.tokens = tokensOf(*s.tokenizer, text);
    int64_t limit = std::max(o.maxTokens, 1);
    if (s.model->config().maxPositions > 0)
        limit = std::min(limit, s.model->config().maxPositions);
    if (static_cast<int64_t>(r.tokens.size()) > limit) {
        r.tokens.resize(static_cast<size_t>(limit));
        r.truncated = true;
    }
    if (r.tokens.empty())
        return r;
    const int64_t T = static_cast<int64_t>(r.tokens.size());
    std::vector<int64_t> ids;
    for (const auto& t : r.tokens)
        ids.push_back(t.id);
    model::ForwardRequest req;
    req.capture = {s.hook};
    req.logits = false; // early exit right after the hook
    const at::Tensor input = at::tensor(ids, at::kLong).view({1, T}).to(s.model->device());
    const at::Tensor act = s.model->forward(input, req).activations.at(s.hook);
    const at::Tensor codes = s.sae.encode(act.reshape({T, -1}).to(at::kFloat)).cpu().contiguous();
    readCodes(codes, o, r);
    return r;
}

} // namespace mistudio
