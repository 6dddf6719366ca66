// libFuzzer target for the safetensors header parser: the input is a whole file. The parser must
// either throw mistudio::Exception or return tensors that lie inside the buffer without overlap;
// anything else (crash, sanitizer report, another exception type, broken invariant) is a bug.
#include "io/safetensors_format.h"
#include "mistudio/result.h"

#include <algorithm>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mistudio::io;
    ParsedHeader h;
    try {
        h = parseHeader(reinterpret_cast<const std::byte*>(data), size, size, "fuzz-input");
    } catch (const mistudio::Exception&) {
        return 0;
    }
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const TensorInfo& t : h.tensors) {
        if (t.begin < h.dataStart || t.end < t.begin || t.end > size)
            std::abort();
        if (t.end - t.begin != static_cast<uint64_t>(t.numel()) * dtypeSize(t.dtype))
            std::abort();
        if (t.end > t.begin)
            ranges.emplace_back(t.begin, t.end);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].first < ranges[i - 1].second)
            std::abort();
    return 0;
}
