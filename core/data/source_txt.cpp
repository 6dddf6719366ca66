#include "data/line_reader.h"
#include "data/sources.h"
#include "data/text_util.h"
#include "mistudio/result.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace mistudio::data {

namespace {

class TxtFileSource : public RecordSource {
public:
    TxtFileSource(const std::string& path, const DatasetSpec& spec) : m_path(path), m_spec(spec) {}
    bool next(RawRecord& r) override {
        if (m_done)
            return false;
        m_done = true;
        std::error_code ec;
        const auto size = std::filesystem::file_size(m_path, ec);
        if (!ec && size > m_spec.maxDocumentBytes)
            throw Exception(ErrorCode::InvalidFormat,
                            displayName(m_path) + " is " + std::to_string(size) +
                                " bytes, more than the " + std::to_string(m_spec.maxDocumentBytes) +
                                "-byte document limit",
                            m_path,
                            "split it into documents separated by blank lines and read it "
                            "with the blank-line setting (--txt-split blank-lines)");
        std::ifstream in(m_path, std::ios::binary);
        if (!in)
            throw Exception(ErrorCode::NotFound, "cannot open dataset file", m_path,
                            "check that the file exists and is readable");
        r.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (r.text.rfind("\xEF\xBB\xBF", 0) == 0)
            r.text.erase(0, 3); // UTF-8 byte order mark
        if (const void* nul = std::memchr(r.text.data(), 0, r.text.size()))
            throw Exception(ErrorCode::InvalidFormat, "NUL byte in " + displayName(m_path),
                            "byte " + std::to_string(static_cast<const char*>(nul) - r.text.data()),
                            "the file looks binary or UTF-16; convert it to UTF-8 text");
        r.line = 1;
        return true;
    }

private:
    std::string m_path;
    DatasetSpec m_spec;
    bool m_done = false;
};

// Documents are blocks of lines separated by one or more blank lines.
class TxtBlockSource : public RecordSource {
public:
    TxtBlockSource(const std::string& path, const DatasetSpec& spec)
        : m_lines(path, spec.maxRecordBytes), m_max(spec.maxDocumentBytes) {}
    bool next(RawRecord& r) override {
        r.text.clear();
        std::string line;
        while (m_lines.next(line)) {
            if (isBlank(line)) {
                if (!r.text.empty())
                    return true;
                continue;
            }
            if (r.text.empty())
                r.line = m_lines.lineNumber();
            else
                r.text.push_back('\n');
            if (r.text.size() + line.size() > m_max)
                throw Exception(ErrorCode::InvalidFormat,
                                "the block starting at line " + std::to_string(r.line) + " of " +
                                    displayName(m_lines.path()) + " exceeds the " +
                                    std::to_string(m_max) + "-byte document limit",
                                m_lines.path(), "separate documents with blank lines");
            r.text += line;
        }
        return !r.text.empty();
    }

private:
    LineReader m_lines;
    uint64_t m_max;
};

} // namespace

std::unique_ptr<RecordSource> openTxt(const std::string& path, const DatasetSpec& spec) {
    if (spec.txtSplit == TxtSplit::BlankLines)
        return std::make_unique<TxtBlockSource>(path, spec);
    return std::make_unique<TxtFileSource>(path, spec);
}

} // namespace mistudio::data
