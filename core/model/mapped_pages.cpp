#include "model/mapped_pages.h"

#include "io/safetensors.h"

#include <algorithm>
#include <fcntl.h>
#include <map>
#include <sys/mman.h>
#include <unistd.h>

namespace mistudio::model {

MappedRanges::MappedRanges(const io::SafetensorsModel& st) {
    // rawView() is zero-copy for every tensor: its pointer is an address inside the mapping.
    std::map<const io::SafetensorsFile*, Range> perFile;
    for (const std::string& name : st.names()) {
        const io::SafetensorsFile& file = st.fileOf(name);
        const at::Tensor raw = file.rawView(name);
        const char* begin = static_cast<const char*>(raw.data_ptr());
        const char* end = begin + raw.nbytes();
        const io::TensorInfo* info = file.find(name);
        auto [it, fresh] = perFile.try_emplace(&file, Range{begin, end, nullptr, -1});
        if (!fresh) {
            it->second.begin = std::min(it->second.begin, begin);
            it->second.end = std::max(it->second.end, end);
        }
        if (info != nullptr)
            it->second.base = begin - info->begin; // info->begin: file offset of the bytes
    }
    for (auto& [file, range] : perFile) {
        range.fd = ::open(file->path().c_str(), O_RDONLY | O_CLOEXEC); // -1: read() falls back
        m_ranges.push_back(range);
    }
}

MappedRanges::~MappedRanges() {
    for (const Range& r : m_ranges)
        if (r.fd >= 0)
            ::close(r.fd);
}

const MappedRanges::Range* MappedRanges::find(const at::Tensor& t) const {
    if (!t.defined() || !t.device().is_cpu() || t.nbytes() == 0)
        return nullptr;
    const char* p = static_cast<const char*>(t.data_ptr());
    const char* e = p + t.nbytes();
    for (const Range& r : m_ranges)
        if (p >= r.begin && e <= r.end)
            return &r;
    return nullptr;
}

at::Tensor MappedRanges::read(const at::Tensor& t, at::Tensor& buffer) const {
    const Range* r = find(t);
    if (r == nullptr || r->fd < 0 || r->base == nullptr || !t.is_contiguous())
        return t;
    const size_t bytes = t.nbytes();
    if (!buffer.defined() || buffer.nbytes() < bytes)
        buffer = at::empty({static_cast<int64_t>(bytes)}, at::kByte);
    auto* out = static_cast<char*>(buffer.data_ptr());
    const off_t start = static_cast<const char*>(t.data_ptr()) - r->base; // file offset
    for (size_t done = 0; done < bytes;) {
        const ssize_t n = ::pread(r->fd, out + done, bytes - done, start + off_t(done));
        if (n <= 0)
            return t; // best effort: the mapping still has the bytes
        done += static_cast<size_t>(n);
    }
    // Drop the chunk's page cache behind us: the file is read once, streaming.
    posix_fadvise(r->fd, start, static_cast<off_t>(bytes), POSIX_FADV_DONTNEED);
    return buffer.narrow(0, 0, static_cast<int64_t>(bytes)).view(t.scalar_type()).view(t.sizes());
}

void MappedRanges::drop(const at::Tensor& t) const {
    const Range* r = find(t);
    if (r == nullptr)
        return;
    const char* p = static_cast<const char*>(t.data_ptr());
    const char* e = p + t.nbytes();
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    // Whole pages: a page shared with a neighbouring tensor is file data too, only re-read.
    const uintptr_t lo = std::max(reinterpret_cast<uintptr_t>(p) / page * page,
                                  (reinterpret_cast<uintptr_t>(r->begin) + page - 1) / page * page);
    const uintptr_t hi = std::min((reinterpret_cast<uintptr_t>(e) + page - 1) / page * page,
                                  reinterpret_cast<uintptr_t>(r->end) / page * page);
    if (hi > lo) // best effort: failure only keeps the pages resident a little longer
        madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

} // namespace mistudio::model
