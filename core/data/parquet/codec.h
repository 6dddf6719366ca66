#pragma once
// Page decompression for the codecs Hugging Face datasets use (SNAPPY, ZSTD, GZIP). The output
// size is known from the page header and enforced: a page that inflates to another size is
// malformed, and nothing is allocated beyond what the header declared (bounded by the caller).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mistudio::data::parquet {

/// Decompresses `src` with `codec` (parquet.thrift CompressionCodec) into exactly `outSize`
/// bytes. Throws std::runtime_error with a short reason on corrupt data, and
/// UnsupportedCodec for codecs not handled here.
std::vector<uint8_t> decompress(int32_t codec, const uint8_t* src, size_t srcSize, size_t outSize);

struct UnsupportedCodec {
    int32_t codec;
};

} // namespace mistudio::data::parquet
