#pragma once
// One reader per file format. Each yields raw records (text as found, before UTF-8 repair);
// DocumentReader turns them into Documents and keeps the statistics.

#include "mistudio/dataset.h"

#include <memory>
#include <string>

namespace mistudio::data {

struct RawRecord {
    std::string text;
    uint64_t line = 0; // 1-based line / element / row
    bool isNull = false;
    uint64_t decodedNuls = 0; // NULs already removed (formats that can encode them)
    uint64_t invalidUtf8 = 0; // sequences already repaired (sources that repair before parsing)
};

class RecordSource {
public:
    virtual ~RecordSource() = default;
    /// The next record; false at the end of the file.
    virtual bool next(RawRecord& r) = 0;
    /// Null values the source skipped by itself so far (Parquet).
    virtual uint64_t nullsSkipped() const { return 0; }
};

std::unique_ptr<RecordSource> openTxt(const std::string& path, const DatasetSpec& spec);
std::unique_ptr<RecordSource> openJsonLines(const std::string& path, const DatasetSpec& spec);
std::unique_ptr<RecordSource> openJsonArray(const std::string& path, const DatasetSpec& spec);
std::unique_ptr<RecordSource> openDelimited(const std::string& path, const DatasetSpec& spec,
                                            char delimiter);
std::unique_ptr<RecordSource> openParquet(const std::string& path, const DatasetSpec& spec);

} // namespace mistudio::data
