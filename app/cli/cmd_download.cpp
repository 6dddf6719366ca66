// mistudio-cli download REPO_ID [--revision REV] [--repo-type model|dataset]
// Downloads what a model (or a dataset's data files) needs into the Hugging Face cache and prints
// the snapshot folder on stdout; progress goes to stderr.
#include "cli.h"
#include "mistudio/engine.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <unistd.h>

namespace mistudio::cli {

namespace {

std::string megabytes(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
    return buf;
}

// Prints download progress to stderr at most twice a second: one updating line on a terminal,
// plain lines otherwise (logs, CI).
class ProgressPrinter {
public:
    void operator()(const JobEvent& event) {
        const auto* p = std::get_if<ProgressEvent>(&event);
        if (!p)
            return;
        const auto now = std::chrono::steady_clock::now();
        const bool last = p->total > 0 && p->done >= p->total;
        if (!last && now - m_last < std::chrono::milliseconds(500))
            return;
        m_last = now;
        std::string line = "download: " + megabytes(p->done) + " / " + megabytes(p->total);
        if (p->rate > 0)
            line += "  " + megabytes(p->rate) + "/s";
        if (p->etaSeconds >= 0)
            line += "  ETA " + std::to_string(int(p->etaSeconds + 0.5)) + " s";
        if (m_tty)
            std::fprintf(stderr, "\r%-70s%s", line.c_str(), last ? "\n" : "");
        else
            std::fprintf(stderr, "%s\n", line.c_str());
        std::fflush(stderr);
    }

private:
    bool m_tty = ::isatty(STDERR_FILENO) != 0;
    std::chrono::steady_clock::time_point m_last{};
};

hub::RepoId parseArguments(ArgParser& args) {
    const std::string revision = args.valueOr("--revision", "");
    const std::string type = args.valueOr("--repo-type", "model");
    const auto positionals = args.positionals();
    args.finish();
    if (positionals.size() != 1)
        throw UsageError("expects one REPO_ID (org/name)");
    try {
        return hub::parseRepoId(positionals[0], hub::parseRepoType(type), revision);
    } catch (const Exception& e) {
        throw UsageError(e.what());
    }
}

} // namespace

int runDownload(ArgParser& args) {
    const hub::RepoId id = parseArguments(args);
    const hub::HubSettings settings = hub::HubSettings::fromEnvironment();
    // Ctrl-C cancels the job cleanly (the partial file is kept and the next run resumes it).
    // SIGINT is blocked before the engine's threads exist, so they inherit the mask and only the
    // sigtimedwait() below ever takes it.
    sigset_t interrupt, previousMask;
    sigemptyset(&interrupt);
    sigaddset(&interrupt, SIGINT);
    pthread_sigmask(SIG_BLOCK, &interrupt, &previousMask);
    struct MaskRestore {
        sigset_t mask;
        ~MaskRestore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
    } restore{previousMask};

    Engine engine;
    ProgressPrinter printer;
    JobOptions options;
    options.name = "download";
    options.queueEvents = false;
    options.onEvent = [&](uint64_t, const JobEvent& e) { printer(e); };
    hub::DownloadResult result;
    JobHandle job = engine.submit(
        [&](JobContext& ctx) { result = hub::downloadRepo(id, settings, {}, &ctx); }, options);
    std::optional<FinishedEvent> done;
    while (!(done = job.waitFor(std::chrono::milliseconds(0)))) {
        const timespec tick{0, 100 * 1000 * 1000};
        if (sigtimedwait(&interrupt, nullptr, &tick) == SIGINT)
            job.cancel();
    }
    if (!done->ok)
        throw Exception(done->error.code, done->error.message);
    std::cout << result.snapshotDir << "\n";
    return 0;
}

} // namespace mistudio::cli
