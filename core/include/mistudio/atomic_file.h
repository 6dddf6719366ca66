#pragma once
// Writing a file so that a crash never leaves a half-written file where a good one was: the bytes
// go to a temporary file in the same folder, are flushed to disk, then renamed over the target.

#include <string>
#include <string_view>

namespace mistudio {

/// Writes `content` to `path` atomically. Throws Exception(Io) naming the path on failure (disk
/// full, permissions); the previous file, if any, is then left untouched.
void writeFileAtomically(const std::string& path, std::string_view content);

} // namespace mistudio
