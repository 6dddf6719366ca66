#include "mistudio/atomic_file.h"

#include "mistudio/result.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mistudio {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
    throw Exception(ErrorCode::Io, what + ": " + std::strerror(err), path,
                    err == ENOSPC ? "Free some disk space and try again"
                                  : "Check that the folder exists and is writable");
}
} // namespace

void writeFileAtomically(const std::string& path, std::string_view content) {
    std::string tmp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0)
        fail("cannot create a temporary file", path, errno);
    size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            ::close(fd);
            ::unlink(tmp.c_str());
            fail("cannot write", path, err);
        }
        written += static_cast<size_t>(n);
    }
    // mkstemp creates 0600; a report or export is an ordinary user file.
    ::fchmod(fd, 0644);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail("cannot flush", path, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail("cannot replace", path, err);
    }
}

} // namespace mistudio
