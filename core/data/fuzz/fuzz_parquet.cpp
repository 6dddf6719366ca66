// libFuzzer target for the Parquet reader: any byte buffer must parse or be refused with a
// mistudio::Exception, never crash or read out of bounds. Seed corpus: tests/data/parquet/.
// Build with -DMISTUDIO_BUILD_FUZZERS=ON (clang), run: fuzz_parquet tests/data/parquet
#include "data/parquet/parquet_reader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mistudio::data::parquet::parseParquetBuffer(data, size);
    return 0;
}
