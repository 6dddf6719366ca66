// Activation extraction: windows -> batched forward (early exit) -> per-hook cache folders.
#include "activations/extract.h"

#include "activations/cache_folder.h"
#include "activations/model_identity.h"
#include "mistudio/engine.h"
#include "mistudio/memory.h"
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"
#include "model/hooks.h"
#include "model/transformer.h"
#include "quant/quant.h"
#include "tokenizer/window_functions.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <type_traits>

namespace fs = std::filesystem;

namespace mistudio::activations {

namespace {

using Clock = std::chrono::steady_clock;

/// Adds the time since construction to `total` (a phase of the extraction loop).
class PhaseTimer {
public:
    explicit PhaseTimer(double& total) : total_(total), start_(Clock::now()) {}
    ~PhaseTimer() { total_ += std::chrono::duration<double>(Clock::now() - start_).count(); }
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

private:
    double& total_;
    Clock::time_point start_;
};

void validate(const ExtractRequest& r) {
    auto bad = [](const std::string& what, const std::string& flag, const std::string& fix) {
        throw Exception(ErrorCode::InvalidArgument, what, flag, fix);
    };
    if (r.hooks.empty())
        bad("no hook given", "--hook", "Name a hook such as blocks.0.hook_resid_post");
    if (r.tokens < 1)
        bad("--tokens must be positive", "--tokens", "Give the number of activation rows");
    if (r.contextLength < 2)
        bad("--context-length must be at least 2", "--context-length", "Use e.g. 128");
    if (r.batchSize < 1)
        bad("--batch-size must be positive", "--batch-size", "Use e.g. 8");
    if (r.outDir.empty())
        bad("no output folder", "--out", "Give --out DIR");
    quant::parseQuantMode(r.quantization); // names the modes when unknown
}

std::string absolute(const std::string& p) {
    return fs::weakly_canonical(fs::absolute(p)).string();
}

nlohmann::json identity(const ExtractRequest& r, const std::string& hook, int64_t rowsPerShard) {
    const nlohmann::json dataset = {
        {"path", absolute(r.dataset.path)},
        {"text_field", r.dataset.textField},
        {"txt_split", r.dataset.txtSplit == data::TxtSplit::File ? "file" : "blank-lines"}};
    nlohmann::json id = {
        {"model", absolute(r.model)},
        {"revision", modelRevision(r.model)},
        {"model_files", modelFiles(r.model)},
        {"hook", hook},
        {"dataset", dataset},
        {"text_field", r.dataset.textField},
        {"context_length", r.contextLength},
        {"quantization", r.quantization},
        {"dtype", cacheDtypeName(parseCacheDtype(r.dtype))},
        {"keep_special_tokens", r.keepSpecialTokens},
        {"packing", r.packing == data::Packing::Concatenate ? "concatenate" : "document"},
        {"rows_requested", r.tokens},
        {"rows_per_shard", rowsPerShard}};
    if (r.doubleQuant) // only when set: caches written before the option keep their identity
        id["double_quant"] = true;
    return id;
}

// Rows of the current, not yet written shard (shared by every hook).
struct Pending {
    std::vector<std::vector<at::Tensor>> acts; // per hook, stored dtype
    std::vector<int32_t> tokens;
    std::vector<int64_t> documents;
    std::vector<int32_t> positions;
    int64_t rows() const { return static_cast<int64_t>(tokens.size()); }
};

// Writes the first `n` pending rows as the next shard of every hook.
void flush(Pending& p, std::vector<std::unique_ptr<CacheFolder>>& folders, int64_t n) {
    auto head = [n](auto& v) {
        std::remove_reference_t<decltype(v)> out(v.begin(), v.begin() + n);
        v.erase(v.begin(), v.begin() + n);
        return out;
    };
    const auto tokens = head(p.tokens);
    const auto documents = head(p.documents);
    const auto positions = head(p.positions);
    for (size_t h = 0; h < folders.size(); ++h) {
        const at::Tensor all = at::cat(p.acts[h], 0);
        folders[h]->writeShard(all.narrow(0, 0, n).contiguous(), tokens, documents, positions);
        p.acts[h].clear();
        if (all.size(0) > n)
            p.acts[h].push_back(all.narrow(0, n, all.size(0) - n).clone());
    }
}

struct Batch {
    std::vector<data::TokenWindow> windows;
};

} // namespace

std::string hookFolder(const std::string& outDir, const std::vector<std::string>& hooks,
                       const std::string& hook) {
    return hooks.size() == 1 ? outDir : (fs::path(outDir) / hook).string();
}

// Runs one batch of windows; appends the included positions' activations (after `skip` of them,
// at most `room` rows) to `pending`.
static int64_t runBatch(model::Transformer& model, const ExtractRequest& r, const Batch& b,
                        int64_t skip, int64_t room, at::ScalarType stored, Pending& pending) {
    const int64_t B = static_cast<int64_t>(b.windows.size()), C = r.contextLength;
    at::Tensor ids = at::empty({B, C}, at::kLong), mask = at::ones({B, C}, at::kLong);
    int64_t* idp = ids.data_ptr<int64_t>();
    int64_t* maskp = mask.data_ptr<int64_t>();
    bool padded = false;
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < B; ++i) {
        const auto& w = b.windows[static_cast<size_t>(i)];
        for (int64_t t = 0; t < C; ++t) {
            const auto k = static_cast<size_t>(t);
            idp[i * C + t] = w.tokens[k];
            if (w.document[k] == data::kNoDocument && t > 0) { // padding (BOS only opens a window)
                maskp[i * C + t] = 0;
                padded = true;
            }
            if (!w.include[k])
                continue;
            if (skip > 0) {
                --skip;
                continue;
            }
            if (static_cast<int64_t>(keep.size()) == room)
                continue;
            keep.push_back(i * C + t);
            pending.tokens.push_back(w.tokens[k]);
            pending.documents.push_back(w.document[k]);
            pending.positions.push_back(w.position[k]);
        }
    }
    model::ForwardRequest req;
    req.capture = r.hooks;
    req.logits = false;
    if (padded)
        req.attentionMask = mask;
    const auto out = model.forward(ids, req);
    const at::Tensor index = at::tensor(keep, at::kLong).to(model.device());
    for (size_t h = 0; h < r.hooks.size(); ++h) {
        const at::Tensor a = out.activations.at(r.hooks[h]);
        const at::Tensor rows = a.reshape({-1, a.size(-1)}).index_select(0, index);
        pending.acts[h].push_back(rows.to(at::kCPU).to(at::kFloat).to(stored));
    }
    return static_cast<int64_t>(keep.size());
}

