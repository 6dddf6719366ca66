// Page decoding for ParquetStringReader: definition levels, PLAIN and dictionary values.
#include "data/parquet/codec.h"
#include "data/parquet/parquet_reader.h"
#include "mistudio/result.h"

#include <algorithm>
#include <cstring>

namespace mistudio::data::parquet {

struct ParquetStringReader::PageData {
    const uint8_t* p = nullptr; // the values section
    size_t n = 0;
    size_t numValues = 0; // values in the page, nulls included
    int32_t encoding = 0;
    std::vector<uint32_t> levels; // definition levels (optional columns)
    std::vector<uint8_t> inflated;
};

namespace {

constexpr size_t kMaxPageValues = 1u << 26;

int bitWidthFor(int maxLevel) {
    int w = 0;
    while ((1 << w) <= maxLevel)
        ++w;
    return w;
}

struct HybridError {
    std::string what;
};

uint32_t readVarint(const uint8_t*& p, const uint8_t* end) {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (p >= end)
            throw HybridError{"run header past the end of the data"};
        const uint8_t b = *p++;
        v |= static_cast<uint32_t>(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    throw HybridError{"run header varint too long"};
}

// Decodes `count` values of the RLE/bit-packed hybrid encoding (levels, dictionary indices).
void decodeHybrid(const uint8_t* p, size_t n, int bitWidth, size_t count,
                  std::vector<uint32_t>& out) {
    out.clear();
    if (bitWidth < 0 || bitWidth > 32)
        throw HybridError{"bit width " + std::to_string(bitWidth) + " out of range"};
    out.reserve(count);
    const uint8_t* end = p + n;
    const size_t valueBytes = static_cast<size_t>((bitWidth + 7) / 8);
    while (out.size() < count) {
        const uint32_t header = readVarint(p, end);
        if ((header & 1) == 0) { // RLE run: one value repeated
            const size_t run = header >> 1;
            if (valueBytes > static_cast<size_t>(end - p))
                throw HybridError{"RLE run past the end of the data"};
            uint32_t v = 0;
            for (size_t b = 0; b < valueBytes; ++b)
                v |= static_cast<uint32_t>(p[b]) << (8 * b);
            p += valueBytes;
            if (run == 0)
                throw HybridError{"empty RLE run"};
            out.insert(out.end(), std::min(run, count - out.size()), v);
        } else { // bit-packed groups of 8 values, LSB first
            const size_t groups = header >> 1;
            const size_t bytes = groups * static_cast<size_t>(bitWidth);
            if (bytes > static_cast<size_t>(end - p))
                throw HybridError{"bit-packed run past the end of the data"};
            const uint64_t mask = bitWidth == 32 ? 0xffffffffull : (1ull << bitWidth) - 1;
            for (size_t i = 0; i < groups * 8 && out.size() < count; ++i) {
                const size_t bit = i * static_cast<size_t>(bitWidth);
                uint64_t word = 0;
                for (size_t b = 0; b < 5 && bit / 8 + b < bytes; ++b)
                    word |= static_cast<uint64_t>(p[bit / 8 + b]) << (8 * b);
                out.push_back(static_cast<uint32_t>((word >> (bit % 8)) & mask));
            }
            p += bytes;
        }
    }
}

} // namespace

void ParquetStringReader::decodeDictionaryPage(const PageHeader& h,
                                               const std::vector<uint8_t>& body, uint64_t at) {
    if (!h.dictionary)
        fail("dictionary page without its header", at);
    const int32_t e = h.dictionary->encoding;
    if (e != static_cast<int32_t>(Encoding::Plain) &&
        e != static_cast<int32_t>(Encoding::PlainDictionary))
        unsupported(std::string(encodingName(e)) + " dictionary page encoding");
    if (h.dictionary->numValues < 0 ||
        static_cast<size_t>(h.dictionary->numValues) > body.size() / 4)
        fail("dictionary page declares more values than it holds", at);
    m_values.clear();
    decodeValues(static_cast<int32_t>(Encoding::Plain), body.data(), body.size(),
                 static_cast<size_t>(h.dictionary->numValues), at);
    m_dictionary = std::move(m_values);
    m_values.clear();
    m_haveDictionary = true;
    ++m_stats.dictionaryPages;
}

// v1: [4-byte length + RLE definition levels] then values, all compressed together (the body
// arrives decompressed).
void ParquetStringReader::splitPageV1(const PageHeader& h, PageData& d, uint64_t at) {
    if (!h.v1 || h.v1->numValues < 0)
        fail("data page without a valid header", at);
    d.numValues = static_cast<size_t>(h.v1->numValues);
    d.encoding = h.v1->encoding;
    const int maxDef = m_leaves[m_leaf].maxDef;
    if (maxDef > 0) {
        if (h.v1->definitionLevelEncoding != static_cast<int32_t>(Encoding::Rle))
            unsupported(std::string(encodingName(h.v1->definitionLevelEncoding)) +
                        " definition levels");
        uint32_t len = 0;
        if (d.n < 4)
            fail("data page too short for its definition levels", at);
        std::memcpy(&len, d.p, 4);
        if (len > d.n - 4)
            fail("definition levels run past the page", at);
        if (d.numValues <= kMaxPageValues)
            decodeHybrid(d.p + 4, len, bitWidthFor(maxDef), d.numValues, d.levels);
        d.p += 4 + len;
        d.n -= 4 + len;
    }
    ++m_stats.dataPagesV1;
}

// v2: repetition and definition levels stay uncompressed in front; only the values section
// is compressed (when is_compressed).
void ParquetStringReader::splitPageV2(const PageHeader& h, PageData& d, uint64_t at) {
    if (!h.v2)
        fail("data page v2 without its header", at);
    const auto& v2 = *h.v2;
    if (v2.numValues < 0 || v2.definitionLevelsByteLength < 0 ||
        v2.repetitionLevelsByteLength < 0 ||
        static_cast<uint64_t>(v2.definitionLevelsByteLength) +
                static_cast<uint64_t>(v2.repetitionLevelsByteLength) >
            std::min<uint64_t>(d.n, static_cast<uint64_t>(h.uncompressedSize)))
        fail("data page v2 level lengths exceed the page", at);
    d.numValues = static_cast<size_t>(v2.numValues);
    d.encoding = v2.encoding;
    const size_t levelBytes = static_cast<size_t>(v2.definitionLevelsByteLength) +
                              static_cast<size_t>(v2.repetitionLevelsByteLength);
    const int maxDef = m_leaves[m_leaf].maxDef;
    if (maxDef > 0 && d.numValues <= kMaxPageValues)
        decodeHybrid(d.p + v2.repetitionLevelsByteLength,
                     static_cast<size_t>(v2.definitionLevelsByteLength), bitWidthFor(maxDef),
                     d.numValues, d.levels);
    if (v2.isCompressed && m_codec != 0) {
        try {
            d.inflated = decompress(m_codec, d.p + levelBytes, d.n - levelBytes,
                                    static_cast<size_t>(h.uncompressedSize) - levelBytes);
        } catch (const UnsupportedCodec& u) {
            unsupported(std::string(codecName(u.codec)) + " compression");
        } catch (const std::runtime_error& e) {
            fail(std::string("cannot decompress page: ") + e.what(), at);
        }
        d.p = d.inflated.data();
        d.n = d.inflated.size();
    } else {
        d.p += levelBytes;
        d.n -= levelBytes;
    }
    ++m_stats.dataPagesV2;
}

void ParquetStringReader::decodePage(const PageHeader& h, std::vector<uint8_t>& body, uint64_t at) {
    try {
        if (h.type == static_cast<int32_t>(PageType::DictionaryPage))
            return decodeDictionaryPage(h, body, at);
        PageData d;
        d.p = body.data();
        d.n = body.size();
        if (h.type == static_cast<int32_t>(PageType::DataPage))
            splitPageV1(h, d, at);
        else if (h.type == static_cast<int32_t>(PageType::DataPageV2))
            splitPageV2(h, d, at);
        else
            return; // unknown page types are skipped, as the format allows
        // Levels can encode millions of nulls in a few bytes: bound what a page may expand to.
        if (d.numValues > kMaxPageValues)
            fail("page declares " + std::to_string(d.numValues) + " values (limit " +
                     std::to_string(kMaxPageValues) + ")",
                 at);
        const auto maxDef = static_cast<uint32_t>(m_leaves[m_leaf].maxDef);
        size_t nonNull = d.numValues;
        if (maxDef > 0) {
            nonNull = static_cast<size_t>(std::count(d.levels.begin(), d.levels.end(), maxDef));
            m_stats.nulls += d.numValues - nonNull;
        }
        decodeValues(d.encoding, d.p, d.n, nonNull, at);
        for (size_t i = 0; i < d.numValues; ++i) // no repetition: one value per row
            if (maxDef == 0 || d.levels[i] == maxDef)
                m_rows.push_back(m_rowBase + i);
        m_rowBase += d.numValues;
    } catch (const HybridError& e) {
        fail("corrupt RLE/bit-packed data: " + e.what, at);
    }
}

void ParquetStringReader::decodeValues(int32_t encoding, const uint8_t* p, size_t n, size_t count,
                                       uint64_t at) {
    if (encoding == static_cast<int32_t>(Encoding::Plain)) {
        if (count > n / 4)
            fail("page declares more strings than it can hold", at);
        m_values.reserve(m_values.size() + count);
        for (size_t i = 0; i < count; ++i) {
            uint32_t len = 0;
            if (n < 4)
                fail("string length past the end of the page", at);
            std::memcpy(&len, p, 4);
            if (len > n - 4)
                fail("string of " + std::to_string(len) + " bytes runs past the page", at);
            m_values.emplace_back(reinterpret_cast<const char*>(p + 4), len);
            p += 4 + len;
            n -= 4 + len;
        }
        return;
    }
    if (encoding == static_cast<int32_t>(Encoding::RleDictionary) ||
        encoding == static_cast<int32_t>(Encoding::PlainDictionary)) {
        if (!m_haveDictionary)
            fail("dictionary-encoded page without a dictionary page", at);
        if (count == 0)
            return;
        if (n < 1)
            fail("dictionary-encoded page without its bit width", at);
        std::vector<uint32_t> idx;
        decodeHybrid(p + 1, n - 1, p[0], count, idx);
        m_values.reserve(m_values.size() + count);
        for (uint32_t i : idx) {
            if (i >= m_dictionary.size())
                fail("dictionary index " + std::to_string(i) + " out of range (" +
                         std::to_string(m_dictionary.size()) + " entries)",
                     at);
            m_values.push_back(m_dictionary[i]);
        }
        return;
    }
    unsupported(std::string(encodingName(encoding)) + " encoding");
}

} // namespace mistudio::data::parquet
