#pragma once
#include "mistudio/events.h"

#include <string>

namespace mistudio {

struct LogOptions {
    bool console = true;
    LogLevel consoleLevel = LogLevel::Info;
    /// Folder for the rotating log file; empty means userDataDir()/logs, "-" means no file.
    std::string fileDir;
};

/// Sets spdlog's default logger: stderr console, a rotating file (5 MB x 3) and the sink that
/// turns log lines written inside a job into LogEvents. Safe to call more than once.
void initLogging(const LogOptions& options = {});

/// Where the studio keeps its logs and settings: $MISTUDIO_DATA_DIR, else
/// $XDG_DATA_HOME/mistudio, else ~/.local/share/mistudio.
std::string userDataDir();

} // namespace mistudio
