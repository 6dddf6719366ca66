#include "data/line_reader.h"
#include "data/parquet/parquet_reader.h"
#include "data/sources.h"
#include "data/text_util.h"

namespace mistudio::data {

namespace {

class ParquetSource : public RecordSource {
public:
    ParquetSource(const std::string& path, const DatasetSpec& spec)
        : m_reader(parquet::openFileSource(path), spec.textField, displayName(path)) {}
    bool next(RawRecord& r) override {
        r = RawRecord{};
        uint64_t row = 0;
        if (!m_reader.next(r.text, &row)) {
            m_done = true;
            return false;
        }
        r.line = row + 1;
        m_rowsPassed = row + 1;
        r.decodedNuls = removeNuls(r.text);
        return true;
    }
    // Parquet nulls are skipped inside the reader; reported like JSON nulls.
    // Counted up to the row returned last (the reader decodes whole pages ahead).
    uint64_t nullsSkipped() const override {
        return m_done ? m_reader.stats().nulls : m_rowsPassed - m_reader.stats().values;
    }

private:
    parquet::ParquetStringReader m_reader;
    uint64_t m_rowsPassed = 0;
    bool m_done = false;
};

} // namespace

std::unique_ptr<RecordSource> openParquet(const std::string& path, const DatasetSpec& spec) {
    return std::make_unique<ParquetSource>(path, spec);
}

} // namespace mistudio::data
