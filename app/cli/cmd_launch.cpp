// mistudio-cli launch --nproc N [--master-addr A] [--master-port P] -- SUBCOMMAND ARGS...
// Starts N local ranks of this binary (like torchrun --standalone): each gets RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT; their stdout and stderr lines are
// forwarded prefixed with "[rank R] ". When a rank fails the others get a few seconds to stop by
// themselves (they name the failed rank), then SIGTERM, then SIGKILL; the exit code is 1 if any
// rank failed. Ctrl-C is passed on to every rank (they checkpoint and stop).
#include "cli.h"
#include "distributed/communicator.h"
#include "mistudio/result.h"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace mistudio::cli {

namespace {

std::atomic<bool> g_interrupt{false};
void onInterrupt(int) {
    g_interrupt = true;
}

int freePort(const std::string& addr) {
    // Bind port 0 to let the kernel pick a free port; rank 0's TCPStore binds it right after.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    ::inet_pton(AF_INET, addr == "localhost" ? "127.0.0.1" : addr.c_str(), &a.sin_addr);
    socklen_t len = sizeof(a);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw Exception(ErrorCode::Network, "cannot find a free port", addr,
                        "pass --master-port P");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

struct Rank {
    pid_t pid = -1;
    int out = -1, err = -1; // read ends
    std::string outBuf, errBuf;
    bool running = true;
    int status = 0;
};

Rank spawn(int rank, int n, const std::string& addr, int port,
           const std::vector<std::string>& cmd) {
    int outPipe[2], errPipe[2];
    if (::pipe(outPipe) != 0 || ::pipe(errPipe) != 0)
        throw Exception(ErrorCode::Io, "cannot create pipes for the ranks", "launch", "");
    const pid_t pid = ::fork();
    if (pid == 0) {
#ifdef __linux__
        ::prctl(PR_SET_PDEATHSIG, SIGKILL); // no orphan ranks when the launcher is killed
#endif
        ::dup2(outPipe[1], 1);
        ::dup2(errPipe[1], 2);
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        ::setenv("RANK", std::to_string(rank).c_str(), 1);
        ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
        ::setenv("WORLD_SIZE", std::to_string(n).c_str(), 1);
        ::setenv("LOCAL_WORLD_SIZE", std::to_string(n).c_str(), 1);
        ::setenv("MASTER_ADDR", addr.c_str(), 1);
        ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
        std::vector<std::string> argv = {"/proc/self/exe"};
        argv.insert(argv.end(), cmd.begin(), cmd.end());
        std::vector<char*> cargv;
        for (auto& a : argv)
            cargv.push_back(a.data());
        cargv.push_back(nullptr);
        ::execv("/proc/self/exe", cargv.data());
        std::perror("launch: exec");
        ::_exit(127);
    }
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (pid < 0)
        throw Exception(ErrorCode::Io, "cannot start rank " + std::to_string(rank), "launch", "");
    Rank r;
    r.pid = pid;
    r.out = outPipe[0];
    r.err = errPipe[0];
    return r;
}

/// Reads what is available on fd; forwards whole lines prefixed. Returns false at end of file.
bool pump(int fd, std::string& buf, int rank, std::ostream& to) {
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n > 0)
        buf.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
        to << "[rank " << rank << "] " << buf.substr(0, nl) << std::endl;
        buf.erase(0, nl + 1);
    }
    if (n <= 0 && !buf.empty()) {
        to << "[rank " << rank << "] " << buf << std::endl;
        buf.clear();
    }
    return n > 0;
}

std::string describeExit(int status) {
    if (WIFSIGNALED(status))
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    return "exited with code " + std::to_string(WEXITSTATUS(status));
}

/// The arguments after launch's "--", from /proc/self/cmdline (the parser has no notion of "--");
/// each is consumed from `args` so that only launch's own flags remain to be checked.
std::vector<std::string> commandAfterDoubleDash(ArgParser& args) {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> all;
    for (std::string a; std::getline(in, a, '\0');)
        all.push_back(a);
    size_t i = 1;
    while (i < all.size() && all[i] != "launch")
        ++i;
    while (i < all.size() && all[i] != "--")
        ++i;
    if (i >= all.size())
        return {};
    std::vector<std::string> cmd(all.begin() + static_cast<long>(i) + 1, all.end());
    args.flag("--");
    for (const std::string& a : cmd)
        args.flag(a);
    return cmd;
}

} // namespace

