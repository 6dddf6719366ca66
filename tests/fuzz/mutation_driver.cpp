// A libFuzzer-compatible driver for compilers without libFuzzer (gcc, the default CI build).
// It runs every file of the corpus folders through LLVMFuzzerTestOneInput, then mutates them at
// random (bit flips, interesting bytes and numbers, inserted/deleted/duplicated ranges, splices,
// truncation) until -max_total_time. No coverage feedback: it is a smoke that every default CI
// run makes, not a replacement for the clang `fuzz` preset. A crash (signal or uncaught
// exception) or an input running past -timeout writes the input to -artifact_prefix and exits
// non-zero, as libFuzzer does, so run_fuzzer.py and the regression workflow are the same.
//
//   fuzz_x [-max_total_time=S] [-seed=N] [-timeout=S] [-artifact_prefix=DIR/] CORPUS [SEEDS...]
// Other libFuzzer flags are accepted and ignored. The seed is printed so a failure repeats.
#include "mutator.h"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

struct Options {
    double maxSeconds = 10;
    uint64_t seed = 0;
    unsigned timeoutSeconds = 10;
    std::string artifactPrefix = "./";
    std::vector<std::string> corpusDirs;
};

// State the signal handlers read: the input being run, where to save it.
const uint8_t* g_current = nullptr;
size_t g_currentSize = 0;
char g_artifactPath[4096] = {};
char g_timeoutPath[4096] = {};

void writeAll(const char* path, const uint8_t* data, size_t size) {
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n <= 0)
            break;
        data += n;
        size -= static_cast<size_t>(n);
    }
    ::close(fd);
}

void say(const char* text) {
    [[maybe_unused]] const ssize_t n = ::write(2, text, std::strlen(text));
}

// Async-signal-safe: saves the input and leaves with the signal's conventional status.
void onFatalSignal(int sig) {
    const bool timeout = sig == SIGALRM;
    const char* path = timeout ? g_timeoutPath : g_artifactPath;
    writeAll(path, g_current, g_currentSize);
    say(timeout ? "\n==mutation_driver== timeout: input saved to "
                : "\n==mutation_driver== crash (fatal signal): input saved to ");
    say(path);
    say("\n");
    ::_exit(timeout ? 70 : 128 + sig);
}

void onTerminate() {
    say("\n==mutation_driver== uncaught exception (std::terminate)");
    onFatalSignal(SIGABRT);
}

Options parseOptions(int argc, char** argv) {
    Options o;
    o.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* flag) { return a.substr(std::strlen(flag)); };
        if (a.rfind("-max_total_time=", 0) == 0)
            o.maxSeconds = std::stod(value("-max_total_time="));
        else if (a.rfind("-seed=", 0) == 0)
            o.seed = std::stoull(value("-seed="));
        else if (a.rfind("-timeout=", 0) == 0)
            o.timeoutSeconds = static_cast<unsigned>(std::stoul(value("-timeout=")));
        else if (a.rfind("-artifact_prefix=", 0) == 0)
            o.artifactPrefix = value("-artifact_prefix=");
        else if (a.rfind("-", 0) != 0)
            o.corpusDirs.push_back(a);
        // other libFuzzer flags (-rss_limit_mb, -print_final_stats, ...) are ignored
    }
    return o;
}

std::vector<std::vector<uint8_t>> loadCorpus(const std::vector<std::string>& dirs) {
    std::vector<std::vector<uint8_t>> inputs;
    for (const auto& dir : dirs) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (!entry.is_regular_file())
                continue;
            std::ifstream in(entry.path(), std::ios::binary);
            inputs.emplace_back(std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>());
        }
    }
    if (inputs.empty())
        inputs.push_back({}); // the empty input is always a valid start
    return inputs;
}

void runOne(const std::vector<uint8_t>& input, unsigned timeoutSeconds) {
    g_current = input.data();
    g_currentSize = input.size();
    ::alarm(timeoutSeconds);
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ::alarm(0);
}

void installHandlers(const Options& o) {
    const std::string base = o.artifactPrefix + "crash-seed" + std::to_string(o.seed);
    std::snprintf(g_artifactPath, sizeof g_artifactPath, "%s", base.c_str());
    std::snprintf(g_timeoutPath, sizeof g_timeoutPath, "%stimeout-seed%llu",
                  o.artifactPrefix.c_str(), static_cast<unsigned long long>(o.seed));
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGALRM})
        std::signal(sig, onFatalSignal);
    std::set_terminate(onTerminate);
}

} // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize) // before options: fuzz_project_file writes its seed into argv's
                              // corpus
        LLVMFuzzerInitialize(&argc, &argv);
    const Options o = parseOptions(argc, argv);
    installHandlers(o);
    std::vector<std::vector<uint8_t>> corpus = loadCorpus(o.corpusDirs);
    std::printf("mutation_driver: %zu corpus inputs, seed %llu, %.0f s\n", corpus.size(),
                static_cast<unsigned long long>(o.seed), o.maxSeconds);
    std::fflush(stdout);

    const auto start = std::chrono::steady_clock::now();
    uint64_t execs = 0;
    for (const auto& input : corpus) { // replay first: every seed and past crash must pass
        runOne(input, o.timeoutSeconds);
        ++execs;
    }
    mistudio::fuzz::Mutator mutator(o.seed);
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    while (elapsed() < o.maxSeconds) {
        const std::vector<uint8_t> input = mutator.mutate(corpus);
        runOne(input, o.timeoutSeconds);
        ++execs;
    }
    std::printf("mutation_driver: done, %llu executions in %.1f s, no crash\n",
                static_cast<unsigned long long>(execs), elapsed());
    return 0;
}
