// A deliberately broken target for mutation_driver's self-test (driver_selftest.py): it aborts on
// any input containing "BUG" and never returns on one starting with "HANG".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (in.find("BUG") != std::string_view::npos)
        std::abort();
    if (in.rfind("HANG", 0) == 0)
        for (volatile bool forever = true; forever;) {
        }
    return 0;
}
