// .jsonl (one object per line) and .json (an array of objects, or {"data": [...]}) sources.
// The .json reader scans the array element by element, so a large file is never parsed whole.
#include "data/line_reader.h"
#include "data/sources.h"
#include "data/text_util.h"
#include "mistudio/result.h"

#include <nlohmann/json.hpp>

namespace mistudio::data {

namespace {

using nlohmann::json;

// Takes the text field out of one parsed record; `where` is e.g. "line 12 of data.jsonl".
void extractField(const json& j, const std::string& field, const std::string& where, RawRecord& r) {
    if (!j.is_object())
        throw Exception(ErrorCode::InvalidFormat,
                        std::string("expected a JSON object in ") + where + ", found " +
                            j.type_name(),
                        "", "each record must be an object such as {\"text\": \"...\"}");
    const auto it = j.find(field);
    if (it == j.end()) {
        std::string present;
        for (const auto& [k, v] : j.items())
            present += (present.empty() ? "" : ", ") + k;
        throw Exception(ErrorCode::NotFound,
                        "field '" + field + "' not found in " + where +
                            "; fields present: " + (present.empty() ? "(none)" : present),
                        "", "use --text-field to name the field that holds the text");
    }
    if (it->is_null()) {
        r.isNull = true;
        return;
    }
    if (!it->is_string())
        throw Exception(ErrorCode::InvalidFormat,
                        "field '" + field + "' in " + where + " is a " + it->type_name() +
                            ", not a string",
                        "", "use --text-field to name a field that holds text");
    r.text = it->get<std::string>();
    r.decodedNuls = removeNuls(r.text);
}

json parseRecord(const std::string& text, const std::string& where) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        throw Exception(ErrorCode::InvalidFormat, "invalid JSON in " + where + ": " + e.what(), "",
                        "fix the record or remove it");
    }
}

class JsonLinesSource : public RecordSource {
public:
    JsonLinesSource(const std::string& path, const DatasetSpec& spec)
        : m_lines(path, spec.maxRecordBytes), m_field(spec.textField) {}
    bool next(RawRecord& r) override {
        std::string line;
        while (m_lines.next(line)) {
            if (isBlank(line))
                continue;
            r = RawRecord{};
            r.line = m_lines.lineNumber();
            r.invalidUtf8 = repairUtf8(line); // the JSON parser would refuse invalid UTF-8
            const std::string where =
                "line " + std::to_string(r.line) + " of " + displayName(m_lines.path());
            extractField(parseRecord(line, where), m_field, where, r);
            return true;
        }
        return false;
    }

private:
    LineReader m_lines;
    std::string m_field;
};

class JsonArraySource : public RecordSource {
public:
    JsonArraySource(const std::string& path, const DatasetSpec& spec)
        : m_in(path), m_field(spec.textField), m_max(spec.maxRecordBytes) {
        m_in.skipBom();
        const int c = nonSpace();
        if (c == '{')
            findDataArray();
        else if (c != '[')
            bad("expected a JSON array or an object with a \"data\" array");
    }

    bool next(RawRecord& r) override {
        if (m_done)
            return false;
        int c = nonSpacePeek();
        if (m_count == 0 && c == ']') {
            m_done = true;
            return false;
        }
        if (m_count > 0) {
            c = nonSpace();
            if (c == ']') {
                m_done = true;
                return false;
            }
            if (c != ',')
                bad("expected ',' or ']' after element " + std::to_string(m_count));
        }
        std::string text;
        scanValue(&text);
        ++m_count;
        r = RawRecord{};
        r.line = m_count;
        r.invalidUtf8 = repairUtf8(text);
        const std::string where =
            "element " + std::to_string(m_count) + " of " + displayName(m_in.path());
        extractField(parseRecord(text, where), m_field, where, r);
        return true;
    }

private:
    [[noreturn]] void bad(const std::string& what) {
        throw Exception(ErrorCode::InvalidFormat, what + " in " + displayName(m_in.path()),
                        "byte " + std::to_string(m_in.offset()),
                        "a .json dataset is an array of objects or {\"data\": [objects]}; "
                        "use .jsonl for one object per line");
    }
    int nonSpacePeek() {
        for (int c = m_in.peek();; c = m_in.peek()) {
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
                return c;
            m_in.get();
        }
    }
    int nonSpace() {
        nonSpacePeek();
        return m_in.get();
    }
    void put(std::string* out, int c) {
        if (c < 0)
            bad("unexpected end of file");
        if (c == 0)
            bad("NUL byte (binary or UTF-16 file?)");
        if (!out)
            return;
        if (out->size() >= m_max)
            bad("element " + std::to_string(m_count + 1) + " is longer than " +
                std::to_string(m_max) + " bytes");
        out->push_back(static_cast<char>(c));
    }
    void scanString(std::string* out) { // after the opening quote
        for (int c = m_in.get();; c = m_in.get()) {
            put(out, c);
            if (c == '\\')
                put(out, m_in.get());
            else if (c == '"')
                return;
        }
    }
    // Copies (or skips, when out is null) one JSON value, tracking strings and nesting.
    void scanValue(std::string* out) {
        int c = nonSpace();
        put(out, c);
        if (c == '"')
            return scanString(out);
        if (c == '{' || c == '[') {
            for (size_t depth = 1; depth > 0;) {
                c = m_in.get();
                put(out, c);
                if (c == '"')
                    scanString(out);
                else if (c == '{' || c == '[')
                    ++depth;
                else if (c == '}' || c == ']')
                    --depth;
            }
            return;
        }
        for (int p = m_in.peek(); p >= 0 && p != ',' && p != ']' && p != '}' && p != ' ' &&
                                  p != '\n' && p != '\r' && p != '\t';
             p = m_in.peek())
            put(out, m_in.get());
    }
    void findDataArray() {
        for (;;) {
            int c = nonSpace();
            if (c == '}')
                bad("an object without a \"data\" array");
            if (c != '"')
                bad("expected a key");
            std::string key;
            scanString(&key);
            key.pop_back();
            if (nonSpace() != ':')
                bad("expected ':' after key \"" + key + "\"");
            if (key == "data") {
                if (nonSpace() != '[')
                    bad("\"data\" is not an array");
                return;
            }
            scanValue(nullptr);
            c = nonSpace();
            if (c == '}')
                bad("an object without a \"data\" array");
            if (c != ',')
                bad("expected ',' or '}'");
        }
    }

    ByteStream m_in;
    std::string m_field;
    uint64_t m_max;
    uint64_t m_count = 0;
    bool m_done = false;
};

} // namespace

std::unique_ptr<RecordSource> openJsonLines(const std::string& path, const DatasetSpec& spec) {
    return std::make_unique<JsonLinesSource>(path, spec);
}
std::unique_ptr<RecordSource> openJsonArray(const std::string& path, const DatasetSpec& spec) {
    return std::make_unique<JsonArraySource>(path, spec);
}

} // namespace mistudio::data
