#include "data/parquet/parquet_reader.h"

#include "data/parquet/codec.h"
#include "data/parquet/thrift_compact.h"
#include "mistudio/result.h"

#include <algorithm>
#include <cstring>
#include <fstream>

namespace mistudio::data::parquet {

namespace {

constexpr uint64_t kMaxFooter = 256ull << 20;
constexpr size_t kMaxHeaderProbe = 16u << 20;
constexpr uint64_t kMaxPageBytes = 256ull << 20; // Hub datasets use ~1 MiB pages

class FileSource : public ByteSource {
public:
    explicit FileSource(const std::string& path) : m_in(path, std::ios::binary) {
        if (!m_in)
            throw Exception(ErrorCode::NotFound, "cannot open Parquet file", path,
                            "check that the file exists and is readable");
        m_in.seekg(0, std::ios::end);
        m_size = static_cast<uint64_t>(m_in.tellg());
        m_path = path;
    }
    uint64_t size() const override { return m_size; }
    void read(uint64_t offset, size_t n, uint8_t* out) override {
        m_in.clear();
        m_in.seekg(static_cast<std::streamoff>(offset));
        m_in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
        if (static_cast<size_t>(m_in.gcount()) != n)
            throw Exception(ErrorCode::Io, "read error", m_path, "check the disk and the file");
    }

private:
    std::ifstream m_in;
    uint64_t m_size = 0;
    std::string m_path;
};

class MemorySource : public ByteSource {
public:
    MemorySource(const uint8_t* d, size_t n) : m_data(d), m_size(n) {}
    uint64_t size() const override { return m_size; }
    void read(uint64_t offset, size_t n, uint8_t* out) override {
        if (n == 0) // an empty page body: `out` may be null (memcpy's arguments must not be)
            return;
        std::memcpy(out, m_data + offset, n);
    }

private:
    const uint8_t* m_data;
    size_t m_size;
};

} // namespace

std::unique_ptr<ByteSource> openFileSource(const std::string& path) {
    return std::make_unique<FileSource>(path);
}
std::unique_ptr<ByteSource> memorySource(const uint8_t* data, size_t size) {
    return std::make_unique<MemorySource>(data, size);
}

ParquetStringReader::ParquetStringReader(std::unique_ptr<ByteSource> source, std::string column,
                                         std::string name)
    : m_source(std::move(source)), m_column(std::move(column)), m_name(std::move(name)) {
    readFooter();
    selectColumn();
}

ParquetStringReader::~ParquetStringReader() = default;

void ParquetStringReader::fail(const std::string& what, uint64_t at) const {
    throw Exception(ErrorCode::InvalidFormat, what,
                    m_name + (at ? ", at byte " + std::to_string(at) : std::string()),
                    "the file is damaged or not Parquet; re-download or re-export it");
}

void ParquetStringReader::unsupported(const std::string& feature) const {
    throw Exception(ErrorCode::Unsupported,
                    feature + " in column '" + m_column + "' of " + m_name + " is not supported",
                    "",
                    "re-export the dataset with PLAIN or dictionary encoding and SNAPPY, ZSTD "
                    "or GZIP compression (pyarrow's defaults)");
}

void ParquetStringReader::readFooter() {
    const uint64_t size = m_source->size();
    uint8_t tail[8];
    uint8_t head[4];
    if (size < 12)
        fail("file of " + std::to_string(size) + " bytes is too small to be Parquet", 0);
    m_source->read(0, 4, head);
    m_source->read(size - 8, 8, tail);
    if (std::memcmp(head, "PAR1", 4) != 0 || std::memcmp(tail + 4, "PAR1", 4) != 0) {
        if (std::memcmp(tail + 4, "PARE", 4) == 0)
            unsupported("encrypted footer (PARE)");
        fail("missing PAR1 magic bytes (not a Parquet file, or truncated)", 0);
    }
    uint32_t len = 0;
    std::memcpy(&len, tail, 4); // little-endian on every platform we build for
    if (len == 0 || len > size - 12 || len > kMaxFooter)
        fail("footer length " + std::to_string(len) + " does not fit in the file", size - 8);
    std::vector<uint8_t> footer(len);
    m_source->read(size - 8 - len, len, footer.data());
    try {
        m_meta = decodeFileMeta(footer.data(), footer.size());
    } catch (const ThriftError& e) {
        fail(std::string("corrupt footer metadata: ") + e.what(), size - 8 - len);
    }
    if (m_meta.schema.empty())
        fail("footer has no schema", size - 8 - len);
}

void ParquetStringReader::selectColumn() {
    // Flatten the schema tree (depth-first, as Parquet orders leaves) with level counts.
    std::vector<std::string> groups; // dotted paths of group nodes
    std::vector<bool> groupRepeated; // whether the group or something under it repeats
    size_t index = 1;
    auto walk = [&](auto&& self, const std::string& prefix, int def, int rep, int depth) -> bool {
        if (index >= m_meta.schema.size() || depth > 64)
            fail("schema tree is inconsistent (num_children exceeds the elements)", 0);
        const SchemaElement& e = m_meta.schema[index++];
        const std::string path = prefix.empty() ? e.name : prefix + "." + e.name;
        const int r = e.repetition.value_or(0);
        const int d = def + (r == 1 || r == 2 ? 1 : 0);
        const int p = rep + (r == 2 ? 1 : 0);
        if (e.numChildren <= 0 && e.type) {
            m_leaves.push_back({path, *e.type, d, p});
            return p > 0;
        }
        groups.push_back(path);
        groupRepeated.push_back(false);
        const size_t g = groups.size() - 1;
        bool repeated = r == 2;
        for (int32_t c = 0; c < e.numChildren; ++c)
            repeated = self(self, path, d, p, depth + 1) || repeated;
        groupRepeated[g] = repeated;
        return repeated;
    };
    const int32_t rootChildren = m_meta.schema[0].numChildren;
    if (rootChildren < 0 || static_cast<size_t>(rootChildren) >= m_meta.schema.size())
        fail("schema root declares " + std::to_string(rootChildren) + " columns", 0);
    for (int32_t c = 0; c < rootChildren; ++c)
        walk(walk, "", 0, 0, 0);

    for (size_t i = 0; i < groups.size(); ++i)
        if (groups[i] == m_column)
            unsupported(std::string(groupRepeated[i] ? "a nested/repeated (list)"
                                                     : "a nested "
                                                       "(struct)") +
                        " column");
    // An empty column name picks the first plain string column (used by the fuzz entry point).
    auto it = std::find_if(m_leaves.begin(), m_leaves.end(), [&](const Leaf& l) {
        return m_column.empty()
                   ? l.type == static_cast<int32_t>(PhysicalType::ByteArray) && l.maxRep == 0
                   : l.path == m_column;
    });
    if (it == m_leaves.end()) {
        std::string present;
        for (const auto& l : m_leaves)
            present += (present.empty() ? "" : ", ") + l.path;
        throw Exception(ErrorCode::NotFound,
                        "field '" + m_column + "' not found in " + m_name +
                            "; columns present: " + present,
                        "", "use --text-field to pick the text column");
    }
    if (it->maxRep > 0)
        unsupported("a repeated (list) column");
    if (it->type != static_cast<int32_t>(PhysicalType::ByteArray))
        throw Exception(ErrorCode::InvalidArgument,
                        "column '" + m_column + "' of " + m_name + " has type " +
                            physicalTypeName(it->type) + ", not a string (BYTE_ARRAY) column",
                        "", "use --text-field to pick the text column");
    m_leaf = static_cast<size_t>(it - m_leaves.begin());
}

std::vector<std::string> ParquetStringReader::columnNames() const {
    std::vector<std::string> names;
    for (const auto& l : m_leaves)
        names.push_back(l.path);
    return names;
}

bool ParquetStringReader::startRowGroup() {
    while (m_rowGroup < m_meta.rowGroups.size()) {
        const RowGroupMeta& g = m_meta.rowGroups[m_rowGroup++];
        if (g.columns.size() != m_leaves.size())
            fail("row group " + std::to_string(m_rowGroup - 1) + " has " +
                     std::to_string(g.columns.size()) + " columns, the schema " +
                     std::to_string(m_leaves.size()),
                 0);
        const ColumnChunkMeta& c = g.columns[m_leaf];
        if (!c.filePath.empty())
            unsupported("a column chunk stored in another file ('" + c.filePath + "')");
        if (c.type != static_cast<int32_t>(PhysicalType::ByteArray))
            fail("column chunk type disagrees with the schema", 0);
        const uint64_t fileEnd = m_source->size() - 8;
        int64_t start = c.dataPageOffset;
        if (c.dictionaryPageOffset && *c.dictionaryPageOffset > 0 &&
            *c.dictionaryPageOffset < start)
            start = *c.dictionaryPageOffset;
        if (start < 4 || c.totalCompressedSize < 0 || static_cast<uint64_t>(start) > fileEnd ||
            static_cast<uint64_t>(c.totalCompressedSize) > fileEnd - static_cast<uint64_t>(start))
            fail("column chunk of row group " + std::to_string(m_rowGroup - 1) + " (offset " +
                     std::to_string(start) + ", " + std::to_string(c.totalCompressedSize) +
                     " bytes) lies outside the file",
                 0);
        m_codec = c.codec;
        m_pos = static_cast<uint64_t>(start);
        m_chunkEnd = m_pos + static_cast<uint64_t>(c.totalCompressedSize);
        m_haveDictionary = false;
        m_dictionary.clear();
        ++m_stats.rowGroups;
        if (m_pos < m_chunkEnd)
            return true;
    }
    return false;
}

bool ParquetStringReader::loadNextPage() {
    for (;;) {
        if (!m_inChunk || m_pos >= m_chunkEnd) {
            m_inChunk = startRowGroup();
            if (!m_inChunk)
                return false;
        }
        // Page headers are small but may hold statistics: probe with a growing window.
        PageHeader h;
        const uint64_t left = m_chunkEnd - m_pos;
        for (size_t probe = 4096;; probe *= 4) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(probe, left));
            std::vector<uint8_t> buf(n);
            m_source->read(m_pos, n, buf.data());
            try {
                h = decodePageHeader(buf.data(), n);
                break;
            } catch (const ThriftError& e) {
                if (n == left || probe >= kMaxHeaderProbe)
                    fail(std::string("corrupt page header: ") + e.what(), m_pos);
            }
        }
        if (h.compressedSize < 0 || h.uncompressedSize < 0 ||
            static_cast<uint64_t>(h.compressedSize) > left - h.headerSize)
            fail("page size " + std::to_string(h.compressedSize) + " runs past its column chunk",
                 m_pos);
        if (static_cast<uint64_t>(h.uncompressedSize) > kMaxPageBytes)
            fail("page of " + std::to_string(h.uncompressedSize) + " bytes exceeds the " +
                     std::to_string(kMaxPageBytes >> 20) + " MiB limit",
                 m_pos);
        const uint64_t at = m_pos;
        const uint64_t bodyAt = m_pos + h.headerSize;
        m_pos = bodyAt + static_cast<uint64_t>(h.compressedSize);
        if (h.type == static_cast<int32_t>(PageType::IndexPage))
            continue;
        std::vector<uint8_t> body = readPageBody(h, bodyAt, h.type != 3);
        decodePage(h, body, at);
        if (m_next < m_values.size())
            return true;
    }
}

