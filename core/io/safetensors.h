#pragma once
// safetensors reading (mmap, zero-copy views, sharded folders) and streaming writing.
// Internal header: uses ATen. The format layer without LibTorch is io/safetensors_format.h.

#include "io/safetensors_format.h"

#include <ATen/ATen.h>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mistudio::io {

at::ScalarType toScalarType(DType); // throws Unsupported (clear message) for F8_* on LibTorch < 2.1
DType fromScalarType(at::ScalarType); // throws Unsupported for dtypes safetensors cannot store

struct Mapping; // the read-only file mapping, shared with the views made from it

// One .safetensors file, memory-mapped read-only; the header is validated on open.
class SafetensorsFile {
public:
    static std::shared_ptr<SafetensorsFile>
    open(const std::string& path); // throws naming file + tensor
    const std::string& path() const { return m_path; }
    const std::vector<TensorInfo>& tensors() const { return m_header.tensors; } // header order
    const TensorInfo* find(const std::string& name) const;                      // nullptr if absent
    const std::map<std::string, std::string>& metadata() const { return m_header.metadata; }
    const std::byte* data(const TensorInfo&) const;
    /// Zero-copy CPU tensor over the mapping (keeps it alive). Writes to it stay private to the
    /// process (copy-on-write) and are lost after release() of it or of a tensor sharing a page.
    /// Treat views as read-only; clone() to modify. A tensor whose data is not aligned
    /// to its element size (possible in hand-written files) is returned as a copy instead.
    at::Tensor view(const std::string& name) const;
    /// The tensor's raw bytes as a zero-copy U8 tensor (works for every dtype, F8 included).
    at::Tensor rawView(const std::string& name) const;
    /// Owned copy converted to `dtype`. F8_E4M3 / F8_E5M2 are decoded to floating dtypes even on
    /// LibTorch versions without float8 types.
    at::Tensor load(const std::string& name, at::ScalarType dtype) const;
    /// madvise(MADV_DONTNEED) the tensor's pages so they no longer count as process memory.
    void release(const std::string& name) const;
    /// Bytes of the whole file.
    uint64_t fileSize() const;

private:
    SafetensorsFile() = default; // only through open()
    const TensorInfo& require(const std::string& name) const;
    std::string m_path;
    std::shared_ptr<Mapping> m_map;
    ParsedHeader m_header;
    std::map<std::string, size_t> m_index;
};

// A model folder (or a single file): model.safetensors, or sharded via
// model.safetensors.index.json. A folder with only pickle weights (pytorch_model.bin, *.pt,
// *.ckpt, *.pth) is refused with a message saying why (pickle can run code) and what to do.
class SafetensorsModel {
public:
    static SafetensorsModel open(const std::string& pathOrDir);
    bool has(const std::string& name) const;
    const TensorInfo& info(const std::string& name) const; // throws NotFound naming tensor + folder
    std::vector<std::string> names() const;                // sorted
    std::vector<std::string> files() const;                // the .safetensors files used
    at::Tensor view(const std::string& name) const;
    at::Tensor load(const std::string& name, at::ScalarType dtype = at::kFloat) const;
    void release(const std::string& name) const;
    int64_t parameterCount() const; // sum of numel over tensors
    /// The file holding `name` (throws NotFound like info()).
    const SafetensorsFile& fileOf(const std::string& name) const;
    /// The folder (or file) this model was opened from.
    const std::string& location() const { return m_location; }

private:
    std::string m_location;
    std::vector<std::shared_ptr<SafetensorsFile>> m_files;
    std::map<std::string, std::pair<size_t, const TensorInfo*>> m_tensors;
};

// Streaming writer: declare every tensor first (header needs shapes), then write data (each
// tensor's bytes in order, possibly in chunks). Writes PATH.tmp-XXXXXX in the same folder and
// renames on commit(); destruction without commit removes the temp file. Tensors are laid out by
// decreasing element size so every tensor stays aligned to its element size in the file.
class SafetensorsWriter {
public:
    explicit SafetensorsWriter(std::string path, std::map<std::string, std::string> metadata = {});
    ~SafetensorsWriter();
    SafetensorsWriter(const SafetensorsWriter&) = delete;
    SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

    void declare(const std::string& name, DType dtype, std::vector<int64_t> shape);
    /// Adds or replaces a __metadata__ entry; allowed until the first write().
    void setMetadata(const std::string& key, const std::string& value);
    void write(const std::string& name, const void* data, size_t bytes); // chunks allowed
    void write(const std::string& name, const at::Tensor& t); // CPU tensor of the declared dtype
    void commit();

private:
    struct Slot {
        TensorInfo info;
        uint64_t written = 0;
    };
    void finalizeLayout();
    Slot& slot(const std::string& name);

    std::string m_path;
    std::string m_tmpPath;
    std::map<std::string, std::string> m_metadata;
    std::vector<Slot> m_slots;
    std::map<std::string, size_t> m_index;
    int m_fd = -1;
    bool m_laidOut = false;
    bool m_committed = false;
};

// Convenience: writes all tensors (CPU or not, any dtype -> stored as their own dtype) atomically.
void saveTensors(const std::string& path,
                 const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                 const std::map<std::string, std::string>& metadata = {});

} // namespace mistudio::io
