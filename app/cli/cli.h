#pragma once
// mistudio-cli: one binary, one subcommand per pipeline step. Commands are listed explicitly in
// commands.cpp. Exit codes: 0 ok, 1 failure, 2 usage error; messages go to stderr, results to
// stdout.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mistudio::cli {

/// A command-line mistake; main() prints it with the command's usage and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Consumes flags from a subcommand's arguments. Accepts "--flag value" and "--flag=value".
class ArgParser {
public:
    explicit ArgParser(std::vector<std::string> args);

    std::optional<std::string> value(const std::string& flag);
    std::string required(const std::string& flag);
    std::string valueOr(const std::string& flag, const std::string& fallback);
    long long intOr(const std::string& flag, long long fallback);
    bool flag(const std::string& name);
    /// Consumes the first argument when it is not a flag (a sub-subcommand such as `bench
    /// tokenize`); nullopt otherwise.
    std::optional<std::string> subcommand();
    /// Remaining arguments that are not flags, in order. Call after every flag was consumed.
    std::vector<std::string> positionals();
    /// Fails on any argument left unconsumed (an unknown flag or stray positional).
    void finish();

private:
    std::vector<std::string> m_args;
    std::vector<bool> m_used;
};

struct Command {
    const char* name;
    const char* summary;
    const char* usage;
    int (*run)(ArgParser& args);
};

const std::vector<Command>& commands();

} // namespace mistudio::cli
