#include "data/line_reader.h"
#include "data/sources.h"
#include "data/text_util.h"
#include "mistudio/result.h"

#include <filesystem>

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
        ByteStream in(m_path);
        in.skipBom();
        r.text.clear();
        for (int c = in.get(); c >= 0; c = in.get()) {
            if (c == 0)
                throw Exception(ErrorCode::InvalidFormat, "NUL byte in " + displayName(m_path),
                                "byte " + std::to_string(in.offset() - 1),
                                "the file looks binary or UTF-16; convert it to UTF-8 text");
            r.text.push_back(static_cast<char>(c));
        }
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
