// mistudio-cli train --config RUN.json [--resume] [--reshard]: trains an SAE (or a sweep) as an
// engine job. stdout: one JSON line per logging step and SAE, then one JSON object of evaluation
// metrics per SAE (with world_size). Ctrl-C cancels: a checkpoint is written and --resume
// continues exactly. Under torchrun / srun / `launch` it is one rank of a data-parallel job.
#include "cli.h"
#include "distributed/communicator.h"
#include "mistudio/engine.h"
#include "mistudio/result.h"
#include "sae/metrics.h"
#include "sae/run.h"
#include "train_recorder.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void onInterrupt(int) {
    g_interrupted = true;
}

nlohmann::json stepJson(const std::string& sae, const sae::StepMetrics& m) {
    return {{"sae", sae},
            {"step", m.step},
            {"tokens", m.tokens},
            {"loss", m.loss},
            {"mse", m.mse},
            {"fvu", m.fvu},
            {"sparsity_loss", m.sparsityLoss},
            {"aux_loss", m.auxLoss},
            {"l0", m.l0},
            {"dead", m.deadCount},
            {"dense", m.denseCount},
            {"lr", m.lr},
            {"sparsity_coefficient", m.sparsityCoefficient},
            {"grad_norm", m.gradNorm},
            {"threshold", m.threshold},
            {"tokens_per_s", m.tokensPerSecond}};
}

nlohmann::json evalJson(const sae::RunResult& r, int worldSize) {
    nlohmann::json j = sae::evalMetricsJson(r.eval);
    j["sae"] = r.name;
    j["out"] = r.folder;
    j["dead_count"] = r.eval.deadCount;
    j["dead_window_tokens"] = r.deadWindowTokens;
    j["eval_dead_fraction"] = r.evalDeadFraction;
    j["eval_set"] = r.evalSet;
    j["world_size"] = worldSize;
    return j;
}

nlohmann::json readConfig(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw Exception(ErrorCode::NotFound, "cannot open the run configuration", path,
                        "check the --config path");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw Exception(ErrorCode::InvalidFormat, std::string("not valid JSON: ") + e.what(), path,
                        "fix the JSON syntax");
    }
}

} // namespace

int runTrain(ArgParser& args) {
    const std::string configPath = args.required("--config");
    const bool resume = args.flag("--resume");
    const bool reshard = args.flag("--reshard");
    const std::string projectPath = args.valueOr("--project", "");
    args.finish();
    const nlohmann::json config = readConfig(configPath);
    const sae::RunConfig run = sae::parseRunConfig(config, configPath);
    // RANK / WORLD_SIZE / MASTER_ADDR... (torchrun, srun, `launch`): join the job. Rank 0 alone
    // prints metrics and writes the project, checkpoints and SAE folders.
    const std::unique_ptr<dist::Communicator> comm = dist::communicatorFromEnvironment();
    const bool writer = comm->rank() == 0;
    std::unique_ptr<TrainRecorder> recorder;
    if (!projectPath.empty() && writer)
        recorder = std::make_unique<TrainRecorder>(projectPath, run, config);
    std::mutex outMutex;
    std::vector<sae::RunResult> results;
    Engine engine;
    JobOptions options;
    options.name = "train";
    options.queueEvents = false;
    JobHandle job = engine.submit(
        [&](JobContext& ctx) {
            auto onLog = [&](const std::string& name, const sae::StepMetrics& m) {
                if (!writer)
                    return;
                if (recorder)
                    recorder->onStep(name, m);
                std::lock_guard lock(outMutex);
                std::cout << stepJson(name, m).dump() << std::endl;
            };
            results = sae::runTraining(ctx, run, resume, onLog, {comm.get(), reshard});
        },
        options);
    g_interrupted = false;
    auto previous = std::signal(SIGINT, onInterrupt);
    std::optional<FinishedEvent> fin;
    while (!(fin = job.waitFor(std::chrono::milliseconds(100))))
        if (g_interrupted)
            job.cancel();
    std::signal(SIGINT, previous);
    if (!fin->ok && recorder)
        recorder->fail(fin->error.code == ErrorCode::Cancelled ? RunStatus::Cancelled
                                                               : RunStatus::Failed,
                       fin->error.message);
    if (fin->ok && recorder)
        recorder->finish(results);
    if (!fin->ok && comm->distributed())
        comm->announceFailure(fin->error.message); // the other ranks name this one
    if (!fin->ok) {
        if (fin->error.code == ErrorCode::Cancelled)
            std::cerr << "cancelled: checkpoint written to " << run.out
                      << "/checkpoint; continue with --resume\n";
        else
            std::cerr << "error: " << fin->error.message << "\n";
        return 1;
    }
    if (!writer)
        return 0; // data parallel: rank 0 alone prints the evaluation
    for (const auto& r : results)
        if (!std::isfinite(r.eval.ceClean)) {
            std::cerr << "note: this run names no model and dataset to splice the SAE into, so "
                         "ce_clean, ce_spliced, ce_zero, delta_ce, ce_loss_recovered and kl are "
                         "null (give 'model', 'hook' and 'dataset' in RUN.json to measure them)\n";
            break;
        }
    for (const auto& r : results)
        std::cout << evalJson(r, comm->worldSize()).dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
