#include "data/line_reader.h"

#include "mistudio/result.h"

#include <cstring>
#include <filesystem>

namespace mistudio::data {

ByteStream::ByteStream(const std::string& path) : m_path(path), m_buffer(1u << 20) {
    m_file = std::fopen(path.c_str(), "rb");
    if (!m_file)
        throw Exception(ErrorCode::NotFound, "cannot open dataset file", path,
                        "check that the file exists and is readable");
}

ByteStream::~ByteStream() {
    if (m_file)
        std::fclose(m_file);
}

bool ByteStream::refill() {
    m_consumed += m_end;
    m_pos = m_end = 0;
    m_end = std::fread(m_buffer.data(), 1, m_buffer.size(), m_file);
    if (m_end == 0 && std::ferror(m_file))
        throw Exception(ErrorCode::Io, "read error", m_path, "check the disk and the file");
    return m_end > 0;
}

bool ByteStream::readLine(std::string& out, uint64_t maxBytes, bool& complete) {
    complete = false;
    if (m_pos == m_end && !refill())
        return false;
    for (;;) {
        const char* begin = m_buffer.data() + m_pos;
        const size_t avail = m_end - m_pos;
        const void* nl = std::memchr(begin, '\n', avail);
        const size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - begin) : avail;
        if (out.size() + take > maxBytes) {
            out.append(begin, static_cast<size_t>(maxBytes - out.size()));
            return true;
        }
        out.append(begin, take);
        m_pos += take;
        if (nl) {
            ++m_pos;
            complete = true;
            return true;
        }
        if (!refill()) {
            complete = true;
            return true;
        }
    }
}

void ByteStream::skipBom() {
    if (peek() != 0xEF)
        return;
    if (m_end - m_pos >= 3 && std::memcmp(&m_buffer[m_pos], "\xEF\xBB\xBF", 3) == 0)
        m_pos += 3;
}

LineReader::LineReader(const std::string& path, uint64_t maxLineBytes)
    : m_in(path), m_max(maxLineBytes) {
    m_in.skipBom();
}

bool LineReader::next(std::string& line) {
    line.clear();
    bool complete = false;
    const uint64_t start = m_in.offset();
    if (!m_in.readLine(line, m_max, complete))
        return false;
    ++m_line;
    if (!complete)
        throw Exception(ErrorCode::InvalidFormat,
                        "line " + std::to_string(m_line) + " of " + displayName(path()) +
                            " is longer than " + std::to_string(m_max) + " bytes",
                        path(),
                        "split the file into one record per line, or raise the record "
                        "size limit (maxRecordBytes)");
    if (const void* nul = std::memchr(line.data(), 0, line.size()))
        throw Exception(
            ErrorCode::InvalidFormat,
            "NUL byte in line " + std::to_string(m_line) + " of " + displayName(path()),
            "byte " + std::to_string(start + static_cast<uint64_t>(static_cast<const char*>(nul) -
                                                                   line.data())),
            "the file looks binary or UTF-16; convert it to UTF-8 text");
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return true;
}

std::string displayName(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

} // namespace mistudio::data
