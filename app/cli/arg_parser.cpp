#include "cli.h"

namespace mistudio::cli {

ArgParser::ArgParser(std::vector<std::string> args)
    : m_args(std::move(args)), m_used(m_args.size(), false) {}

std::optional<std::string> ArgParser::value(const std::string& flag) {
    for (size_t i = 0; i < m_args.size(); ++i) {
        if (m_used[i])
            continue;
        const std::string& a = m_args[i];
        if (a == flag) {
            if (i + 1 >= m_args.size())
                throw UsageError(flag + " needs a value");
            m_used[i] = m_used[i + 1] = true;
            return m_args[i + 1];
        }
        if (a.rfind(flag + "=", 0) == 0) {
            m_used[i] = true;
            return a.substr(flag.size() + 1);
        }
    }
    return std::nullopt;
}

std::string ArgParser::required(const std::string& flag) {
    auto v = value(flag);
    if (!v)
        throw UsageError("missing " + flag);
    return *v;
}

std::string ArgParser::valueOr(const std::string& flag, const std::string& fallback) {
    auto v = value(flag);
    return v ? *v : fallback;
}

long long ArgParser::intOr(const std::string& flag, long long fallback) {
    auto v = value(flag);
    if (!v)
        return fallback;
    try {
        size_t pos = 0;
        long long n = std::stoll(*v, &pos);
        if (pos != v->size())
            throw std::invalid_argument("trailing");
        return n;
    } catch (const std::exception&) {
        throw UsageError(flag + " expects an integer, got '" + *v + "'");
    }
}

bool ArgParser::flag(const std::string& name) {
    for (size_t i = 0; i < m_args.size(); ++i) {
        if (!m_used[i] && m_args[i] == name) {
            m_used[i] = true;
            return true;
        }
    }
    return false;
}

std::optional<std::string> ArgParser::subcommand() {
    if (m_args.empty() || m_used[0] || m_args[0].empty() || m_args[0][0] == '-')
        return std::nullopt;
    m_used[0] = true;
    return m_args[0];
}

std::vector<std::string> ArgParser::positionals() {
    std::vector<std::string> out;
    for (size_t i = 0; i < m_args.size(); ++i) {
        if (!m_used[i] && (m_args[i].empty() || m_args[i][0] != '-' || m_args[i] == "-")) {
            m_used[i] = true;
            out.push_back(m_args[i]);
        }
    }
    return out;
}

void ArgParser::finish() {
    for (size_t i = 0; i < m_args.size(); ++i)
        if (!m_used[i])
            throw UsageError("unexpected argument '" + m_args[i] + "'");
}

} // namespace mistudio::cli
