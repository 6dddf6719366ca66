#pragma once
// Streams the strings of one BYTE_ARRAY column of a Parquet file, page by page: only the footer,
// one page and the current dictionary are in memory. Supports what Hugging Face datasets use
// (data pages v1/v2, PLAIN and dictionary encodings, definition levels, SNAPPY/ZSTD/GZIP);
// anything else raises an Exception naming the unsupported feature. Every offset and length read
// from the file is checked, so malformed files give errors, never crashes.

#include "data/parquet/parquet_meta.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mistudio::data::parquet {

/// Random-access bytes: a file or a memory buffer (the fuzz entry point).
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual uint64_t size() const = 0;
    /// Reads exactly n bytes at offset (the caller has checked the range).
    virtual void read(uint64_t offset, size_t n, uint8_t* out) = 0;
};
std::unique_ptr<ByteSource> openFileSource(const std::string& path);
std::unique_ptr<ByteSource> memorySource(const uint8_t* data, size_t size);

struct ParquetStats {
    uint64_t nulls = 0;  // null values skipped
    uint64_t values = 0; // non-null strings returned
    uint32_t dataPagesV1 = 0;
    uint32_t dataPagesV2 = 0;
    uint32_t dictionaryPages = 0;
    uint32_t rowGroups = 0;
};

class ParquetStringReader {
public:
    /// `name` is how errors refer to the file (usually its file name).
    ParquetStringReader(std::unique_ptr<ByteSource> source, std::string column, std::string name);
    ~ParquetStringReader();

    /// The next non-null string of the column; false at the end of the file. `row` receives
    /// its 0-based row index in the file.
    bool next(std::string& out, uint64_t* row = nullptr);
    const ParquetStats& stats() const { return m_stats; }
    int64_t numRows() const { return m_meta.numRows; }
    /// Dotted paths of the file's leaf columns.
    std::vector<std::string> columnNames() const;

private:
    struct Leaf {
        std::string path;
        int32_t type = -1;
        int maxDef = 0;
        int maxRep = 0;
    };
    void readFooter();
    void selectColumn();
    bool loadNextPage();
    bool startRowGroup();
    struct PageData;
    void decodePage(const PageHeader& h, std::vector<uint8_t>& body, uint64_t at);
    void decodeDictionaryPage(const PageHeader& h, const std::vector<uint8_t>& body, uint64_t at);
    void splitPageV1(const PageHeader& h, PageData& d, uint64_t at);
    void splitPageV2(const PageHeader& h, PageData& d, uint64_t at);
    void decodeValues(int32_t encoding, const uint8_t* p, size_t n, size_t count, uint64_t at);
    std::vector<uint8_t> readPageBody(const PageHeader& h, uint64_t bodyAt, bool decompressAll);
    [[noreturn]] void fail(const std::string& what, uint64_t at) const;
    [[noreturn]] void unsupported(const std::string& feature) const;

    std::unique_ptr<ByteSource> m_source;
    std::string m_column;
    std::string m_name;
    FileMeta m_meta;
    std::vector<Leaf> m_leaves;
    size_t m_leaf = 0;
    int32_t m_codec = 0;

    size_t m_rowGroup = 0;
    bool m_inChunk = false;
    uint64_t m_pos = 0;
    uint64_t m_chunkEnd = 0;
    std::vector<std::string> m_dictionary;
    bool m_haveDictionary = false;
    std::vector<std::string> m_values;
    std::vector<uint64_t> m_rows; // row index of each m_values entry
    uint64_t m_rowBase = 0;       // rows of the column before the current page
    size_t m_next = 0;
    ParquetStats m_stats;
};

/// libFuzzer-friendly entry point: reads every string of the first string column of a Parquet
/// file held in memory. Returns the number of strings read, or -1 when the file was refused with
/// an Exception (the expected outcome for malformed input). Anything else escaping is a bug.
long long parseParquetBuffer(const uint8_t* data, size_t size);

} // namespace mistudio::data::parquet
