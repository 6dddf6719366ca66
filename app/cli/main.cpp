// mistudio-cli entry point: global flags, subcommand dispatch, and the error boundary that turns
// exceptions into a message on stderr and an exit code (0 ok, 1 failure, 2 usage error).
#include "cli.h"
#include "mistudio/environment.h"
#include "mistudio/logging.h"
#include "mistudio/result.h"
#include "mistudio/version.h"

#include <cstring>
#include <iostream>

using namespace mistudio;
using namespace mistudio::cli;

namespace {

void printHelp(std::ostream& out) {
    out << "mistudio-cli " MISTUDIO_VERSION
           " - headless miStudio: every pipeline step as a subcommand\n\n"
           "Usage: mistudio-cli [--verbose | --quiet] [--threads N] COMMAND [ARGS...]\n"
           "       mistudio-cli --help | --version\n"
           "       mistudio-cli COMMAND --help\n\nCommands:\n";
    for (const auto& c : commands()) {
        out << "  " << c.name;
        for (size_t i = std::strlen(c.name); i < 18; ++i)
            out << ' ';
        out << c.summary << "\n";
    }
    out << "\nExit codes: 0 ok, 1 failure, 2 usage error.\n";
}

const Command* findCommand(const std::string& name) {
    for (const auto& c : commands())
        if (name == c.name)
            return &c;
    return nullptr;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    LogOptions logOptions;
    int threads = 0;
    size_t i = 0;
    for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            printHelp(std::cout);
            return 0;
        } else if (a == "--version") {
            std::cout << "mistudio-cli " MISTUDIO_VERSION "\n";
            return 0;
        } else if (a == "--verbose") {
            logOptions.consoleLevel = LogLevel::Debug;
        } else if (a == "--quiet") {
            logOptions.consoleLevel = LogLevel::Error;
        } else if (a == "--threads" && i + 1 < args.size()) {
            threads = std::atoi(args[++i].c_str());
        } else {
            std::cerr << "error: unknown option '" << a << "'\n\n";
            printHelp(std::cerr);
            return 2;
        }
    }
    if (i >= args.size()) {
        printHelp(std::cerr);
        return 2;
    }
    const Command* cmd = findCommand(args[i]);
    if (!cmd) {
        std::cerr << "error: unknown command '" << args[i]
                  << "'. Run 'mistudio-cli --help' for the list.\n";
        return 2;
    }
    std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
        std::cout << "Usage: mistudio-cli " << cmd->usage << "\n\n" << cmd->summary << "\n";
        return 0;
    }
    initLogging(logOptions);
    try {
        setComputeThreads(threads);
        ArgParser parser(rest);
        return cmd->run(parser);
    } catch (const UsageError& e) {
        std::cerr << "error: " << e.what() << "\nUsage: mistudio-cli " << cmd->usage << "\n";
        return 2;
    } catch (...) {
        const Error err = errorFromCurrentException();
        std::cerr << "error: " << err.message << "\n";
        return 1;
    }
}
