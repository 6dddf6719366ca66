#pragma once
// A minimal Thrift compact-protocol decoder: enough to read Parquet's FileMetaData and page
// headers. Every read is bounds-checked against the buffer and nesting is limited, so a
// malformed file raises a ThriftError instead of reading out of range or recursing unbounded.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mistudio::data::parquet {

/// A decoding failure; the Parquet layer turns it into a user-facing Exception with context.
class ThriftError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class CType : uint8_t {
    Stop = 0,
    BoolTrue = 1,
    BoolFalse = 2,
    Byte = 3,
    I16 = 4,
    I32 = 5,
    I64 = 6,
    Double = 7,
    Binary = 8,
    List = 9,
    Set = 10,
    Map = 11,
    Struct = 12,
};

class CompactReader {
public:
    CompactReader(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}

    /// Reads the next field header of the current struct; false at its STOP byte.
    bool nextField(int16_t& id, CType& type);
    void beginStruct();
    void endStruct();

    bool readBool(CType fieldType); // a bool field carries its value in the type nibble
    int32_t readI32();
    int64_t readI64();
    std::string readString(size_t maxBytes = 1u << 20);
    /// Reads a list header; returns the element count and type.
    uint32_t readListHeader(CType& elemType);
    void skip(CType type);

    size_t position() const { return m_pos; }

private:
    uint8_t byte();
    uint64_t varint();
    void need(size_t n) const;
    void skipElement(CType type);

    const uint8_t* m_data;
    size_t m_size;
    size_t m_pos = 0;
    int m_depth = 0;
    int16_t m_lastField[65] = {};
};

} // namespace mistudio::data::parquet
