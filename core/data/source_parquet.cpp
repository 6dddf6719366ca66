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
        if (!m_reader.next(r.text))
            return false;
        r.line = m_reader.stats().values + m_reader.stats().nulls;
        r.decodedNuls = removeNuls(r.text);
        return true;
    }
    // Parquet nulls are skipped inside the reader; reported like JSON nulls.
    uint64_t nullsSkipped() const override { return m_reader.stats().nulls; }

private:
    parquet::ParquetStringReader m_reader;
};

} // namespace

std::unique_ptr<RecordSource> openParquet(const std::string& path, const DatasetSpec& spec) {
    return std::make_unique<ParquetSource>(path, spec);
}

} // namespace mistudio::data
