#include "io/safetensors.h"

#include "mistudio/result.h"

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <torch/version.h>
#include <unistd.h>

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; big-endian hosts need byte swapping");

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define MISTUDIO_TORCH_HAS_FLOAT8 1
#endif

namespace mistudio::io {

struct Mapping {
    int fd = -1;
    void* addr = nullptr;
    size_t size = 0;
    ~Mapping() {
        if (addr != nullptr)
            munmap(addr, size);
        if (fd >= 0)
            close(fd);
    }
};

at::ScalarType toScalarType(DType d) {
    switch (d) {
    case DType::F64: return at::kDouble;
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::I64: return at::kLong;
    case DType::I32: return at::kInt;
    case DType::I16: return at::kShort;
    case DType::I8: return at::kChar;
    case DType::U8: return at::kByte;
    case DType::BOOL: return at::kBool;
#ifdef MISTUDIO_TORCH_HAS_FLOAT8
    case DType::F8_E4M3: return at::kFloat8_e4m3fn;
    case DType::F8_E5M2: return at::kFloat8_e5m2;
#else
    case DType::F8_E4M3:
    case DType::F8_E5M2:
        throw Exception(ErrorCode::Unsupported,
                        std::string("LibTorch ") + TORCH_VERSION + " has no " + dtypeName(d) +
                            " tensor type",
                        {},
                        "Load the tensor converted to a float dtype (load() decodes FP8), read "
                        "its raw bytes with rawView(), or use a build with LibTorch >= 2.1");
#endif
    }
    throw Exception(ErrorCode::Internal, "unhandled safetensors dtype");
}

DType fromScalarType(at::ScalarType s) {
    switch (s) {
    case at::kDouble: return DType::F64;
    case at::kFloat: return DType::F32;
    case at::kHalf: return DType::F16;
    case at::kBFloat16: return DType::BF16;
    case at::kLong: return DType::I64;
    case at::kInt: return DType::I32;
    case at::kShort: return DType::I16;
    case at::kChar: return DType::I8;
    case at::kByte: return DType::U8;
    case at::kBool: return DType::BOOL;
#ifdef MISTUDIO_TORCH_HAS_FLOAT8
    case at::kFloat8_e4m3fn: return DType::F8_E4M3;
    case at::kFloat8_e5m2: return DType::F8_E5M2;
#endif
    default:
        throw Exception(ErrorCode::Unsupported,
                        std::string("safetensors cannot store tensors of type ") + c10::toString(s),
                        {}, "Convert the tensor to a float or integer type first");
    }
}

namespace {

// FP8 decoding tables (OCP FP8 formats as used by safetensors/PyTorch): E4M3 "fn" variant has no
// infinities and a single NaN mantissa pattern; E5M2 is the upper byte of an IEEE half.
at::Tensor fp8Table(DType d) {
    std::vector<float> lut(256);
    for (int b = 0; b < 256; ++b) {
        const float sign = (b & 0x80) ? -1.0f : 1.0f;
        if (d == DType::F8_E5M2) {
            const int e = (b >> 2) & 0x1F, m = b & 0x3;
            if (e == 0x1F)
                lut[b] = m == 0 ? sign * INFINITY : NAN;
            else
                lut[b] = sign *
                         (e == 0 ? std::ldexp(m / 4.0f, -14) : std::ldexp(1.0f + m / 4.0f, e - 15));
        } else {
            const int e = (b >> 3) & 0xF, m = b & 0x7;
            if (e == 0xF && m == 0x7)
                lut[b] = NAN;
            else
                lut[b] =
                    sign * (e == 0 ? std::ldexp(m / 8.0f, -6) : std::ldexp(1.0f + m / 8.0f, e - 7));
        }
    }
    return at::tensor(lut);
}

[[noreturn]] void throwErrno(const std::string& what, const std::string& path) {
    const int err = errno;
    throw Exception(err == ENOENT ? ErrorCode::NotFound : ErrorCode::Io,
                    what + ": " + std::strerror(err), "file " + path,
                    err == ENOENT ? "Check the path" : "Check the file's permissions");
}

std::shared_ptr<Mapping> mapFile(const std::string& path) {
    auto map = std::make_shared<Mapping>();
    map->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (map->fd < 0)
        throwErrno("cannot open safetensors file", path);
    struct stat st {};
    if (fstat(map->fd, &st) != 0)
        throwErrno("cannot stat safetensors file", path);
    if (!S_ISREG(st.st_mode))
        throw Exception(ErrorCode::InvalidArgument, "not a regular file", "file " + path,
                        "Pass a .safetensors file or a model folder");
    map->size = static_cast<size_t>(st.st_size);
    if (map->size < 8)
        return map; // parseHeader reports the short file
    // Private + writable so in-place ops on a view copy pages instead of faulting; NORESERVE so a
    // 30 GB checkpoint does not count against the overcommit limit. Read-only as a fallback.
    map->addr =
        mmap(nullptr, map->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, map->fd, 0);
    if (map->addr == MAP_FAILED)
        map->addr = mmap(nullptr, map->size, PROT_READ, MAP_PRIVATE, map->fd, 0);
    if (map->addr == MAP_FAILED) {
        map->addr = nullptr;
        throwErrno("cannot memory-map safetensors file", path);
    }
    return map;
}

} // namespace

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    auto file = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
    file->m_path = path;
    file->m_map = mapFile(path);
    static const std::byte kEmpty[1] = {};
    const auto* bytes =
        file->m_map->addr ? static_cast<const std::byte*>(file->m_map->addr) : kEmpty;
    file->m_header = parseHeader(bytes, file->m_map->size, file->m_map->size, path);
    for (size_t i = 0; i < file->m_header.tensors.size(); ++i)
        file->m_index[file->m_header.tensors[i].name] = i;
    return file;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_header.tensors[it->second];
}

