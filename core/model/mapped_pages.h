#pragma once
// Dropping the process's pages of a zero-copy view once they have been read, so that streaming a
// weight out of the file mapping never holds more than a chunk of it (page cache is not process
// memory; the data stays in the file and faults back in if read again).

#include <ATen/ATen.h>
#include <utility>
#include <vector>

namespace mistudio::io {
class SafetensorsModel;
}

namespace mistudio::model {

/// The byte ranges of a model's file mappings (one per .safetensors file).
class MappedRanges {
public:
    explicit MappedRanges(const io::SafetensorsModel& st);
    /// madvise(MADV_DONTNEED) on the pages of t's bytes (widened to whole pages, clamped to the
    /// mapping) when they lie in a mapping; no-op for any other memory (e.g. a fused copy).
    void drop(const at::Tensor& t) const;

private:
    std::vector<std::pair<const char*, const char*>> m_ranges;
};

} // namespace mistudio::model
