// mistudio-cli run --config RUN.json --project P.mistudio [--json-events]
// Every stage of a run as one job; progress bars on a TTY, or one JSON event per line.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "mistudio/engine.h"
#include "mistudio/pipeline.h"
#include "mistudio/result.h"

namespace mistudio::cli {

namespace {
std::atomic<bool> g_stop{false};
void onSigint(int) { g_stop = true; }

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw Exception(ErrorCode::NotFound, "cannot open the run configuration", path, "Check the --config path");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

nlohmann::json eventJson(const JobEvent& e) {
    if (auto* p = std::get_if<ProgressEvent>(&e))
        return {{"event", "progress"}, {"stage", p->stage}, {"done", p->done}, {"total", p->total},
                {"unit", p->unit}, {"rate", p->rate}, {"eta_s", p->etaSeconds}};
    if (auto* m = std::get_if<MetricEvent>(&e))
        return {{"event", "metric"}, {"step", m->step}, {"name", m->name}, {"value", m->value}};
    if (auto* l = std::get_if<LogEvent>(&e))
        return {{"event", "log"}, {"level", logLevelName(l->level)}, {"text", l->text}};
    if (auto* mem = std::get_if<MemoryEvent>(&e))
        return {{"event", "memory"}, {"cpu_rss", mem->cpuRss}, {"gpu_used", mem->gpuUsed}};
    const auto& f = std::get<FinishedEvent>(e);
    return {{"event", "finished"}, {"ok", f.ok}, {"error", f.error.message}};
}

/// "[extract] ########-------- 52% 1234 tokens/s ETA 0:01:02" on one refreshed line.
void drawBar(const ProgressEvent& p) {
    const double frac = p.total > 0 ? std::min(1.0, p.done / p.total) : 0;
    const int width = 30, filled = static_cast<int>(frac * width);
    const int eta = static_cast<int>(std::max(0.0, p.etaSeconds));
    std::fprintf(stderr, "\r[%-8s] %s%s %3d%% %.0f %s/s ETA %d:%02d:%02d   ", p.stage.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, '-').c_str(),
                 static_cast<int>(frac * 100), p.rate, p.unit.c_str(), eta / 3600, eta / 60 % 60, eta % 60);
    if (frac >= 1)
        std::fputc('\n', stderr);
}
}  // namespace

int runRun(ArgParser& args) {
    PipelineRequest req;
    req.source = args.required("--config");
    req.projectPath = args.required("--project");
    const bool jsonEvents = args.flag("--json-events");
    args.finish();
    req.runJson = readFile(req.source);
    const bool tty = ::isatty(STDERR_FILENO);
    PipelineOutcome outcome;
    Engine engine;
    JobOptions options;
    options.name = "run";
    options.queueEvents = false;
    options.logFailure = false;
    options.onEvent = [&](uint64_t, const JobEvent& e) {
        if (jsonEvents)
            std::cout << eventJson(e).dump() << std::endl;
        else if (auto* p = std::get_if<ProgressEvent>(&e); p && tty)
            drawBar(*p);
    };
    JobHandle job = engine.submit([&](JobContext& ctx) { outcome = runPipeline(req, ctx); }, options);
    auto previous = std::signal(SIGINT, onSigint);
    std::optional<FinishedEvent> fin;
    while (!(fin = job.waitFor(std::chrono::milliseconds(100))))
        if (g_stop)
            job.cancel();
    std::signal(SIGINT, previous);
    if (!fin->ok) {
        std::cerr << "\nerror: " << fin->error.message << "\n";
        if (fin->error.code == ErrorCode::Cancelled)
            std::cerr << "Run the same command again to continue where it stopped.\n";
        return 1;
    }
    if (!jsonEvents)
        std::cout << nlohmann::json{{"run", outcome.runId}, {"sae", outcome.saeFolder},
                                    {"eval", nlohmann::json::parse(outcome.evalJson)}}
                         .dump()
                  << std::endl;
    return 0;
}

}  // namespace mistudio::cli
