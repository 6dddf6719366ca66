// mistudio-cli bench extract: activation extraction throughput (rows/s), as a fraction of the
// bare forward's rate on the same shape (what tokenizing, packing, copying and writing cost), and
// the rate the cache is written at.
#include "activations/extract.h"
#include "cli.h"
#include "mistudio/result.h"
#include "model/transformer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mistudio::cli {

activations::ExtractSummary runExtractJob(const activations::ExtractRequest& request);

namespace {

using Clock = std::chrono::steady_clock;

/// Positions per second of the bare forward (early exit at the deepest hook), median of >= 3 runs.
double forwardRate(const activations::ExtractRequest& r) {
    auto model = model::Transformer::open(r.model, {r.device, "float32"});
    model::ForwardRequest req;
    req.capture = r.hooks;
    req.logits = false;
    at::manual_seed(0);
    const at::Tensor ids =
        at::randint(0, model->config().vocabSize, {r.batchSize, r.contextLength}, at::kLong);
    model->forward(ids, req); // warm-up: loads the weights
    std::vector<double> times;
    const auto start = Clock::now();
    while (times.size() < 3 || std::chrono::duration<double>(Clock::now() - start).count() < 2) {
        const auto t0 = Clock::now();
        model->forward(ids, req);
        times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    return double(r.batchSize) * r.contextLength / times[times.size() / 2];
}

} // namespace

int runBenchExtract(ArgParser& args) {
    activations::ExtractRequest r;
    r.model = args.required("--model");
    r.dataset.path = args.required("--dataset");
    r.dataset.textField = args.valueOr("--text-field", "text");
    std::stringstream hooks(args.required("--hook"));
    for (std::string h; std::getline(hooks, h, ',');)
        r.hooks.push_back(h);
    r.tokens = args.intOr("--tokens", 100000);
    r.contextLength = static_cast<int>(args.intOr("--context-length", 128));
    r.batchSize = static_cast<int>(args.intOr("--batch-size", 8));
    r.device = args.valueOr("--device", "cpu");
    r.dtype = args.valueOr("--dtype", "fp16");
    args.finish();

    char tmpl[] = "/tmp/mistudio-bench-extract-XXXXXX";
    if (!mkdtemp(tmpl))
        throw Exception(ErrorCode::Io, "cannot create a temporary folder", "/tmp",
                        "Check that /tmp is writable");
    r.outDir = std::string(tmpl) + "/cache";
    // The machine's speed drifts over tens of seconds (shared VMs: ±15% measured), so the bare
    // forward is timed before and after the extraction and the mean taken.
    const double forwardBefore = forwardRate(r);
    activations::ExtractSummary s;
    try {
        s = runExtractJob(r);
    } catch (...) {
        std::filesystem::remove_all(tmpl);
        throw;
    }
    std::filesystem::remove_all(tmpl);
    // The forward rate is measured on a loaded model, so the extraction rate is too: rows over the
    // extraction loop (packing, forward, writes), with the one-off load reported beside it.
    const double loopSeconds = s.seconds - s.setupSeconds;
    const double rowsPerS = double(s.rows) / loopSeconds;
    const double forwardAfter = forwardRate(r);
    const double forward = 0.5 * (forwardBefore + forwardAfter);
    // Share of the loop spent in the model: what packing and writing leave, drift-free.
    const double forwardShare = s.forwardSeconds / loopSeconds;
    const double mbPerS = double(s.bytesWritten) / 1e6 / loopSeconds;

    std::printf("model          %s\n", r.model.c_str());
    std::printf("hooks          %zu, context %d, batch %d, dtype %s\n", r.hooks.size(),
                r.contextLength, r.batchSize, r.dtype.c_str());
    std::printf("rows           %lld in %.2f s + %.2f s setup (%lld shards)\n",
                static_cast<long long>(s.rows), loopSeconds, s.setupSeconds,
                static_cast<long long>(s.shards));
    std::printf("phases         pack %.2f s, forward %.2f s, write %.2f s\n", s.packSeconds,
                s.forwardSeconds, s.writeSeconds);
    std::printf("tokens/s       %.1f (%.1f with setup)\n", rowsPerS, double(s.rows) / s.seconds);
    std::printf(
        "forward        %.1f tokens/s (bare forward, same shape; %.1f before, %.1f after)\n",
        forward, forwardBefore, forwardAfter);
    std::printf("forward share  %.3f of the extraction loop\n", forwardShare);
    std::printf("fraction       %.3f of the forward rate\n", rowsPerS / forward);
    std::printf("written        %.1f MB/s (%.1f MB)\n", mbPerS, double(s.bytesWritten) / 1e6);
    const nlohmann::json j = {
        {"tokens_per_s", rowsPerS},      {"fraction_of_forward", rowsPerS / forward},
        {"mb_per_s_written", mbPerS},    {"forward_tokens_per_s", forward},
        {"forward_share", forwardShare}, {"rows", s.rows},
        {"seconds", s.seconds},          {"setup_s", s.setupSeconds},
        {"pack_s", s.packSeconds},       {"forward_s", s.forwardSeconds},
        {"write_s", s.writeSeconds}};
    std::cout << j.dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
