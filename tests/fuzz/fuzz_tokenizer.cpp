// libFuzzer target for tokenizer.json loading and encoding (issue 12). Input: a tokenizer.json,
// then a NUL byte, then the text to encode (arbitrary bytes; JSON text cannot hold a raw NUL, so
// the first one separates the two). Without a NUL a few fixed awkward texts are encoded.
// Loading must succeed or throw mistudio::Exception; encoding must never fail, ids must be in the
// vocabulary and byte offsets inside the input.
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

// One scratch folder per fuzzer process: Tokenizer::load reads a file (and would read a
// tokenizer_config.json beside it, which is never written here).
const std::filesystem::path& scratchFile() {
    static const std::filesystem::path file = [] {
        const char* tmp = std::getenv("TMPDIR");
        auto dir = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
                   ("mistudio-fuzz-tokenizer-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        return dir / "tokenizer.json";
    }();
    return file;
}

void checkEncoding(const mistudio::Tokenizer& tk, std::string_view text, bool special) {
    const mistudio::Encoding e = tk.encode(text, special);
    const size_t n = e.ids.size();
    if (e.tokens.size() != n || e.byteOffsets.size() != n || e.charOffsets.size() != n ||
        e.specialMask.size() != n)
        std::abort();
    for (size_t i = 0; i < n; ++i) {
        // Post-processor ids (e.g. a template's <s>) need not be in the vocabulary, as in
        // `tokenizers`; every other id must be.
        const size_t limit = e.specialMask[i] ? size_t(1) << 24 : tk.vocabSize();
        if (e.ids[i] < 0 || static_cast<size_t>(e.ids[i]) >= limit)
            std::abort();
        const auto& o = e.byteOffsets[i];
        if (o.begin > o.end || o.end > text.size())
            std::abort();
        (void)tk.displayToken(e.ids[i]);
    }
    (void)tk.decode(e.ids, false);
    (void)tk.decode(e.ids, true);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const size_t nul = input.find('\0');
    const std::string_view json = input.substr(0, nul);
    {
        std::ofstream out(scratchFile(), std::ios::binary | std::ios::trunc);
        out.write(json.data(), static_cast<std::streamsize>(json.size()));
    }
    std::optional<mistudio::Tokenizer> tk;
    try {
        tk.emplace(mistudio::Tokenizer::load(scratchFile().string()));
    } catch (const mistudio::Exception&) {
        return 0;
    }
    if (nul != std::string_view::npos) {
        const std::string_view text = input.substr(nul + 1);
        checkEncoding(*tk, text, true);
        checkEncoding(*tk, text, false);
    } else {
        for (std::string_view text :
             {std::string_view("Hello world <s> </s>\n\t  x"),
              std::string_view("\xff\xfe\xc3\x28 caf\xc3\xa9 \xf0\x9f\x98"), std::string_view()})
            checkEncoding(*tk, text, true);
    }
    for (int32_t id = -1; id < 8; ++id)
        (void)tk->idToToken(id), (void)tk->displayToken(id), (void)tk->isSpecial(id);
    (void)tk->decode({-5, 0, 1, 1 << 30}, false);
    return 0;
}
