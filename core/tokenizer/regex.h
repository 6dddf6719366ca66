#pragma once
// PCRE2 (JIT, UTF + UCP) regexes with the semantics of the Oniguruma engine the reference
// tokenizers use: \s, \S, \w and \W are rewritten to Oniguruma's Unicode classes (White_Space
// does not include U+FEFF; \w is letters, marks, decimal digits and connector punctuation), and
// iteration over matches advances by one character after an empty match.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mistudio::tok {

struct Match {
    uint32_t b = 0;
    uint32_t e = 0;
};

class Regex {
public:
    /// Compiles `pattern` (Oniguruma syntax, or a literal string when `literal`). Throws
    /// Exception(InvalidFormat) naming `where` when it does not compile.
    Regex(const std::string& pattern, bool literal, const std::string& where);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    /// Appends every non-overlapping match in `s` (valid UTF-8), leftmost first.
    void findAll(std::string_view s, std::vector<Match>& out) const;
    /// First match at or after byte `from`; false when none.
    bool find(std::string_view s, size_t from, Match& m) const;

    const std::string& pattern() const { return m_pattern; }

    /// The Oniguruma -> PCRE2 class rewriting (exposed for tests).
    static std::string translate(const std::string& onigPattern);

private:
    std::string m_pattern;
    void* m_code = nullptr; // pcre2_code_8
    bool m_jit = false;
};

} // namespace mistudio::tok
