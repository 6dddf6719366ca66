// mistudio-cli bench memory: loads a model up to a hook in a --quant mode, extracts that hook's
// activations for --tokens tokens and reports the process's peak RSS next to predictMemory's
// prediction, the load time and tokens/s. Peak RSS is the kernel's high-water mark (VmHWM), so
// it includes every transient of loading and of the forward.
#include "cli.h"
#include "mistudio/memory_plan.h"
#include "mistudio/result.h"
#include "model/transformer.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mistudio::cli {

namespace {
using Clock = std::chrono::steady_clock;

/// A "VmXXX:  N kB" line of /proc/self/status in bytes (0 when unavailable).
int64_t procStatusBytes(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) {
            std::istringstream fields(line.substr(key.size() + 1));
            int64_t kb = 0;
            fields >> kb;
            return kb * 1024;
        }
    return 0;
}
} // namespace

int runBenchMemory(ArgParser& args) {
    MemoryPlanRequest plan;
    plan.modelFolder = args.required("--model");
    plan.quant = args.valueOr("--quant", "nf4");
    plan.upToHook = args.required("--hook");
    plan.device = args.valueOr("--device", "cpu");
    plan.doubleQuant = args.flag("--double-quant");
    const long long tokens = args.intOr("--tokens", 256);
    args.finish();
    if (tokens < 1)
        throw UsageError("--tokens must be at least 1");
    plan.batch = 1;
    plan.seq = tokens;
    const MemoryPrediction predicted = predictMemory(plan);
    const int64_t baseline = procStatusBytes("VmRSS");

    model::LoadOptions options;
    options.device = plan.device;
    options.quant = plan.quant;
    options.doubleQuant = plan.doubleQuant;
    const auto t0 = Clock::now();
    auto model = model::Transformer::open(plan.modelFolder, options);
    model->preload(predicted.layersLoaded, predicted.needsUnembedding);
    const double loadS = std::chrono::duration<double>(Clock::now() - t0).count();

    const int64_t vocab = model->config().vocabSize;
    const at::Tensor ids = at::randint(vocab, {1, static_cast<int64_t>(tokens)}, at::kLong);
    model::ForwardRequest req;
    req.capture = {plan.upToHook};
    req.logits = false;
    const auto t1 = Clock::now();
    const auto out = model->forward(ids, req);
    const double forwardS = std::chrono::duration<double>(Clock::now() - t1).count();
    if (!out.activations.count(plan.upToHook))
        throw Exception(ErrorCode::Internal, "hook not captured", plan.upToHook,
                        "Report this: the forward did not reach the hook");
    const int64_t peak = procStatusBytes("VmHWM");
    const double ratio = predicted.totalBytes > 0 ? double(peak) / double(predicted.totalBytes) : 0;

    std::printf("%-22s %16s\n", "figure", "value");
    std::printf("%-22s %16s\n", "peak RSS", formatBytes(peak).c_str());
    std::printf("%-22s %16s\n", "predicted", formatBytes(predicted.totalBytes).c_str());
    std::printf("%-22s %16.3f\n", "measured / predicted", ratio);
    std::printf("%-22s %16s\n", "  weights (pred.)", formatBytes(predicted.weightBytes).c_str());
    std::printf("%-22s %16s\n", "  weights (held)", formatBytes(model->weightBytes()).c_str());
    std::printf("%-22s %16s\n", "  activations (pred.)",
                formatBytes(predicted.activationBytes).c_str());
    std::printf("%-22s %16s\n", "  workspace (pred.)",
                formatBytes(predicted.workspaceBytes).c_str());
    std::printf("%-22s %16s\n", "RSS before load", formatBytes(baseline).c_str());
    std::printf("%-22s %16.2f\n", "load s", loadS);
    std::printf("%-22s %16.1f\n", "tokens/s", double(tokens) / forwardS);
    const nlohmann::json j = {{"peak_rss_bytes", peak},
                              {"predicted_bytes", predicted.totalBytes},
                              {"load_s", loadS},
                              {"tokens_per_s", double(tokens) / forwardS},
                              {"measured_over_predicted", ratio},
                              {"weight_bytes", model->weightBytes()},
                              {"layers_loaded", predicted.layersLoaded},
                              {"quant", plan.quant},
                              {"hook", plan.upToHook},
                              {"tokens", tokens}};
    std::cout << j.dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
