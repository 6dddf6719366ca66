#include "model/mapped_pages.h"

#include "io/safetensors.h"

#include <algorithm>
#include <map>
#include <sys/mman.h>
#include <unistd.h>

namespace mistudio::model {

MappedRanges::MappedRanges(const io::SafetensorsModel& st) {
    // rawView() is zero-copy for every tensor: its pointer is an address inside the mapping.
    std::map<const io::SafetensorsFile*, std::pair<const char*, const char*>> perFile;
    for (const std::string& name : st.names()) {
        const io::SafetensorsFile& file = st.fileOf(name);
        const at::Tensor raw = file.rawView(name);
        const char* begin = static_cast<const char*>(raw.data_ptr());
        const char* end = begin + raw.nbytes();
        auto [it, fresh] = perFile.try_emplace(&file, begin, end);
        if (!fresh)
            it->second = {std::min(it->second.first, begin), std::max(it->second.second, end)};
    }
    for (const auto& [file, range] : perFile)
        m_ranges.push_back(range);
}

void MappedRanges::drop(const at::Tensor& t) const {
    if (!t.defined() || !t.device().is_cpu() || t.nbytes() == 0)
        return;
    const char* p = static_cast<const char*>(t.data_ptr());
    const char* e = p + t.nbytes();
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    for (const auto& [begin, end] : m_ranges) {
        if (p < begin || e > end)
            continue;
        // Whole pages: a page shared with a neighbouring tensor is file data too, only re-read.
        const uintptr_t lo =
            std::max(reinterpret_cast<uintptr_t>(p) / page * page,
                     (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page);
        const uintptr_t hi = std::min((reinterpret_cast<uintptr_t>(e) + page - 1) / page * page,
                                      reinterpret_cast<uintptr_t>(end) / page * page);
        if (hi > lo) // best effort: failure only keeps the pages resident a little longer
            madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
        return;
    }
}

} // namespace mistudio::model
