// mistudio-cli bench forward: tokens/s of the transformer forward and the fraction of this
// machine's fp32 GEMM rate it reaches (FLOPs = 2 x matmul params of the layers run x tokens +
// attention scores and mixing).
#include "cli.h"
#include "mistudio/result.h"
#include "model/transformer.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

/// fp32 GEMM rate (GFLOP/s) for an [M, K] x [K, N] product, the model's MLP shape.
double measureGemm(int64_t M, int64_t K, int64_t N, double minSeconds) {
    at::NoGradGuard noGrad;
    const at::Tensor a = at::randn({M, K}), b = at::randn({K, N});
    at::Tensor c = at::empty({M, N});
    at::mm_out(c, a, b); // warm-up (thread pool, page faults)
    int64_t iters = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    while (iters < 3 || elapsed < minSeconds) {
        at::mm_out(c, a, b);
        ++iters;
        elapsed = seconds(start, Clock::now());
    }
    return 2.0 * double(M) * double(K) * double(N) * double(iters) / elapsed / 1e9;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int runBenchForward(ArgParser& args) {
    const std::string modelDir = args.required("--model");
    const long long B = args.intOr("--batch", 8);
    const long long T = args.intOr("--seq", 128);
    const auto upTo = args.value("--up-to");
    const long long minSeconds = args.intOr("--seconds", 3);
    model::LoadOptions options;
    options.device = args.valueOr("--device", "cpu");
    args.finish();
    if (B < 1 || T < 1 || B * T > 1 << 22)
        throw UsageError("--batch and --seq must be positive (batch x seq <= 4M)");

    auto model = model::Transformer::open(modelDir, options);
    const model::ModelConfig& c = model->config();
    model::ForwardRequest req;
    if (upTo) {
        req.capture = {*upTo};
        req.logits = false;
    }
    at::manual_seed(0);
    const at::Tensor ids = at::randint(0, c.vocabSize, {B, T}, at::kLong);
    // Warm-up forward: loads the weights it needs (not timed) and settles the allocator.
    const int64_t layersRun = model->forward(ids, req).layersRun;
    std::vector<double> times;
    const auto start = Clock::now();
    while (times.size() < 3 || seconds(start, Clock::now()) < double(minSeconds)) {
        const auto t0 = Clock::now();
        model->forward(ids, req);
        times.push_back(seconds(t0, Clock::now()));
    }
    const double perForward = median(times);
    // GEMM rate measured around the forward runs, same threads, same BLAS.
    const double gemm = 0.5 * (measureGemm(B * T, c.dModel, c.dMlp, 1.0) +
                               measureGemm(B * T, c.dModel, c.dMlp, 1.0));

    const double tokens = double(B * T);
    const double attnFlops = 4.0 * double(B) * double(c.nHeads) * double(T) * double(T) *
                             double(c.headDim) * double(layersRun);
    const double flops =
        2.0 * double(model->matmulParameters(layersRun, req.logits)) * tokens + attnFlops;
    const double achieved = flops / perForward / 1e9;
    const double tokensPerS = tokens / perForward;

    std::printf("model          %s (%s, %lld layers)\n", modelDir.c_str(), c.modelType.c_str(),
                static_cast<long long>(c.nLayers));
    std::printf("shape          batch %lld x seq %lld, threads %d\n", B, T, at::get_num_threads());
    std::printf("run            %s, %lld layers%s\n", upTo ? upTo->c_str() : "full forward",
                static_cast<long long>(layersRun), req.logits ? " + LM head" : "");
    std::printf("forward        %.4f s (median of %zu)\n", perForward, times.size());
    std::printf("tokens/s       %.1f\n", tokensPerS);
    std::printf("GFLOP/s        %.1f (%.2f GFLOP per forward)\n", achieved, flops / 1e9);
    std::printf("fp32 GEMM      %.1f GFLOP/s ([%lld x %lld] x [%lld x %lld])\n", gemm, B * T,
                static_cast<long long>(c.dModel), static_cast<long long>(c.dModel),
                static_cast<long long>(c.dMlp));
    std::printf("fraction       %.3f of GEMM rate\n", achieved / gemm);
    const nlohmann::json j = {{"tokens_per_s", tokensPerS},
                              {"gemm_gflops", gemm},
                              {"fraction_of_gemm", achieved / gemm},
                              {"gflops", achieved},
                              {"seconds_per_forward", perForward},
                              {"layers_run", layersRun},
                              {"batch", B},
                              {"seq", T},
                              {"up_to", upTo ? *upTo : std::string()}};
    std::cout << j.dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