const TensorInfo& SafetensorsFile::require(const std::string& name) const {
    if (const TensorInfo* t = find(name))
        return *t;
    throw Exception(ErrorCode::NotFound, "no tensor '" + name + "' in safetensors file",
                    "file " + m_path, "Check the tensor name (names are case-sensitive)");
}

const std::byte* SafetensorsFile::data(const TensorInfo& t) const {
    return static_cast<const std::byte*>(m_map->addr) + t.begin;
}

uint64_t SafetensorsFile::fileSize() const {
    return m_map->size;
}

at::Tensor SafetensorsFile::view(const std::string& name) const {
    const TensorInfo& t = require(name);
    const at::ScalarType st = toScalarType(t.dtype);
    void* p = const_cast<std::byte*>(data(t));
    const auto options = at::TensorOptions().dtype(st);
    if (reinterpret_cast<uintptr_t>(p) % dtypeSize(t.dtype) != 0) {
        at::Tensor copy = at::empty(t.shape, options);
        std::memcpy(copy.data_ptr(), p, t.nbytes());
        return copy;
    }
    std::shared_ptr<Mapping> keepAlive = m_map;
    return at::from_blob(
        p, t.shape, [keepAlive](void*) {}, options);
}

at::Tensor SafetensorsFile::rawView(const std::string& name) const {
    const TensorInfo& t = require(name);
    std::shared_ptr<Mapping> keepAlive = m_map;
    return at::from_blob(
        const_cast<std::byte*>(data(t)), {static_cast<int64_t>(t.nbytes())}, [keepAlive](void*) {},
        at::TensorOptions().dtype(at::kByte));
}

at::Tensor SafetensorsFile::load(const std::string& name, at::ScalarType dtype) const {
    const TensorInfo& t = require(name);
    if (t.dtype == DType::F8_E4M3 || t.dtype == DType::F8_E5M2) {
        if (!at::isFloatingType(dtype))
            throw Exception(ErrorCode::Unsupported,
                            std::string(dtypeName(t.dtype)) + " can only be converted to a "
                                                              "floating dtype",
                            "file " + m_path + ", tensor '" + name + "'",
                            "Load it as float32/bfloat16, or read raw bytes with rawView()");
        at::Tensor codes = rawView(name).to(at::kLong);
        return fp8Table(t.dtype).index_select(0, codes).view(t.shape).to(dtype);
    }
    return view(name).to(dtype, /*non_blocking=*/false, /*copy=*/true);
}

void SafetensorsFile::release(const std::string& name) const {
    const TensorInfo& t = require(name);
    if (m_map->addr == nullptr || t.nbytes() == 0)
        return;
    static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const uint64_t first = t.begin / page * page;
    const uint64_t last = std::min<uint64_t>((t.end + page - 1) / page * page, m_map->size);
    // Best effort: failure only means the pages stay resident a little longer.
    madvise(static_cast<char*>(m_map->addr) + first, last - first, MADV_DONTNEED);
    posix_fadvise(m_map->fd, static_cast<off_t>(first), static_cast<off_t>(last - first),
                  POSIX_FADV_DONTNEED);
}

} // namespace mistudio::io
