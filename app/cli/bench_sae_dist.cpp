// bench sae --nproc N: tokens/s of the TopK SAE step for 1 and N ranks and the scaling efficiency
// tokens_per_s_N / (N * tokens_per_s_1), with the all-reduce time per step. Weak scaling: every
// rank trains on --batch tokens per step with the same thread count as the single process, as
// each GPU of a real job would; on a CPU-only box the ranks share its cores, so the figure says
// how much of the machine the communication costs, not what N GPUs would give.
#include "bench_sae_dist.h"

#include "distributed/communicator.h"
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

struct Measured {
    double stepSeconds = 0, allReduceSeconds = 0;
};

Measured measure(const SaeBenchShape& s, dist::Communicator& comm) {
    at::manual_seed(comm.rank());
    sae::SaeConfig c = sae::parseSaeConfig({{"architecture", "topk"},
                                            {"d_sae", s.dSae},
                                            {"k", s.k},
                                            {"batch_size", s.batch * comm.worldSize()}},
                                           s.dIn, "bench");
    sae::SaeTrainer trainer(c, 1000000, at::zeros({s.dIn}), 0);
    trainer.setCommunicator(&comm);
    const at::Tensor x = at::randn({s.batch, s.dIn});
    for (int64_t i = 0; i < s.warmup; ++i)
        trainer.step(x, i, false);
    comm.barrier();
    const double reduceBefore = comm.allReduceSeconds();
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < s.steps; ++i)
        trainer.step(x, s.warmup + i, false);
    Measured m;
    m.stepSeconds = std::chrono::duration<double>(Clock::now() - t0).count() / s.steps;
    m.allReduceSeconds = (comm.allReduceSeconds() - reduceBefore) / s.steps;
    // The slowest rank sets the pace.
    m.stepSeconds = comm.allReduce(m.stepSeconds, dist::ReduceOp::Max);
    m.allReduceSeconds = comm.allReduce(m.allReduceSeconds, dist::ReduceOp::Mean);
    return m;
}

std::string shapeFlags(const SaeBenchShape& s) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "--d-in %lld --d-sae %lld --k %lld --batch %lld --steps %lld "
                  "--warmup %lld",
                  (long long)s.dIn, (long long)s.dSae, (long long)s.k, (long long)s.batch,
                  (long long)s.steps, (long long)s.warmup);
    return buf;
}

/// Runs `launch --nproc N -- bench sae ... --dist-worker`; returns rank 0's JSON line.
nlohmann::json runRanks(const SaeBenchShape& s, int nproc) {
    // popen runs a shell, whose /proc/self/exe is the shell: name this binary by its path.
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const std::string cmd = "'" + self + "' launch --nproc " + std::to_string(nproc) +
                            " -- --threads " + std::to_string(at::get_num_threads()) +
                            " bench sae " + shapeFlags(s) + " --dist-worker 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe)
        throw Exception(ErrorCode::Io, "cannot start the ranks", cmd, "");
    std::string out, last;
    char buf[4096];
    while (fgets(buf, sizeof buf, pipe)) {
        out += buf;
        const std::string line(buf);
        if (line.rfind("[rank 0] {", 0) == 0)
            last = line.substr(9);
    }
    if (pclose(pipe) != 0 || last.empty())
        throw Exception(ErrorCode::Internal, "the " + std::to_string(nproc) + "-rank run failed",
                        "bench sae --nproc", out);
    return nlohmann::json::parse(last);
}

} // namespace

int benchSaeDataParallel(const SaeBenchShape& s, int nproc, bool worker) {
    if (worker) {
        auto comm = dist::communicatorFromEnvironment();
        const Measured m = measure(s, *comm);
        if (comm->rank() == 0)
            std::cout << nlohmann::json{{"step_s", m.stepSeconds},
                                        {"allreduce_s", m.allReduceSeconds}}
                             .dump()
                      << std::endl;
        return 0;
    }
    if (!dist::glooAvailable())
        throw Exception(ErrorCode::Unsupported, "this build has no distributed backend",
                        "bench sae --nproc", "rebuild with c10d/Gloo (libgloo-dev)");
    dist::LocalCommunicator local;
    const Measured one = measure(s, local);
    const nlohmann::json many = runRanks(s, nproc);
    const double tps1 = s.batch / one.stepSeconds;
    const double tpsN = s.batch * nproc / many["step_s"].get<double>();
    const double efficiency = tpsN / (nproc * tps1);
    const double reduceMs = many["allreduce_s"].get<double>() * 1e3;
    const double gradMb = 4.0 * (2.0 * s.dIn * s.dSae + s.dSae + s.dIn) / 1e6;
    std::printf("SAE TopK data-parallel step  d_in=%lld d_sae=%lld k=%lld batch/rank=%lld "
                "threads/rank=%d (Gloo, 127.0.0.1)\n",
                (long long)s.dIn, (long long)s.dSae, (long long)s.k, (long long)s.batch,
                at::get_num_threads());
    std::printf("  %-10s %12s %14s %16s\n", "ranks", "ms/step", "tokens/s", "all-reduce ms");
    std::printf("  %-10d %12.1f %14.0f %16s\n", 1, one.stepSeconds * 1e3, tps1, "-");
    std::printf("  %-10d %12.1f %14.0f %16.1f\n", nproc, many["step_s"].get<double>() * 1e3, tpsN,
                reduceMs);
    std::printf("  scaling efficiency %.2f; gradients all-reduced per step: %.1f MB\n", efficiency,
                gradMb);
    const std::string n = std::to_string(nproc);
    std::cout << nlohmann::json{{"tokens_per_s_1", tps1},
                                {"tokens_per_s_" + n, tpsN},
                                {"scaling_efficiency", efficiency},
                                {"allreduce_ms_per_step", reduceMs},
                                {"nproc", nproc},
                                {"batch_per_rank", s.batch},
                                {"threads_per_rank", at::get_num_threads()},
                                {"gradient_mb", gradMb}}
                     .dump()
              << std::endl;
    return 0;
}

} // namespace mistudio::cli