// Writes the last partial shard and every manifest; warns when the dataset ran short.
static void finishFolders(const ExtractRequest& r, int64_t collected, Pending& pending,
                          std::vector<std::unique_ptr<CacheFolder>>& folders, JobContext& ctx,
                          ExtractSummary& sum) {
    PhaseTimer timer(sum.writeSeconds);
    if (pending.rows() > 0) {
        flush(pending, folders, pending.rows());
        if (r.onShard)
            r.onShard(folders[0]->shards() - 1);
    }
    nlohmann::json extra = nlohmann::json::object();
    if (collected < r.tokens) {
        const std::string msg = "the dataset yielded only " + std::to_string(collected) +
                                " activation rows of the " + std::to_string(r.tokens) +
                                " requested";
        ctx.log(LogLevel::Warn, msg);
        extra["short_of_request"] = msg;
    }
    for (auto& f : folders) {
        const auto m = f->finish(extra);
        sum.bytesWritten += f->bytesWritten();
        sum.fp16Overflow += f->fp16Overflow();
        if (f->fp16Overflow() > 0)
            ctx.log(LogLevel::Warn, f->path() + ": " + m["warnings"][0].get<std::string>());
    }
}

ExtractSummary extractActivations(const ExtractRequest& r, JobContext& ctx) {
    validate(r);
    // Out of memory before it happens: refuse a plan that cannot fit before loading anything.
    if (!r.ignoreMemoryCheck)
        for (const auto& h : r.hooks)
            refuseIfPlanCannotFit(
                {r.model, r.quantization, r.device, h, r.batchSize, r.contextLength},
                "--ignore-memory-check");
    const auto start = Clock::now();
    const at::ScalarType stored = parseCacheDtype(r.dtype);
    auto tok = std::make_shared<const Tokenizer>(Tokenizer::load(r.model));
    model::LoadOptions load;
    load.device = r.device;
    load.quant = r.quantization;
    load.doubleQuant = r.doubleQuant;
    auto model = model::Transformer::open(r.model, load);
    if (model->quantPlan().fallback)
        ctx.log(LogLevel::Warn, model->quantPlan().reason);
    const int64_t d = model->config().dModel;
    // Hooks parsed before any work (a clear error), and the blocks they need loaded now: the
    // load is setup, not a cost of the first batch.
    int64_t layersNeeded = 0;
    for (const auto& h : r.hooks)
        layersNeeded = std::max(
            layersNeeded,
            model::parseHookPoint(h, model->config()).layersNeeded(model->config().nLayers));
    model->preload(layersNeeded, false);
    const int64_t perShard =
        r.rowsPerShard > 0 ? r.rowsPerShard
                           : std::max<int64_t>(1024, (256ll << 20) / (d * at::elementSize(stored)));

    std::vector<std::unique_ptr<CacheFolder>> folders;
    bool allComplete = true;
    int64_t keepShards = INT64_MAX;
    for (const auto& h : r.hooks) {
        folders.push_back(std::make_unique<CacheFolder>(hookFolder(r.outDir, r.hooks, h),
                                                        identity(r, h, perShard), d));
        allComplete = allComplete && folders.back()->complete();
        keepShards = std::min(keepShards, folders.back()->shardsOnDisk());
    }
    ExtractSummary sum;
    for (const auto& f : folders)
        sum.cacheFolders.push_back(f->path());
    if (allComplete) {
        sum.alreadyComplete = true;
        sum.rows = folders[0]->rows();
        ctx.log(LogLevel::Info, "the cache in " + r.outDir + " is already complete");
        return sum;
    }
    int64_t done = 0;
    for (auto& f : folders)
        done = f->startFrom(keepShards);
    sum.resumedShards = keepShards;
    if (keepShards > 0)
        ctx.log(LogLevel::Info, "resuming after " + std::to_string(keepShards) + " shards (" +
                                    std::to_string(done) + " rows)");

    data::DocumentReader reader(r.dataset);
    data::WindowOptions wo;
    wo.contextLength = r.contextLength;
    wo.packing = r.packing;
    wo.keepSpecialPositions = r.keepSpecialTokens;
    data::WindowPacker packer(data::WindowPacker::fromReader(reader), windowTokenizerFunctions(tok),
                              wo);

    Pending pending;
    pending.acts.resize(r.hooks.size());
    sum.setupSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    int64_t skip = done; // rows already on disk: their windows are packed but not run
    int64_t collected = done;
    while (collected < r.tokens) {
        ctx.throwIfCancelled();
        // Batches are always the same B consecutive windows, so a resumed run multiplies the
        // same matrices as an uninterrupted one and writes the same bytes.
        Batch b;
        int64_t included = 0;
        {
            PhaseTimer timer(sum.packSeconds);
            while (static_cast<int>(b.windows.size()) < r.batchSize) {
                auto w = packer.next();
                if (!w)
                    break;
                for (auto v : w->include)
                    included += v;
                b.windows.push_back(std::move(*w));
            }
        }
        if (b.windows.empty())
            break;
        if (skip >= included) { // every row of this batch is already on disk
            skip -= included;
            continue;
        }
        {
            PhaseTimer timer(sum.forwardSeconds);
            collected += runBatch(*model, r, b, skip, r.tokens - collected, stored, pending);
        }
        skip = 0;
        sum.tokensForwarded += static_cast<int64_t>(b.windows.size()) * r.contextLength;
        PhaseTimer timer(sum.writeSeconds);
        while (pending.rows() >= perShard) {
            flush(pending, folders, perShard);
            if (r.onShard)
                r.onShard(folders[0]->shards() - 1);
        }
        ctx.progress("extract", double(collected), double(r.tokens), "tokens");
    }
    finishFolders(r, collected, pending, folders, ctx, sum);
    sum.rows = collected;
    sum.shards = folders[0]->shards();
    sum.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return sum;
}

} // namespace mistudio::activations
