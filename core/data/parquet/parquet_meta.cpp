#include "data/parquet/parquet_meta.h"

#include "data/parquet/thrift_compact.h"

namespace mistudio::data::parquet {

const char* codecName(int32_t codec) {
    static const char* names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                  "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < 8 ? names[codec] : "unknown codec";
}

const char* encodingName(int32_t encoding) {
    static const char* names[] = {
        "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
        "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return encoding >= 0 && encoding < 10 ? names[encoding] : "unknown encoding";
}

const char* physicalTypeName(int32_t type) {
    static const char* names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                  "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return type >= 0 && type < 8 ? names[type] : "unknown type";
}

namespace {

// Calls fn(id, type) for every field of the struct at the reader's position; fn must consume
// the field's value (or call r.skip(type)).
template <typename Fn> void forEachField(CompactReader& r, Fn&& fn) {
    r.beginStruct();
    int16_t id;
    CType type;
    while (r.nextField(id, type))
        fn(id, type);
    r.endStruct();
}

template <typename Fn> void forEachListItem(CompactReader& r, CType fieldType, Fn&& fn) {
    if (fieldType != CType::List) {
        r.skip(fieldType);
        return;
    }
    CType elem;
    const uint32_t n = r.readListHeader(elem);
    for (uint32_t i = 0; i < n; ++i)
        fn(elem);
}

int32_t i32(CompactReader& r, CType t) {
    if (t != CType::I32 && t != CType::I16 && t != CType::Byte)
        throw ThriftError("expected an integer field");
    return r.readI32();
}
int64_t i64(CompactReader& r, CType t) {
    if (t != CType::I64 && t != CType::I32)
        throw ThriftError("expected an i64 field");
    return r.readI64();
}
void expect(CType actual, CType wanted) {
    if (actual != wanted)
        throw ThriftError("a metadata field has an unexpected Thrift type");
}

SchemaElement decodeSchemaElement(CompactReader& r) {
    SchemaElement e;
    forEachField(r, [&](int16_t id, CType t) {
        switch (id) {
        case 1: e.type = i32(r, t); break;
        case 3: e.repetition = i32(r, t); break;
        case 4:
            expect(t, CType::Binary);
            e.name = r.readString();
            break;
        case 5: e.numChildren = i32(r, t); break;
        case 6: e.convertedType = i32(r, t); break;
        default: r.skip(t);
        }
    });
    return e;
}

void decodeColumnMeta(CompactReader& r, ColumnChunkMeta& c) {
    forEachField(r, [&](int16_t id, CType t) {
        switch (id) {
        case 1: c.type = i32(r, t); break;
        case 3:
            forEachListItem(r, t, [&](CType e) {
                expect(e, CType::Binary);
                c.path.push_back(r.readString());
            });
            break;
        case 4: c.codec = i32(r, t); break;
        case 5: c.numValues = i64(r, t); break;
        case 7: c.totalCompressedSize = i64(r, t); break;
        case 9: c.dataPageOffset = i64(r, t); break;
        case 11: c.dictionaryPageOffset = i64(r, t); break;
        default: r.skip(t);
        }
    });
}

ColumnChunkMeta decodeColumnChunk(CompactReader& r) {
    ColumnChunkMeta c;
    forEachField(r, [&](int16_t id, CType t) {
        if (id == 1 && t == CType::Binary)
            c.filePath = r.readString();
        else if (id == 3 && t == CType::Struct)
            decodeColumnMeta(r, c);
        else
            r.skip(t);
    });
    return c;
}

RowGroupMeta decodeRowGroup(CompactReader& r) {
    RowGroupMeta g;
    forEachField(r, [&](int16_t id, CType t) {
        if (id == 1)
            forEachListItem(r, t, [&](CType e) {
                expect(e, CType::Struct);
                g.columns.push_back(decodeColumnChunk(r));
            });
        else if (id == 3)
            g.numRows = i64(r, t);
        else
            r.skip(t);
    });
    return g;
}

} // namespace

FileMeta decodeFileMeta(const uint8_t* data, size_t size) {
    CompactReader r(data, size);
    FileMeta m;
    forEachField(r, [&](int16_t id, CType t) {
        switch (id) {
        case 1: m.version = i32(r, t); break;
        case 2:
            forEachListItem(r, t, [&](CType e) {
                expect(e, CType::Struct);
                m.schema.push_back(decodeSchemaElement(r));
            });
            break;
        case 3: m.numRows = i64(r, t); break;
        case 4:
            forEachListItem(r, t, [&](CType e) {
                expect(e, CType::Struct);
                m.rowGroups.push_back(decodeRowGroup(r));
            });
            break;
        case 6:
            expect(t, CType::Binary);
            m.createdBy = r.readString();
            break;
        default: r.skip(t);
        }
    });
    return m;
}

PageHeader decodePageHeader(const uint8_t* data, size_t size) {
    CompactReader r(data, size);
    PageHeader h;
    forEachField(r, [&](int16_t id, CType t) {
        switch (id) {
        case 1: h.type = i32(r, t); break;
        case 2: h.uncompressedSize = i32(r, t); break;
        case 3: h.compressedSize = i32(r, t); break;
        case 5:
            expect(t, CType::Struct);
            h.v1.emplace();
            forEachField(r, [&](int16_t f, CType ft) {
                switch (f) {
                case 1: h.v1->numValues = i32(r, ft); break;
                case 2: h.v1->encoding = i32(r, ft); break;
                case 3: h.v1->definitionLevelEncoding = i32(r, ft); break;
                case 4: h.v1->repetitionLevelEncoding = i32(r, ft); break;
                default: r.skip(ft);
                }
            });
            break;
        case 7:
            expect(t, CType::Struct);
            h.dictionary.emplace();
            forEachField(r, [&](int16_t f, CType ft) {
                if (f == 1)
                    h.dictionary->numValues = i32(r, ft);
                else if (f == 2)
                    h.dictionary->encoding = i32(r, ft);
                else
                    r.skip(ft);
            });
            break;
        case 8:
            expect(t, CType::Struct);
            h.v2.emplace();
            forEachField(r, [&](int16_t f, CType ft) {
                switch (f) {
                case 1: h.v2->numValues = i32(r, ft); break;
                case 2: h.v2->numNulls = i32(r, ft); break;
                case 3: h.v2->numRows = i32(r, ft); break;
                case 4: h.v2->encoding = i32(r, ft); break;
                case 5: h.v2->definitionLevelsByteLength = i32(r, ft); break;
                case 6: h.v2->repetitionLevelsByteLength = i32(r, ft); break;
                case 7: h.v2->isCompressed = r.readBool(ft); break;
                default: r.skip(ft);
                }
            });
            break;
        default: r.skip(t);
        }
    });
    h.headerSize = r.position();
    return h;
}

} // namespace mistudio::data::parquet
