#include "data/parquet/codec.h"

#include "data/parquet/parquet_meta.h"

#include <snappy-c.h>
#include <stdexcept>
#include <zlib.h>
#include <zstd.h>

namespace mistudio::data::parquet {

namespace {

std::vector<uint8_t> snappy(const uint8_t* src, size_t srcSize, size_t outSize) {
    size_t declared = 0;
    const char* in = reinterpret_cast<const char*>(src);
    if (snappy_uncompressed_length(in, srcSize, &declared) != SNAPPY_OK || declared != outSize)
        throw std::runtime_error("SNAPPY data declares another size than the page header");
    std::vector<uint8_t> out(outSize);
    size_t n = outSize;
    if (snappy_uncompress(in, srcSize, reinterpret_cast<char*>(out.data()), &n) != SNAPPY_OK ||
        n != outSize)
        throw std::runtime_error("corrupt SNAPPY data");
    return out;
}

std::vector<uint8_t> zstd(const uint8_t* src, size_t srcSize, size_t outSize) {
    std::vector<uint8_t> out(outSize);
    const size_t n = ZSTD_decompress(out.data(), outSize, src, srcSize);
    if (ZSTD_isError(n))
        throw std::runtime_error(std::string("corrupt ZSTD data: ") + ZSTD_getErrorName(n));
    if (n != outSize)
        throw std::runtime_error("ZSTD data inflates to another size than the page header");
    return out;
}

// GZIP pages may hold several concatenated gzip members; inflate until the output is full.
std::vector<uint8_t> gzip(const uint8_t* src, size_t srcSize, size_t outSize) {
    std::vector<uint8_t> out(outSize);
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 32) != Z_OK) // 32: accept gzip or zlib headers
        throw std::runtime_error("zlib could not start");
    zs.next_in = const_cast<Bytef*>(src);
    zs.avail_in = static_cast<uInt>(srcSize);
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(outSize);
    int rc = Z_OK;
    while (zs.avail_out > 0) {
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END && zs.avail_in > 0 && zs.avail_out > 0) {
            inflateReset(&zs);
            continue;
        }
        if (rc != Z_OK)
            break;
    }
    const size_t produced = outSize - zs.avail_out;
    inflateEnd(&zs);
    if ((rc != Z_OK && rc != Z_STREAM_END) || produced != outSize)
        throw std::runtime_error("corrupt GZIP data (inflated " + std::to_string(produced) +
                                 " of " + std::to_string(outSize) + " bytes)");
    return out;
}

} // namespace

std::vector<uint8_t> decompress(int32_t codec, const uint8_t* src, size_t srcSize, size_t outSize) {
    if (srcSize > UINT32_MAX || outSize > UINT32_MAX)
        throw std::runtime_error("page larger than 4 GiB");
    switch (static_cast<Codec>(codec)) {
    case Codec::Uncompressed:
        if (srcSize != outSize)
            throw std::runtime_error("uncompressed page sizes disagree");
        return std::vector<uint8_t>(src, src + srcSize);
    case Codec::Snappy: return snappy(src, srcSize, outSize);
    case Codec::Zstd: return zstd(src, srcSize, outSize);
    case Codec::Gzip: return gzip(src, srcSize, outSize);
    default: throw UnsupportedCodec{codec};
    }
}

} // namespace mistudio::data::parquet
