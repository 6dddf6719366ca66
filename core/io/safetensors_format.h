#pragma once
// The safetensors container format without LibTorch: dtypes, tensor records and the header
// parser/validator. Kept torch-free so the libFuzzer target (tests/fuzz) can build it alone.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
// ({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}),
// then the data section; data_offsets are relative to the data section (byte 8 + N).

#include "mistudio/result.h" // the Exception type every function here throws

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mistudio::io {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, F8_E4M3, F8_E5M2 };

size_t dtypeSize(DType);
const char* dtypeName(DType);            // "F32", "BF16", ... as in the safetensors header
DType dtypeFromName(const std::string&); // throws InvalidFormat for unknown
/// Whether `name` is a dtype this reader knows (no throw).
bool isKnownDTypeName(const std::string& name);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0; // absolute byte offsets in the file
    int64_t numel() const;
    uint64_t nbytes() const { return end - begin; }
};

/// Largest header the reader accepts (the reference implementation's limit).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct ParsedHeader {
    uint64_t headerBytes = 0;        // N, the JSON length
    uint64_t dataStart = 0;          // 8 + N: absolute offset of the data section
    std::vector<TensorInfo> tensors; // in header order
    std::map<std::string, std::string> metadata;
};

/// Parses and validates a safetensors header from the first `size` bytes of a file of
/// `fileSize` bytes (size >= 8 + N is needed; pass the whole mapping when there is one).
/// Checks: header length <= kMaxHeaderBytes and within the file, well-formed JSON object,
/// string-to-string __metadata__, known dtypes, non-negative shapes whose byte count does not
/// overflow, data_offsets inside the data section with end - begin == numel * dtype size, and no
/// two non-empty tensors overlapping. Throws mistudio::Exception (InvalidFormat) naming `label`
/// (the file) and the tensor. Never reads past `size`.
ParsedHeader parseHeader(const std::byte* bytes, size_t size, uint64_t fileSize,
                         const std::string& label);

} // namespace mistudio::io
