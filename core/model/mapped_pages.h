#pragma once
// Dropping the process's pages of a zero-copy view once they have been read, so that streaming a
// weight out of the file mapping never holds more than a chunk of it (page cache is not process
// memory; the data stays in the file and faults back in if read again).

#include <ATen/ATen.h>
#include <vector>

namespace mistudio::io {
class SafetensorsModel;
}

namespace mistudio::model {

/// The byte ranges of a model's file mappings (one per .safetensors file).
class MappedRanges {
public:
    explicit MappedRanges(const io::SafetensorsModel& st);
    ~MappedRanges();
    MappedRanges(const MappedRanges&) = delete;
    MappedRanges& operator=(const MappedRanges&) = delete;

    /// madvise(MADV_DONTNEED) on the pages of t's bytes (widened to whole pages, clamped to the
    /// mapping) when they lie in a mapping; no-op for any other memory (e.g. a fused copy).
    void drop(const at::Tensor& t) const;
    /// The values of `t` read from the file with pread into `buffer` (grown as needed, reused),
    /// as a tensor of t's shape and dtype over it: the mapping's pages are never faulted in, so
    /// whatever the kernel's readahead or fault-around does, none of them is process memory.
    /// `t` itself when it is not a contiguous view into a mapping. Valid until the next call.
    at::Tensor read(const at::Tensor& t, at::Tensor& buffer) const;

private:
    struct Range {
        const char* begin = nullptr; // first tensor byte in the mapping
        const char* end = nullptr;   // one past the last
        const char* base = nullptr;  // the mapping's address of file offset 0
        int fd = -1;                 // our own descriptor for pread
    };
    const Range* find(const at::Tensor& t) const;
    std::vector<Range> m_ranges;
};

} // namespace mistudio::model
