#pragma once
// A buffered, bounded line reader: lines longer than a limit are refused with a message before
// they are allocated, and NUL bytes (binary or UTF-16 files) are reported with their line.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace mistudio::data {

class ByteStream {
public:
    ByteStream(const std::string& path);
    ~ByteStream();
    ByteStream(const ByteStream&) = delete;
    ByteStream& operator=(const ByteStream&) = delete;

    /// Next byte, or -1 at the end of the file.
    int get() {
        if (m_pos == m_end && !refill())
            return -1;
        return static_cast<unsigned char>(m_buffer[m_pos++]);
    }
    int peek() {
        if (m_pos == m_end && !refill())
            return -1;
        return static_cast<unsigned char>(m_buffer[m_pos]);
    }
    /// Appends bytes up to (not including) the next '\n', which is consumed; stops early once
    /// `out` would exceed maxBytes. Returns false when nothing was left to read.
    /// `complete` tells whether the newline (or the end of the file) was reached.
    bool readLine(std::string& out, uint64_t maxBytes, bool& complete);
    /// Skips a UTF-8 byte order mark at the start of the file.
    void skipBom();
    const std::string& path() const { return m_path; }
    uint64_t offset() const { return m_consumed + m_pos; }

private:
    bool refill();
    std::FILE* m_file = nullptr;
    std::string m_path;
    std::vector<char> m_buffer;
    size_t m_pos = 0;
    size_t m_end = 0;
    uint64_t m_consumed = 0;
};

class LineReader {
public:
    LineReader(const std::string& path, uint64_t maxLineBytes);
    /// Reads the next line without its "\n" / "\r\n"; false at the end of the file.
    bool next(std::string& line);
    /// 1-based number of the line last returned.
    uint64_t lineNumber() const { return m_line; }
    const std::string& path() const { return m_in.path(); }

private:
    ByteStream m_in;
    uint64_t m_max;
    uint64_t m_line = 0;
};

/// "data.jsonl" from "/a/b/data.jsonl": how messages name files.
std::string displayName(const std::string& path);

} // namespace mistudio::data