std::vector<uint8_t> ParquetStringReader::readPageBody(const PageHeader& h, uint64_t bodyAt,
                                                       bool decompressAll) {
    std::vector<uint8_t> raw(static_cast<size_t>(h.compressedSize));
    m_source->read(bodyAt, raw.size(), raw.data());
    // v2 pages keep their levels uncompressed in front; decodePage handles the split.
    if (!decompressAll)
        return raw;
    try {
        return decompress(m_codec, raw.data(), raw.size(), static_cast<size_t>(h.uncompressedSize));
    } catch (const UnsupportedCodec& u) {
        unsupported(std::string(codecName(u.codec)) + " compression");
    } catch (const std::runtime_error& e) {
        fail(std::string("cannot decompress page: ") + e.what(), bodyAt);
    }
}

bool ParquetStringReader::next(std::string& out, uint64_t* row) {
    while (m_next >= m_values.size()) {
        m_values.clear();
        m_rows.clear();
        m_next = 0;
        if (!loadNextPage())
            return false;
    }
    if (row)
        *row = m_rows[m_next];
    out = std::move(m_values[m_next++]);
    ++m_stats.values;
    return true;
}

long long parseParquetBuffer(const uint8_t* data, size_t size) {
    try {
        ParquetStringReader reader(memorySource(data, size), "", "fuzz input");
        long long n = 0;
        std::string s;
        while (reader.next(s))
            ++n;
        return n;
    } catch (const Exception&) {
        return -1;
    }
}

} // namespace mistudio::data::parquet
