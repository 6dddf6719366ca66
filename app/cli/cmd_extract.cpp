// mistudio-cli extract / cache-info: activation caches (core/activations).
#include "activations/cache.h"
#include "activations/extract.h"
#include "cli.h"
#include "mistudio/engine.h"
#include "mistudio/result.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mistudio::cli {

namespace {

std::vector<std::string> splitHooks(const std::string& list) {
    std::vector<std::string> hooks;
    std::stringstream ss(list);
    for (std::string h; std::getline(ss, h, ',');)
        if (!h.empty())
            hooks.push_back(h);
    if (hooks.empty())
        throw UsageError("--hook needs at least one hook name");
    return hooks;
}

long long positive(ArgParser& args, const std::string& flag, long long fallback) {
    const long long v = args.intOr(flag, fallback);
    if (v < 1)
        throw UsageError(flag + " must be a positive integer");
    return v;
}

// Progress on stderr at most twice a second; log lines as they come.
EventCallback printer() {
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    auto mutex = std::make_shared<std::mutex>();
    return [last, mutex](uint64_t, const JobEvent& e) {
        std::lock_guard lock(*mutex);
        if (const auto* p = std::get_if<ProgressEvent>(&e)) {
            const auto now = std::chrono::steady_clock::now();
            if (now - *last < std::chrono::milliseconds(500) && p->done < p->total)
                return;
            *last = now;
            std::fprintf(stderr, "%s: %.0f / %.0f %s (%.0f %s/s, ETA %.0f s)\n", p->stage.c_str(),
                         p->done, p->total, p->unit.c_str(), p->rate, p->unit.c_str(),
                         p->etaSeconds < 0 ? 0.0 : p->etaSeconds);
        } else if (const auto* l = std::get_if<LogEvent>(&e)) {
            std::cerr << l->text << "\n";
        }
    };
}

} // namespace

/// Runs the extraction as an engine job (the CLI is one more watcher of its events).
activations::ExtractSummary runExtractJob(const activations::ExtractRequest& request) {
    Engine engine;
    activations::ExtractSummary summary;
    JobOptions options;
    options.name = "extract";
    options.onEvent = printer();
    options.queueEvents = false;
    auto handle = engine.submit(
        [&](JobContext& ctx) { summary = activations::extractActivations(request, ctx); }, options);
    const FinishedEvent done = handle.wait();
    if (!done.ok)
        throw Exception(done.error.code, done.error.message);
    return summary;
}

int runExtract(ArgParser& args) {
    activations::ExtractRequest r;
    r.model = args.required("--model");
    r.dataset.path = args.required("--dataset");
    r.hooks = splitHooks(args.required("--hook"));
    r.tokens = positive(args, "--tokens", 0);
    r.contextLength = static_cast<int>(positive(args, "--context-length", 128));
    r.batchSize = static_cast<int>(positive(args, "--batch-size", 8));
    r.quantization = args.valueOr("--quant", "none");
    r.doubleQuant = args.flag("--double-quant");
    r.device = args.valueOr("--device", "cpu");
    r.dtype = args.valueOr("--dtype", "fp16");
    r.dataset.textField = args.valueOr("--text-field", "text");
    r.keepSpecialTokens = args.flag("--keep-special-tokens");
    // Smaller shards checkpoint more often (a resumed run keeps every finished shard).
    r.rowsPerShard = args.intOr("--rows-per-shard", 0); // 0: about 256 MB per shard
    if (r.rowsPerShard < 0)
        throw UsageError("--rows-per-shard must be a positive integer");
    r.ignoreMemoryCheck = args.flag("--ignore-memory-check");
    r.outDir = args.required("--out");
    args.finish();
    if (r.dtype != "fp16" && r.dtype != "bf16" && r.dtype != "fp32")
        throw UsageError("--dtype must be fp16, bf16 or fp32, got '" + r.dtype + "'");

    const auto s = runExtractJob(r);
    nlohmann::json out = {{"rows", s.rows},
                          {"shards", s.shards},
                          {"resumed_shards", s.resumedShards},
                          {"already_complete", s.alreadyComplete},
                          {"fp16_overflow_values", s.fp16Overflow},
                          {"seconds", s.seconds},
                          {"caches", s.cacheFolders}};
    std::cout << out.dump() << "\n";
    return 0;
}

int runCacheInfo(ArgParser& args) {
    const auto pos = args.positionals();
    args.finish();
    if (pos.size() != 1)
        throw UsageError("cache-info takes one folder");
    const std::filesystem::path dir(pos[0]);
    if (!std::filesystem::exists(dir / activations::kManifestFile)) {
        if (std::filesystem::exists(dir / activations::kRequestFile))
            throw Exception(ErrorCode::InvalidFormat, "the activation cache is unfinished", pos[0],
                            "Run the same `mistudio-cli extract` command again to resume");
        throw Exception(ErrorCode::NotFound, "no manifest.json: not an activation cache", pos[0],
                        "Give a folder written by `mistudio-cli extract` (with several hooks, "
                        "one of its hook subfolders)");
    }
    std::cout << activations::readJsonFile((dir / activations::kManifestFile).string()).dump()
              << "\n";
    return 0;
}

} // namespace mistudio::cli
