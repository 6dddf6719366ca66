#pragma once
// Parquet file metadata (the subset a text reader needs), decoded from the Thrift footer and page
// headers. Field numbers follow parquet-format's parquet.thrift.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mistudio::data::parquet {

enum class PhysicalType : int32_t {
    Boolean = 0,
    Int32 = 1,
    Int64 = 2,
    Int96 = 3,
    Float = 4,
    Double = 5,
    ByteArray = 6,
    FixedLenByteArray = 7
};
enum class Repetition : int32_t { Required = 0, Optional = 1, Repeated = 2 };
enum class Codec : int32_t {
    Uncompressed = 0,
    Snappy = 1,
    Gzip = 2,
    Lzo = 3,
    Brotli = 4,
    Lz4 = 5,
    Zstd = 6,
    Lz4Raw = 7
};
enum class Encoding : int32_t {
    Plain = 0,
    PlainDictionary = 2,
    Rle = 3,
    BitPacked = 4,
    DeltaBinaryPacked = 5,
    DeltaLengthByteArray = 6,
    DeltaByteArray = 7,
    RleDictionary = 8,
    ByteStreamSplit = 9
};
enum class PageType : int32_t { DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3 };

const char* codecName(int32_t codec);
const char* encodingName(int32_t encoding);
const char* physicalTypeName(int32_t type);

struct SchemaElement {
    std::optional<int32_t> type;
    std::optional<int32_t> repetition;
    std::string name;
    int32_t numChildren = 0;
    std::optional<int32_t> convertedType;
};

struct ColumnChunkMeta {
    std::string filePath; // set when the chunk lives in another file (unsupported)
    int32_t type = -1;
    int32_t codec = 0;
    std::vector<std::string> path;
    int64_t numValues = 0;
    int64_t totalCompressedSize = 0;
    int64_t dataPageOffset = -1;
    std::optional<int64_t> dictionaryPageOffset;
};

struct RowGroupMeta {
    std::vector<ColumnChunkMeta> columns;
    int64_t numRows = 0;
};

struct FileMeta {
    int32_t version = 0;
    std::vector<SchemaElement> schema;
    int64_t numRows = 0;
    std::vector<RowGroupMeta> rowGroups;
    std::string createdBy;
};

struct DataPageHeaderV1 {
    int32_t numValues = 0;
    int32_t encoding = 0;
    int32_t definitionLevelEncoding = 3;
    int32_t repetitionLevelEncoding = 3;
};
struct DataPageHeaderV2 {
    int32_t numValues = 0;
    int32_t numNulls = 0;
    int32_t numRows = 0;
    int32_t encoding = 0;
    int32_t definitionLevelsByteLength = 0;
    int32_t repetitionLevelsByteLength = 0;
    bool isCompressed = true;
};
struct DictionaryPageHeader {
    int32_t numValues = 0;
    int32_t encoding = 0;
};

struct PageHeader {
    int32_t type = -1;
    int32_t uncompressedSize = -1;
    int32_t compressedSize = -1;
    std::optional<DataPageHeaderV1> v1;
    std::optional<DataPageHeaderV2> v2;
    std::optional<DictionaryPageHeader> dictionary;
    size_t headerSize = 0; // bytes the Thrift header took
};

/// Decodes FileMetaData from the footer bytes. Throws ThriftError on malformed input.
FileMeta decodeFileMeta(const uint8_t* data, size_t size);
/// Decodes one PageHeader from the start of `data`. Throws ThriftError on malformed input.
PageHeader decodePageHeader(const uint8_t* data, size_t size);

} // namespace mistudio::data::parquet
