#include "data/parquet/thrift_compact.h"

namespace mistudio::data::parquet {

namespace {
constexpr int kMaxDepth = 64;
int64_t unzigzag(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
} // namespace

void CompactReader::need(size_t n) const {
    if (n > m_size - m_pos)
        throw ThriftError("metadata ends early (needs " + std::to_string(n) + " bytes at offset " +
                          std::to_string(m_pos) + " of " + std::to_string(m_size) + ")");
}

uint8_t CompactReader::byte() {
    need(1);
    return m_data[m_pos++];
}

uint64_t CompactReader::varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const uint8_t b = byte();
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    throw ThriftError("varint longer than 10 bytes at offset " + std::to_string(m_pos));
}

void CompactReader::beginStruct() {
    if (++m_depth > kMaxDepth)
        throw ThriftError("metadata nested deeper than " + std::to_string(kMaxDepth) + " levels");
    m_lastField[m_depth] = 0;
}

void CompactReader::endStruct() {
    --m_depth;
}

bool CompactReader::nextField(int16_t& id, CType& type) {
    const uint8_t h = byte();
    if (h == 0)
        return false;
    const uint8_t t = h & 0x0f;
    if (t > static_cast<uint8_t>(CType::Struct))
        throw ThriftError("unknown Thrift type " + std::to_string(t) + " at offset " +
                          std::to_string(m_pos - 1));
    type = static_cast<CType>(t);
    const uint8_t delta = h >> 4;
    id = delta ? static_cast<int16_t>(m_lastField[m_depth] + delta)
               : static_cast<int16_t>(unzigzag(varint()));
    m_lastField[m_depth] = id;
    return true;
}

bool CompactReader::readBool(CType fieldType) {
    if (fieldType == CType::BoolTrue)
        return true;
    if (fieldType == CType::BoolFalse)
        return false;
    return byte() == 1; // list elements carry a byte
}

int32_t CompactReader::readI32() {
    const int64_t v = unzigzag(varint());
    if (v < INT32_MIN || v > INT32_MAX)
        throw ThriftError("i32 out of range at offset " + std::to_string(m_pos));
    return static_cast<int32_t>(v);
}

int64_t CompactReader::readI64() {
    return unzigzag(varint());
}

std::string CompactReader::readString(size_t maxBytes) {
    const uint64_t n = varint();
    if (n > maxBytes)
        throw ThriftError("string of " + std::to_string(n) + " bytes at offset " +
                          std::to_string(m_pos) + " exceeds the limit");
    need(static_cast<size_t>(n));
    std::string s(reinterpret_cast<const char*>(m_data + m_pos), static_cast<size_t>(n));
    m_pos += static_cast<size_t>(n);
    return s;
}

uint32_t CompactReader::readListHeader(CType& elemType) {
    const uint8_t h = byte();
    elemType = static_cast<CType>(h & 0x0f);
    uint64_t n = h >> 4;
    if (n == 15)
        n = varint();
    // Every element takes at least one byte (bools in lists too): a cheap sanity bound.
    if (n > m_size - m_pos)
        throw ThriftError("list of " + std::to_string(n) + " elements cannot fit in the metadata");
    return static_cast<uint32_t>(n);
}

void CompactReader::skipElement(CType type) {
    // Inside lists and maps a bool is a whole byte, not a type nibble.
    if (type == CType::BoolTrue || type == CType::BoolFalse)
        byte();
    else
        skip(type);
}

void CompactReader::skip(CType type) {
    switch (type) {
    case CType::BoolTrue:
    case CType::BoolFalse: return;
    case CType::Byte: byte(); return;
    case CType::I16:
    case CType::I32:
    case CType::I64: varint(); return;
    case CType::Double:
        need(8);
        m_pos += 8;
        return;
    case CType::Binary: {
        const uint64_t n = varint();
        need(n > m_size ? m_size + 1 : static_cast<size_t>(n));
        m_pos += static_cast<size_t>(n);
        return;
    }
    case CType::List:
    case CType::Set: {
        CType elem;
        const uint32_t n = readListHeader(elem);
        if (++m_depth > kMaxDepth)
            throw ThriftError("metadata nested too deeply");
        for (uint32_t i = 0; i < n; ++i)
            skipElement(elem);
        --m_depth;
        return;
    }
    case CType::Map: {
        const uint64_t n = varint();
        if (n == 0)
            return;
        if (n > m_size - m_pos)
            throw ThriftError("map cannot fit in the metadata");
        const uint8_t kv = byte();
        if (++m_depth > kMaxDepth)
            throw ThriftError("metadata nested too deeply");
        for (uint64_t i = 0; i < n; ++i) {
            skipElement(static_cast<CType>(kv >> 4));
            skipElement(static_cast<CType>(kv & 0x0f));
        }
        --m_depth;
        return;
    }
    case CType::Struct: {
        beginStruct();
        int16_t id;
        CType t;
        while (nextField(id, t))
            skip(t);
        endStruct();
        return;
    }
    case CType::Stop: break;
    }
    throw ThriftError("unexpected Thrift type at offset " + std::to_string(m_pos));
}

} // namespace mistudio::data::parquet
