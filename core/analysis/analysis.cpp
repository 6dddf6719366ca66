// runAnalysis: the two passes of mistudio/analysis.h, then decoder geometry and the writes.
#include "mistudio/analysis.h"

#include "analysis/code_stream.h"
#include "analysis/decoder_geometry.h"
#include "analysis/run_inputs.h"
#include "mistudio/result.h"
#include "sae/saelens.h"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

namespace mistudio {

std::string analysis::runModelFolder(const Project& project, const RunRecord& run,
                                     const std::string& override) {
    if (!override.empty())
        return override;
    if (run.modelId)
        for (const auto& m : project.models())
            if (m.id == *run.modelId && !m.localPath.empty())
                return m.localPath;
    throw Exception(ErrorCode::InvalidArgument,
                    "run " + std::to_string(run.id) + " has no model with a local folder",
                    project.path(), "pass the model folder (analyze --model DIR)");
}

sae::SaeModel analysis::loadSaeForModel(const std::string& saeFolder, model::Transformer& model) {
    sae::SaeModel sae = sae::loadSaeLens(saeFolder);
    if (model.config().dModel != sae.dIn())
        throw Exception(ErrorCode::InvalidArgument,
                        "the SAE reads " + std::to_string(sae.dIn()) + "-d activations but " +
                            model.folder() + " has d_model " +
                            std::to_string(model.config().dModel),
                        saeFolder, "use the SAE with the model it was trained on");
    for (at::Tensor* t : {&sae.encT, &sae.bEnc, &sae.wDec, &sae.bDec, &sae.threshold})
        if (t->defined())
            *t = t->to(model.device());
    return sae;
}

namespace {

std::string runDataset(const Project& project, const RunRecord& run, const AnalysisOptions& o) {
    if (!o.dataset.empty())
        return o.dataset;
    if (run.datasetId)
        for (const auto& d : project.datasets())
            if (d.id == *run.datasetId)
                return d.spec;
    throw Exception(ErrorCode::InvalidArgument,
                    "run " + std::to_string(run.id) + " has no dataset to analyse", project.path(),
                    "pass --dataset PATH (a local text, jsonl or parquet dataset)");
}

uint32_t flagsOf(const FeatureStats& s, const AnalysisOptions& o) {
    if (s.density <= 0)
        return FeatureDead;
    uint32_t flags = 0;
    if (s.density > o.denseThreshold)
        flags |= FeatureDense;
    if (s.density < o.ultraRareThreshold)
        flags |= FeatureUltraRare;
    return flags;
}

template <class Fn>
void runPass(analysis::CodeStream& stream, int64_t total, const char* stage, JobContext& ctx,
             Fn&& observe) {
    ctx.progress(stage, 0, double(total), "tokens");
    while (auto batch = stream.next()) {
        ctx.throwIfCancelled();
        observe(*batch);
        ctx.progress(stage, double(stream.tokensSoFar()), double(total), "tokens");
    }
}

struct Context {
    Project& project;
    int64_t runId;
    const AnalysisOptions& o;
    JobContext& ctx;
    model::Transformer& model;
    const sae::SaeModel& sae;
    const Tokenizer& tokenizer;
};

void writeStats(Context& c, const analysis::FeatureAccumulator& acc, AnalysisSummary& summary) {
    std::vector<FeatureStats> batch;
    for (int64_t f = 0; f < acc.dSae(); ++f) {
        FeatureStats s = acc.stats(f);
        s.flags = flagsOf(s, c.o);
        summary.dead += (s.flags & FeatureDead) != 0;
        summary.dense += (s.flags & FeatureDense) != 0;
        summary.ultraRare += (s.flags & FeatureUltraRare) != 0;
        batch.push_back(s);
        if (static_cast<int>(batch.size()) >= c.o.writeBatch || f + 1 == acc.dSae()) {
            c.project.writeFeatureStats(c.runId, batch);
            batch.clear();
        }
    }
}

void writePages(Context& c, analysis::FeatureAccumulator& acc) {
    const int64_t d = acc.dSae();
    std::unordered_set<int32_t> named;
    for (int64_t b = 0; b < d; b += c.o.writeBatch) {
        c.ctx.throwIfCancelled();
        const int64_t e = std::min<int64_t>(d, b + c.o.writeBatch);
        const at::Tensor rows = c.sae.wDec.slice(0, b, e).to(c.model.device(), at::kFloat);
        const auto logits =
            analysis::topLogitTokens(c.model.directLogitEffects(rows), c.o.logitTokens);
        const auto neighbors = analysis::decoderNeighbors(c.sae.wDec, b, e, c.o.neighbors);
        std::vector<FeatureRecord> records;
        std::vector<std::pair<int32_t, std::string>> strings;
        auto name = [&](int32_t id) {
            if (named.insert(id).second)
                strings.emplace_back(id, c.tokenizer.displayToken(id));
        };
        for (int64_t f = b; f < e; ++f) {
            FeatureRecord r;
            r.stats = acc.stats(f);
            r.stats.flags = flagsOf(r.stats, c.o);
            r.examples = acc.topExamples(f);
            for (auto& q : acc.quantileExamples(f))
                r.examples.push_back(std::move(q));
            r.logitsPositive = logits[f - b].positive;
            r.logitsNegative = logits[f - b].negative;
            r.histogram = acc.histogram(f);
            r.neighbors = neighbors[f - b];
            for (const auto& ex : r.examples)
                for (int32_t id : ex.tokenIds)
                    name(id);
            for (auto* side : {&r.logitsPositive, &r.logitsNegative})
                for (auto& tv : *side) {
                    tv.token = c.tokenizer.displayToken(tv.tokenId);
                    named.insert(tv.tokenId);
                }
            records.push_back(std::move(r));
        }
        c.project.writeTokenStrings(c.runId, strings);
        c.project.writeFeatures(c.runId, records);
        acc.release(e);
        c.ctx.progress("writing features", double(e), double(d), "features");
    }
}

} // namespace

AnalysisSummary runAnalysis(Project& project, int64_t runId, const AnalysisOptions& o,
                            JobContext& ctx) {
    if (o.tokens <= 0 || o.contextLength < 2 || o.topK < 1 || o.quantileBins < 1 ||
        o.histogramBins < 1 || o.writeBatch < 1 || o.contextRadius < 0)
        throw Exception(ErrorCode::InvalidArgument, "invalid analysis options",
                        "tokens, context length, k, bins and write batch",
                        "use positive values (tokens >= 1, context length >= 2)");
    const RunRecord run = project.run(runId);
    if (run.saePath.empty() || run.hook.empty())
        throw Exception(ErrorCode::InvalidArgument,
                        "run " + std::to_string(runId) + " has no SAE folder or hook",
                        project.path(), "train it with --project or record it with import-sae");
    const std::string modelFolder = analysis::runModelFolder(project, run, o.modelPath);
    data::DatasetSpec spec;
    spec.path = runDataset(project, run, o);
    spec.textField = o.textField;

    ctx.progress("loading", 0, 1, "steps");
    auto model = model::Transformer::open(modelFolder, {.device = o.device, .dtype = "float32"});
    sae::SaeModel sae = analysis::loadSaeForModel(project.resolveAssetPath(run.saePath), *model);
    const Tokenizer tokenizer = Tokenizer::load(modelFolder);

    analysis::StreamSetup setup;
    setup.dataset = spec;
    setup.contextLength = o.contextLength;
    setup.tokenLimit = o.tokens;
    setup.hook = run.hook;
    const int64_t batchTokens =
        o.batchTokens > 0 ? o.batchTokens
                          : std::clamp<int64_t>((int64_t(1) << 26) / sae.dSae(), 256, 8192);
    setup.windowsPerBatch = std::max<int64_t>(1, batchTokens / o.contextLength);

    analysis::AccumulatorOptions ao{o.topK,   o.contextRadius, o.quantileBins,
                                    o.perBin, o.histogramBins, o.seed};
    analysis::FeatureAccumulator acc(sae.dSae(), ao);
    {
        analysis::CodeStream first(*model, sae, tokenizer, setup);
        runPass(first, o.tokens, "pass 1/2: statistics and top examples", ctx,
                [&](const analysis::CodeBatch& b) { acc.observeFirst(b); });
    }
    if (acc.tokens() == 0)
        throw Exception(ErrorCode::InvalidArgument, "the dataset gave no tokens to analyse",
                        spec.path, "check the dataset and its --text-field");
    AnalysisSummary summary;
    summary.tokens = acc.tokens();
    summary.features = acc.dSae();
    Context c{project, runId, o, ctx, *model, sae, tokenizer};
    writeStats(c, acc, summary);
    {
        setup.tokenLimit = acc.tokens(); // the dataset may be shorter than asked
        analysis::CodeStream second(*model, sae, tokenizer, setup);
        runPass(second, acc.tokens(), "pass 2/2: histograms and quantile examples", ctx,
                [&](const analysis::CodeBatch& b) { acc.observeSecond(b); });
    }
    writePages(c, acc);
    return summary;
}

} // namespace mistudio
