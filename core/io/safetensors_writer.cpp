// SafetensorsWriter: streams tensors into PATH.tmp-XXXXXX and renames it on commit().
#include "io/safetensors.h"
#include "mistudio/result.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sys/stat.h>
#include <unistd.h>

namespace mistudio::io {

namespace {

[[noreturn]] void ioError(const std::string& what, const std::string& path) {
    const int err = errno;
    throw Exception(ErrorCode::Io, what + ": " + std::strerror(err), "file " + path,
                    err == ENOSPC ? "Free disk space and try again"
                                  : "Check that the folder exists and is writable");
}

void pwriteAll(int fd, const void* data, size_t bytes, uint64_t offset, const std::string& path) {
    const char* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::pwrite(fd, p, bytes, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            ioError("cannot write safetensors file", path);
        p += n;
        bytes -= static_cast<size_t>(n);
        offset += static_cast<uint64_t>(n);
    }
}

[[noreturn]] void usage(const std::string& what, const std::string& path,
                        const std::string& tensor) {
    throw Exception(ErrorCode::InvalidArgument, what, "file " + path + ", tensor '" + tensor + "'",
                    "Declare every tensor first, then write exactly its declared bytes");
}

} // namespace

SafetensorsWriter::SafetensorsWriter(std::string path, std::map<std::string, std::string> metadata)
    : m_path(std::move(path)), m_metadata(std::move(metadata)) {
    std::string tmpl = m_path + ".tmp-XXXXXX";
    m_fd = mkstemp(tmpl.data());
    if (m_fd < 0)
        ioError("cannot create temporary file", tmpl);
    m_tmpPath = tmpl;
    fchmod(m_fd, 0644); // mkstemp creates 0600; a checkpoint is meant to be shared like any file
}

SafetensorsWriter::~SafetensorsWriter() {
    if (m_fd >= 0)
        ::close(m_fd);
    if (!m_committed && !m_tmpPath.empty())
        ::unlink(m_tmpPath.c_str());
}

void SafetensorsWriter::declare(const std::string& name, DType dtype, std::vector<int64_t> shape) {
    if (m_laidOut)
        usage("declare() after data was written", m_path, name);
    if (name.empty() || name == "__metadata__")
        usage("invalid tensor name", m_path, name);
    if (m_index.count(name))
        usage("tensor declared twice", m_path, name);
    if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; }))
        usage("negative dimension in shape", m_path, name);
    Slot s;
    s.info.name = name;
    s.info.dtype = dtype;
    s.info.shape = std::move(shape);
    m_index[name] = m_slots.size();
    m_slots.push_back(std::move(s));
}

void SafetensorsWriter::setMetadata(const std::string& key, const std::string& value) {
    if (m_laidOut)
        usage("setMetadata() after data was written", m_path, key);
    m_metadata[key] = value;
}

// Lays tensors out by decreasing element size (stable), which keeps every tensor aligned to its
// element size given the 8-byte aligned data section; then writes the header.
void SafetensorsWriter::finalizeLayout() {
    std::vector<size_t> order(m_slots.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return dtypeSize(m_slots[a].info.dtype) > dtypeSize(m_slots[b].info.dtype);
    });
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!m_metadata.empty())
        header["__metadata__"] = m_metadata;
    uint64_t offset = 0;
    for (size_t i : order) {
        TensorInfo& t = m_slots[i].info;
        const uint64_t bytes = static_cast<uint64_t>(t.numel()) * dtypeSize(t.dtype);
        header[t.name] = {
            {"dtype", dtypeName(t.dtype)},
            {"shape", t.shape},
            {"data_offsets", nlohmann::ordered_json::array({offset, offset + bytes})}};
        t.begin = offset;
        t.end = offset + bytes;
        offset += bytes;
    }
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' ');
    unsigned char len[8];
    for (int i = 0; i < 8; ++i)
        len[i] = static_cast<unsigned char>((json.size() >> (8 * i)) & 0xFF);
    pwriteAll(m_fd, len, 8, 0, m_tmpPath);
    pwriteAll(m_fd, json.data(), json.size(), 8, m_tmpPath);
    for (Slot& s : m_slots) { // make offsets absolute
        s.info.begin += 8 + json.size();
        s.info.end += 8 + json.size();
    }
    m_laidOut = true;
}

SafetensorsWriter::Slot& SafetensorsWriter::slot(const std::string& name) {
    auto it = m_index.find(name);
    if (it == m_index.end())
        usage("write() of a tensor that was not declared", m_path, name);
    return m_slots[it->second];
}

void SafetensorsWriter::write(const std::string& name, const void* data, size_t bytes) {
    if (m_committed)
        usage("write() after commit()", m_path, name);
    if (!m_laidOut)
        finalizeLayout();
    Slot& s = slot(name);
    if (s.written + bytes > s.info.nbytes())
        usage("more bytes written than declared (" + std::to_string(s.written + bytes) + " > " +
                  std::to_string(s.info.nbytes()) + ")",
              m_path, name);
    pwriteAll(m_fd, data, bytes, s.info.begin + s.written, m_tmpPath);
    s.written += bytes;
}

void SafetensorsWriter::write(const std::string& name, const at::Tensor& t) {
    const Slot& s = slot(name);
    const bool rawFp8 = (s.info.dtype == DType::F8_E4M3 || s.info.dtype == DType::F8_E5M2) &&
                        t.scalar_type() == at::kByte;
    if (!rawFp8 && fromScalarType(t.scalar_type()) != s.info.dtype)
        usage(std::string("tensor of type ") + c10::toString(t.scalar_type()) +
                  " written to a tensor declared " + dtypeName(s.info.dtype),
              m_path, name);
    at::Tensor c = t.to(at::kCPU).contiguous();
    write(name, c.data_ptr(), c.nbytes());
}

void SafetensorsWriter::commit() {
    if (m_committed)
        return;
    if (!m_laidOut)
        finalizeLayout();
    for (const Slot& s : m_slots)
        if (s.written != s.info.nbytes())
            usage("commit() with " + std::to_string(s.written) + " of " +
                      std::to_string(s.info.nbytes()) + " bytes written",
                  m_path, s.info.name);
    if (::fsync(m_fd) != 0)
        ioError("cannot flush safetensors file", m_tmpPath);
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0)
        ioError("cannot close safetensors file", m_tmpPath);
    if (std::rename(m_tmpPath.c_str(), m_path.c_str()) != 0)
        ioError("cannot rename the temporary file into place", m_path);
    m_committed = true;
}

void saveTensors(const std::string& path,
                 const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                 const std::map<std::string, std::string>& metadata) {
    SafetensorsWriter writer(path, metadata);
    for (const auto& [name, t] : tensors)
        writer.declare(name, fromScalarType(t.scalar_type()), t.sizes().vec());
    for (const auto& [name, t] : tensors)
        writer.write(name, t);
    writer.commit();
}

} // namespace mistudio::io
