// mistudio-cli bench sae: training tokens/s of the TopK SAE step, the fraction of the machine's
// fp32 GEMM rate it reaches, and the same step in plain PyTorch (tests/bench/topk_reference.py)
// run in the same invocation with the same thread count. With --nproc N: data-parallel scaling
// (bench_sae_dist.cpp).
#include "bench_sae_dist.h"
#include "cli.h"
#include "mistudio/result.h"
#include "sae/config_json.h"
#include "sae/trainer.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

// tests/bench/topk_reference.py, found upward from the executable (build/app/cli/...).
std::string findReference() {
    std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    for (int i = 0; i < 6 && !p.empty(); ++i, p = p.parent_path())
        if (std::filesystem::exists(p / "tests/bench/topk_reference.py"))
            return (p / "tests/bench/topk_reference.py").string();
    return {};
}

// Runs the Python reference; returns its last JSON line, or null with a reason on stderr.
nlohmann::json runReference(const std::string& python, const std::string& script,
                            const std::string& flags) {
    if (script.empty()) {
        std::cerr << "reference: tests/bench/topk_reference.py not found (pass --reference)\n";
        return nullptr;
    }
    const std::string cmd = python + " " + script + " " + flags + " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe)
        return nullptr;
    std::string out, last;
    char buf[4096];
    while (fgets(buf, sizeof buf, pipe)) {
        out += buf;
        std::string line(buf);
        if (!line.empty() && line[0] == '{')
            last = line;
    }
    const int rc = pclose(pipe);
    if (rc != 0 || last.empty()) {
        std::cerr << "reference failed (" << cmd << "):\n"
                  << out << "install Debian's python3-torch (installer/debian/install-deps.sh)\n";
        return nullptr;
    }
    std::cerr << out;
    return nlohmann::json::parse(last);
}

} // namespace

int runBenchSae(ArgParser& args) {
    const int64_t dIn = args.intOr("--d-in", 768);
    const int64_t dSae = args.intOr("--d-sae", 24576);
    const int64_t k = args.intOr("--k", 32);
    const int64_t batch = args.intOr("--batch", 4096);
    const int64_t steps = args.intOr("--steps", 5);
    const int64_t warmup = args.intOr("--warmup", 1);
    const std::string python = args.valueOr("--python", "/usr/bin/python3");
    std::string reference = args.valueOr("--reference", findReference());
    const bool skipReference = args.flag("--no-reference");
    const long long nproc = args.intOr("--nproc", 1);
    const bool worker = args.flag("--dist-worker"); // one rank of the --nproc measurement
    args.finish();
    if (dIn <= 0 || dSae <= 0 || k <= 0 || k > dSae || batch <= 0 || steps <= 0 || warmup < 0)
        throw UsageError("sizes must be positive and k <= d-sae");
    if (nproc < 1 || nproc > 64)
        throw UsageError("--nproc must be between 1 and 64");
    if (nproc > 1 || worker)
        return benchSaeDataParallel({dIn, dSae, k, batch, steps, warmup}, static_cast<int>(nproc),
                                    worker);

    at::manual_seed(0);
    sae::SaeConfig c = sae::parseSaeConfig(
        {{"architecture", "topk"}, {"d_sae", dSae}, {"k", k}, {"batch_size", batch}}, dIn, "bench");
    sae::SaeTrainer trainer(c, 1000000, at::zeros({dIn}), 0);
    const at::Tensor x = at::randn({batch, dIn});
    for (int64_t i = 0; i < warmup; ++i)
        trainer.step(x, i, false);
    auto t0 = Clock::now();
    for (int64_t i = 0; i < steps; ++i)
        trainer.step(x, warmup + i, false);
    const double stepSeconds = seconds(t0) / steps;
    const double tokensPerSecond = batch / stepSeconds;

    // The machine's fp32 GEMM rate on the encoder's shape, [B, d_in] x [d_in, d_sae].
    const at::Tensor w = at::randn({dIn, dSae});
    at::Tensor y = at::mm(x, w);
    t0 = Clock::now();
    const int reps = 3;
    for (int i = 0; i < reps; ++i)
        y = at::mm(x, w);
    const double gemmSeconds = seconds(t0) / reps;
    const double flops = 2.0 * batch * dIn * dSae;
    const double gemmRate = flops / gemmSeconds;
    // The step's one unavoidable product is the encoder GEMM; everything else is k-sparse.
    const double fraction = flops / stepSeconds / gemmRate;

    const int threads = at::get_num_threads();
    nlohmann::json ref;
    if (!skipReference) {
        char flagsBuf[256];
        std::snprintf(flagsBuf, sizeof flagsBuf,
                      "--d-in %lld --d-sae %lld --k %lld --batch %lld --steps %lld --warmup %lld "
                      "--threads %d",
                      (long long)dIn, (long long)dSae, (long long)k, (long long)batch,
                      (long long)steps, (long long)warmup, threads);
        ref = runReference(python, reference, flagsBuf);
    }
    const double refTps = ref.is_object() ? ref["tokens_per_s"].get<double>() : 0.0;
    std::printf("SAE TopK training step  d_in=%lld d_sae=%lld k=%lld batch=%lld threads=%d\n",
                (long long)dIn, (long long)dSae, (long long)k, (long long)batch, threads);
    std::printf("  %-34s %10.1f ms/step %12.0f tokens/s\n", "miStudio (k-sparse fwd+bwd)",
                stepSeconds * 1e3, tokensPerSecond);
    if (refTps > 0)
        std::printf("  %-34s %10.1f ms/step %12.0f tokens/s\n", "plain PyTorch (dense decode)",
                    batch / refTps * 1e3, refTps);
    std::printf("  fp32 GEMM [%lld x %lld] x [%lld x %lld]: %.1f GFLOP/s; step = %.3f of one "
                "encoder GEMM's rate\n",
                (long long)batch, (long long)dIn, (long long)dIn, (long long)dSae, gemmRate / 1e9,
                fraction);
    nlohmann::json j = {
        {"tokens_per_s", tokensPerSecond},
        {"fraction_of_gemm", fraction},
        {"ms_per_step", stepSeconds * 1e3},
        {"gemm_gflops", gemmRate / 1e9},
        {"threads", threads},
        {"reference_tokens_per_s", refTps > 0 ? nlohmann::json(refTps) : nullptr},
        {"speedup_vs_reference", refTps > 0 ? nlohmann::json(tokensPerSecond / refTps) : nullptr}};
    std::cout << j.dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
