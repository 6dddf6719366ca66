// A deliberately broken target for mutation_driver's self-test (driver_selftest.py): it aborts on
// any input containing "BUG", never returns on one starting with "HANG", and reads past a heap
// buffer on one starting with "OOB" (silent without AddressSanitizer, a report with it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (in.find("BUG") != std::string_view::npos)
        std::abort();
    if (in.rfind("HANG", 0) == 0)
        for (volatile bool forever = true; forever;) {
        }
    if (in.rfind("OOB", 0) == 0) {
        auto copy = std::make_unique<char[]>(size);
        volatile char past = copy[size + 8]; // heap-buffer-overflow
        (void)past;
    }
    return 0;
}
