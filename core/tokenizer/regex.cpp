#include "tokenizer/regex.h"

#include "mistudio/result.h"
#include "tokenizer/utf8.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace mistudio::tok {

namespace {

// Oniguruma's \s in UTF-8 mode is the Unicode White_Space property.
constexpr const char* kSpaceClass =
    "\\x{9}-\\x{d}\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
    "\\x{202f}\\x{205f}\\x{3000}";
constexpr const char* kWordClass = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";

// Per-thread matching state: PCRE2 match data and a JIT stack large enough for long runs of
// whitespace under `\s+(?!\S)`.
struct ThreadState {
    pcre2_match_data* data = nullptr;
    pcre2_match_context* context = nullptr;
    pcre2_jit_stack* stack = nullptr;
    ThreadState() {
        data = pcre2_match_data_create(1, nullptr);
        context = pcre2_match_context_create(nullptr);
        stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
        pcre2_jit_stack_assign(context, nullptr, stack);
    }
    ~ThreadState() {
        pcre2_match_data_free(data);
        pcre2_match_context_free(context);
        pcre2_jit_stack_free(stack);
    }
};

ThreadState& threadState() {
    thread_local ThreadState state;
    return state;
}

} // namespace

std::string Regex::translate(const std::string& p) {
    std::string out;
    out.reserve(p.size() + 64);
    bool inClass = false;
    for (size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\' && i + 1 < p.size()) {
            const char n = p[++i];
            const bool space = n == 's' || n == 'S', word = n == 'w' || n == 'W';
            const bool negated = n == 'S' || n == 'W';
            if ((space || word) && !(inClass && negated)) {
                const char* cls = space ? kSpaceClass : kWordClass;
                out += inClass ? std::string(cls) : std::string(negated ? "[^" : "[") + cls + "]";
            } else {
                out += c;
                out += n;
            }
            continue;
        }
        if (!inClass && c == '[') {
            inClass = true;
            out += c;
            if (i + 1 < p.size() && p[i + 1] == '^')
                out += p[++i];
            if (i + 1 < p.size() && p[i + 1] == ']') // a leading ']' is literal
                out += p[++i];
            continue;
        }
        if (inClass && c == ']')
            inClass = false;
        out += c;
    }
    return out;
}

Regex::Regex(const std::string& pattern, bool literal, const std::string& where)
    : m_pattern(pattern) {
    const std::string translated = literal ? pattern : translate(pattern);
    int err = 0;
    PCRE2_SIZE errOffset = 0;
    // PCRE2_LITERAL admits no UCP flag (it does not need it).
    const uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
    auto* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                               options, &err, &errOffset, nullptr);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        throw Exception(ErrorCode::InvalidFormat,
                        "regex '" + pattern +
                            "' does not compile: " + reinterpret_cast<const char*>(msg) +
                            " at offset " + std::to_string(errOffset),
                        where, "fix the pattern in tokenizer.json");
    }
    m_code = code;
    m_jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() {
    pcre2_code_free(static_cast<pcre2_code*>(m_code));
}

bool Regex::find(std::string_view s, size_t from, Match& m) const {
    ThreadState& ts = threadState();
    auto* code = static_cast<pcre2_code*>(m_code);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(s.data());
    int rc = m_jit ? pcre2_jit_match(code, subject, s.size(), from, PCRE2_NO_UTF_CHECK, ts.data,
                                     ts.context)
                   : PCRE2_ERROR_JIT_BADOPTION;
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_JIT_BADOPTION)
        rc = pcre2_match(code, subject, s.size(), from, PCRE2_NO_UTF_CHECK, ts.data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH)
        return false;
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        throw Exception(ErrorCode::Internal, std::string("regex match failed: ") +
                                                 reinterpret_cast<const char*>(msg) +
                                                 " (pattern '" + m_pattern + "')");
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(ts.data);
    m = {static_cast<uint32_t>(ov[0]), static_cast<uint32_t>(ov[1])};
    return true;
}

void Regex::findAll(std::string_view s, std::vector<Match>& out) const {
    size_t pos = 0;
    long lastEnd = -1;
    Match m;
    while (pos <= s.size() && find(s, pos, m)) {
        if (m.b == m.e) {
            // Oniguruma iteration: no empty match right where the previous one ended, and
            // after an empty match the search resumes one character later.
            const size_t step = m.e < s.size() ? utf8Len(static_cast<unsigned char>(s[m.e])) : 1;
            if (static_cast<long>(m.e) != lastEnd)
                out.push_back(m);
            lastEnd = m.e;
            pos = m.e + step;
            continue;
        }
        out.push_back(m);
        lastEnd = m.e;
        pos = m.e;
    }
}

} // namespace mistudio::tok
