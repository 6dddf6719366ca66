#include "io/safetensors_format.h"

#include "mistudio/result.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>

namespace mistudio::io {

namespace {

struct DTypeRow {
    DType dtype;
    const char* name;
    size_t size;
};

constexpr std::array<DTypeRow, 12> kDTypes{{
    {DType::F64, "F64", 8},
    {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8},
    {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},
    {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
    {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E5M2, "F8_E5M2", 1},
}};

const DTypeRow& row(DType d) {
    for (const auto& r : kDTypes)
        if (r.dtype == d)
            return r;
    throw Exception(ErrorCode::Internal, "unknown safetensors dtype enum value");
}

std::string knownNames() {
    std::string out;
    for (const auto& r : kDTypes) {
        out += out.empty() ? "" : " ";
        out += r.name;
    }
    return out;
}

[[noreturn]] void fail(const std::string& what, const std::string& label,
                       const std::string& tensor = {}) {
    std::string where = "file " + label;
    if (!tensor.empty())
        where += ", tensor '" + tensor + "'";
    throw Exception(ErrorCode::InvalidFormat, "invalid safetensors file: " + what, where,
                    "The file is corrupt or not a safetensors file; download or write it again");
}

// Header order matters (tensors() lists it), hence ordered_json.
// Deeply nested JSON is never a valid header; refusing it bounds the parser's work.
constexpr int kMaxJsonDepth = 8;

nlohmann::ordered_json parseJson(const char* begin, const char* end, const std::string& label) {
    auto limitDepth = [](int depth, nlohmann::ordered_json::parse_event_t,
                         nlohmann::ordered_json&) {
        if (depth > kMaxJsonDepth)
            throw std::out_of_range("header JSON nested deeper than expected");
        return true;
    };
    try {
        return nlohmann::ordered_json::parse(begin, end, limitDepth);
    } catch (const std::exception& e) {
        fail(std::string("header is not well-formed JSON: ") + e.what(), label);
    }
}

uint64_t readU64(const nlohmann::ordered_json& v, const char* what, const std::string& label,
                 const std::string& tensor) {
    if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0))
        fail(std::string(what) + " must be a non-negative integer, got " + v.dump(), label, tensor);
    return v.get<uint64_t>();
}

TensorInfo parseTensor(const std::string& name, const nlohmann::ordered_json& entry,
                       uint64_t dataStart, uint64_t dataSize, const std::string& label) {
    if (!entry.is_object())
        fail("tensor entry is not a JSON object", label, name);
    auto dtypeIt = entry.find("dtype");
    auto shapeIt = entry.find("shape");
    auto offIt = entry.find("data_offsets");
    if (dtypeIt == entry.end() || shapeIt == entry.end() || offIt == entry.end())
        fail("tensor entry needs \"dtype\", \"shape\" and \"data_offsets\"", label, name);
    if (!dtypeIt->is_string() || !isKnownDTypeName(dtypeIt->get<std::string>()))
        fail("unknown dtype " + dtypeIt->dump() + " (known: " + knownNames() + ")", label, name);
    TensorInfo info;
    info.name = name;
    info.dtype = dtypeFromName(dtypeIt->get<std::string>());
    if (!shapeIt->is_array())
        fail("\"shape\" must be an array of integers", label, name);
    uint64_t bytes = dtypeSize(info.dtype);
    for (const auto& dim : *shapeIt) {
        uint64_t d = readU64(dim, "shape dimension", label, name);
        if (d > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(bytes, d, &bytes))
            fail("shape " + shapeIt->dump() + " is too large", label, name);
        info.shape.push_back(static_cast<int64_t>(d));
    }
    if (!offIt->is_array() || offIt->size() != 2)
        fail("\"data_offsets\" must be [begin, end]", label, name);
    uint64_t begin = readU64((*offIt)[0], "data_offsets begin", label, name);
    uint64_t end = readU64((*offIt)[1], "data_offsets end", label, name);
    if (begin > end || end > dataSize)
        fail("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                 "] lie outside the data section of " + std::to_string(dataSize) +
                 " bytes (file truncated?)",
             label, name);
    if (end - begin != bytes)
        fail("data_offsets cover " + std::to_string(end - begin) + " bytes but shape " +
                 shapeIt->dump() + " of " + dtypeName(info.dtype) + " needs " +
                 std::to_string(bytes),
             label, name);
    info.begin = dataStart + begin;
    info.end = dataStart + end;
    return info;
}

void checkNoOverlap(std::vector<TensorInfo> tensors, const std::string& label) {
    // Empty tensors own no bytes, so they cannot overlap anything.
    std::erase_if(tensors, [](const TensorInfo& t) { return t.begin == t.end; });
    std::sort(tensors.begin(), tensors.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return a.begin < b.begin; });
    for (size_t i = 1; i < tensors.size(); ++i)
        if (tensors[i].begin < tensors[i - 1].end)
            fail("data of tensor '" + tensors[i].name + "' overlaps tensor '" +
                     tensors[i - 1].name + "'",
                 label, tensors[i].name);
}

std::map<std::string, std::string> parseMetadata(const nlohmann::ordered_json& meta,
                                                 const std::string& label) {
    if (!meta.is_object())
        fail("__metadata__ must be an object of strings", label);
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : meta.items()) {
        if (!v.is_string())
            fail("__metadata__ value for key '" + k + "' is not a string", label);
        out[k] = v.get<std::string>();
    }
    return out;
}

} // namespace

size_t dtypeSize(DType d) {
    return row(d).size;
}
const char* dtypeName(DType d) {
    return row(d).name;
}

bool isKnownDTypeName(const std::string& name) {
    return std::any_of(kDTypes.begin(), kDTypes.end(),
                       [&](const DTypeRow& r) { return name == r.name; });
}

DType dtypeFromName(const std::string& name) {
    for (const auto& r : kDTypes)
        if (name == r.name)
            return r.dtype;
    throw Exception(ErrorCode::InvalidFormat, "unknown safetensors dtype '" + name + "'", {},
                    "Known dtypes: " + knownNames());
}

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

ParsedHeader parseHeader(const std::byte* bytes, size_t size, uint64_t fileSize,
                         const std::string& label) {
    if (size < 8 || fileSize < 8)
        fail("file is " + std::to_string(fileSize) +
                 " bytes, shorter than the 8-byte header length",
             label);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | static_cast<uint8_t>(bytes[i]);
    if (n > kMaxHeaderBytes)
        fail("header length " + std::to_string(n) + " exceeds the 100 MB limit", label);
    if (n > fileSize - 8 || n > size - 8)
        fail("header length " + std::to_string(n) + " goes beyond the end of the file (" +
                 std::to_string(fileSize) + " bytes; file truncated?)",
             label);
    ParsedHeader out;
    out.headerBytes = n;
    out.dataStart = 8 + n;
    const char* json = reinterpret_cast<const char*>(bytes + 8);
    nlohmann::ordered_json header = parseJson(json, json + n, label);
    if (!header.is_object())
        fail("header JSON is not an object", label);
    const uint64_t dataSize = fileSize - out.dataStart;
    for (const auto& [key, value] : header.items()) {
        if (key == "__metadata__")
            out.metadata = parseMetadata(value, label);
        else
            out.tensors.push_back(parseTensor(key, value, out.dataStart, dataSize, label));
    }
    checkNoOverlap(out.tensors, label);
    return out;
}

} // namespace mistudio::io
