#include "mistudio/logging.h"

#include "common/logging_internal.h"
#include "engine/job_state.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace mistudio {

namespace {

LogLevel fromSpdlog(spdlog::level::level_enum level) {
    switch (level) {
    case spdlog::level::trace: return LogLevel::Trace;
    case spdlog::level::debug: return LogLevel::Debug;
    case spdlog::level::info: return LogLevel::Info;
    case spdlog::level::warn: return LogLevel::Warn;
    default: return LogLevel::Error;
    }
}

spdlog::level::level_enum toSpdlog(LogLevel level) {
    switch (level) {
    case LogLevel::Trace: return spdlog::level::trace;
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

/// Forwards lines logged on a job's worker thread to that job as LogEvents.
class JobLogSink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (JobState* job = currentJob())
            job->deliver(LogEvent{fromSpdlog(msg.level),
                                  std::string(msg.payload.begin(), msg.payload.end())});
    }
    void flush_() override {}
};

std::mutex g_initMutex;

bool hasJobSink(const spdlog::logger& logger) {
    for (const auto& s : logger.sinks())
        if (std::dynamic_pointer_cast<JobLogSink>(s))
            return true;
    return false;
}

} // namespace

std::string userDataDir() {
    if (const char* d = std::getenv("MISTUDIO_DATA_DIR"); d && *d)
        return d;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
        return std::string(x) + "/mistudio";
    if (const char* h = std::getenv("HOME"); h && *h)
        return std::string(h) + "/.local/share/mistudio";
    return "/tmp/mistudio";
}

bool jobLogSinkInstalled() {
    auto logger = spdlog::default_logger();
    return logger && hasJobSink(*logger);
}

void ensureJobLogSink() {
    std::lock_guard lock(g_initMutex);
    auto logger = spdlog::default_logger();
    if (logger && !hasJobSink(*logger)) {
        auto sink = std::make_shared<JobLogSink>();
        sink->set_level(spdlog::level::info);
        logger->sinks().push_back(sink);
    }
}

void initLogging(const LogOptions& options) {
    std::lock_guard lock(g_initMutex);
    std::vector<spdlog::sink_ptr> sinks;
    if (options.console) {
        auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        console->set_level(toSpdlog(options.consoleLevel));
        console->set_pattern("%^%l%$: %v");
        sinks.push_back(console);
    }
    if (options.fileDir != "-") {
        const std::string dir = options.fileDir.empty() ? userDataDir() + "/logs" : options.fileDir;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        try {
            auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                dir + "/mistudio.log", 5 * 1024 * 1024, 3);
            file->set_level(spdlog::level::debug);
            sinks.push_back(file);
        } catch (const spdlog::spdlog_ex&) {
            // An unwritable log folder must not stop the program; the console still works.
        }
    }
    auto job = std::make_shared<JobLogSink>();
    job->set_level(spdlog::level::info);
    sinks.push_back(job);

    auto logger = std::make_shared<spdlog::logger>("mistudio", sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

} // namespace mistudio