int runLaunch(ArgParser& args) {
    // launch's own flags first: they come before "--", so they are the first occurrences.
    const long long nproc = args.intOr("--nproc", 0);
    const std::string addr = args.valueOr("--master-addr", "127.0.0.1");
    const long long portArg = args.intOr("--master-port", 0);
    const std::vector<std::string> cmd = commandAfterDoubleDash(args);
    args.finish();
    if (nproc < 1 || nproc > 256)
        throw UsageError("--nproc must be between 1 and 256");
    if (cmd.empty())
        throw UsageError("give the command after --, e.g. -- train --config RUN.json");
    if (cmd[0] == "launch")
        throw UsageError("launch cannot start launch");
    if (nproc > 1 && !dist::glooAvailable())
        throw Exception(ErrorCode::Unsupported, "this build has no distributed backend", "launch",
                        "rebuild with c10d/Gloo (-DMISTUDIO_WITH_DISTRIBUTED=ON, libgloo-dev)");
    const int port = portArg > 0 ? static_cast<int>(portArg) : freePort(addr);
    std::vector<Rank> ranks;
    for (int r = 0; r < nproc; ++r)
        ranks.push_back(spawn(r, static_cast<int>(nproc), addr, port, cmd));
    std::cerr << "launch: " << nproc << " rank(s), MASTER_ADDR=" << addr << " MASTER_PORT=" << port
              << "\n";
    auto previous = std::signal(SIGINT, onInterrupt);
    bool failed = false, interruptSent = false;
    std::optional<std::chrono::steady_clock::time_point> failedAt;
    int termSent = 0; // 0 none, 1 SIGTERM, 2 SIGKILL
    size_t running = ranks.size();
    while (running > 0) {
        std::vector<pollfd> fds;
        for (const Rank& r : ranks) {
            if (r.out >= 0)
                fds.push_back({r.out, POLLIN, 0});
            if (r.err >= 0)
                fds.push_back({r.err, POLLIN, 0});
        }
        if (!fds.empty())
            ::poll(fds.data(), fds.size(), 100);
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        for (size_t i = 0; i < ranks.size(); ++i) {
            Rank& r = ranks[i];
            for (const pollfd& p : fds) {
                if (!(p.revents & (POLLIN | POLLHUP | POLLERR)) || (p.fd != r.out && p.fd != r.err))
                    continue;
                int& fd = p.fd == r.out ? r.out : r.err;
                if (!pump(fd, p.fd == r.out ? r.outBuf : r.errBuf, static_cast<int>(i),
                          p.fd == r.out ? std::cout : std::cerr)) {
                    ::close(fd);
                    fd = -1;
                }
            }
            if (r.running && ::waitpid(r.pid, &r.status, WNOHANG) == r.pid) {
                r.running = false;
                --running;
                if (!(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)) {
                    std::cerr << "launch: rank " << i << " " << describeExit(r.status)
                              << (failed ? "" : "; stopping the other ranks") << "\n";
                    if (!failed)
                        failedAt = std::chrono::steady_clock::now();
                    failed = true;
                }
            }
        }
        if (g_interrupt && !interruptSent) {
            for (Rank& r : ranks)
                if (r.running)
                    ::kill(r.pid, SIGINT);
            interruptSent = true;
        }
        // After a failure: 5 s for the others to notice and stop, then SIGTERM, then SIGKILL.
        const double since =
            failedAt ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *failedAt)
                           .count()
                     : 0;
        const int wanted = !failedAt ? 0 : since > 10 ? 2 : since > 5 ? 1 : 0;
        for (; termSent < wanted; ++termSent)
            for (Rank& r : ranks)
                if (r.running)
                    ::kill(r.pid, termSent == 0 ? SIGTERM : SIGKILL);
    }
    for (size_t i = 0; i < ranks.size(); ++i) {
        Rank& r = ranks[i];
        for (int* fd : {&r.out, &r.err})
            if (*fd >= 0) {
                while (pump(*fd, fd == &r.out ? r.outBuf : r.errBuf, static_cast<int>(i),
                            fd == &r.out ? std::cout : std::cerr)) {
                }
                ::close(*fd);
            }
    }
    std::signal(SIGINT, previous);
    return failed ? 1 : 0;
}

} // namespace mistudio::cli
