// .csv / .tsv sources: RFC 4180 quoting ("a ""quoted"" field", newlines inside quotes), a header
// row naming the columns, the text column chosen by name.
#include "data/line_reader.h"
#include "data/sources.h"
#include "data/text_util.h"
#include "mistudio/result.h"

#include <algorithm>

namespace mistudio::data {

namespace {

class DelimitedSource : public RecordSource {
public:
    DelimitedSource(const std::string& path, const DatasetSpec& spec, char delimiter)
        : m_in(path), m_delim(delimiter), m_max(spec.maxRecordBytes) {
        m_in.skipBom();
        std::vector<std::string> header;
        if (!readRecord(header))
            throw Exception(ErrorCode::InvalidFormat, displayName(path) + " is empty", path,
                            "a CSV/TSV dataset starts with a header row naming its columns");
        m_columns = header.size();
        const auto it = std::find(header.begin(), header.end(), spec.textField);
        if (it == header.end()) {
            std::string present;
            for (const auto& h : header)
                present += (present.empty() ? "" : ", ") + h;
            throw Exception(ErrorCode::NotFound,
                            "column '" + spec.textField + "' not found in the header of " +
                                displayName(path) + "; columns present: " + present,
                            "", "use --text-field to name the column that holds the text");
        }
        m_column = static_cast<size_t>(it - header.begin());
    }

    bool next(RawRecord& r) override {
        std::vector<std::string> fields;
        for (;;) {
            if (!readRecord(fields))
                return false;
            if (fields.size() == 1 && fields[0].empty())
                continue; // a blank line
            if (fields.size() != m_columns)
                throw Exception(ErrorCode::InvalidFormat,
                                "record at line " + std::to_string(m_recordLine) + " of " +
                                    displayName(m_in.path()) + " has " +
                                    std::to_string(fields.size()) + " fields, the header " +
                                    std::to_string(m_columns),
                                "",
                                "quote fields that contain the delimiter, quotes or newlines "
                                "(RFC 4180)");
            r = RawRecord{};
            r.line = m_recordLine;
            r.text = std::move(fields[m_column]);
            return true;
        }
    }

private:
    [[noreturn]] void bad(const std::string& what) {
        throw Exception(ErrorCode::InvalidFormat,
                        what + " in the record at line " + std::to_string(m_recordLine) + " of " +
                            displayName(m_in.path()),
                        "byte " + std::to_string(m_in.offset()),
                        "fix the file (RFC 4180: fields with quotes are \"...\" with \"\" for a "
                        "quote)");
    }

    // Reads one record into fields; false at the end of the file.
    bool readRecord(std::vector<std::string>& fields) {
        fields.clear();
        int c = m_in.get();
        if (c < 0)
            return false;
        m_recordLine = m_line;
        std::string field;
        bool quoted = false; // inside "..."
        bool wasQuoted = false;
        uint64_t bytes = 0;
        for (;; c = m_in.get()) {
            if (c < 0) {
                if (quoted)
                    bad("unterminated quoted field");
                break;
            }
            if (c == 0)
                bad("NUL byte (binary or UTF-16 file?)");
            if (++bytes > m_max)
                bad("record longer than " + std::to_string(m_max) + " bytes");
            if (c == '\n')
                ++m_line;
            if (quoted) {
                if (c != '"')
                    field.push_back(static_cast<char>(c));
                else if (m_in.peek() == '"')
                    field.push_back(static_cast<char>(m_in.get()));
                else
                    quoted = false;
            } else if (c == '"' && field.empty() && !wasQuoted) {
                quoted = wasQuoted = true;
            } else if (c == m_delim) {
                fields.push_back(std::move(field));
                field.clear();
                wasQuoted = false;
            } else if (c == '\n' || (c == '\r' && m_in.peek() == '\n')) {
                if (c == '\r') {
                    m_in.get();
                    ++m_line;
                }
                break;
            } else {
                field.push_back(static_cast<char>(c));
            }
        }
        fields.push_back(std::move(field));
        return true;
    }

    ByteStream m_in;
    char m_delim;
    uint64_t m_max;
    size_t m_columns = 0;
    size_t m_column = 0;
    uint64_t m_line = 1;
    uint64_t m_recordLine = 1;
};

} // namespace

std::unique_ptr<RecordSource> openDelimited(const std::string& path, const DatasetSpec& spec,
                                            char delimiter) {
    return std::make_unique<DelimitedSource>(path, spec, delimiter);
}

} // namespace mistudio::data
