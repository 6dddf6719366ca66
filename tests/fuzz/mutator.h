#pragma once
// Random structure-blind mutations for mutation_driver.cpp (libFuzzer's default mutators, in
// spirit): each call picks a corpus input and applies 1-4 edits. Deterministic for a seed.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace mistudio::fuzz {

class Mutator {
public:
    explicit Mutator(uint64_t seed) : m_rng(seed) {}

    std::vector<uint8_t> mutate(const std::vector<std::vector<uint8_t>>& corpus) {
        std::vector<uint8_t> data = corpus[pick(corpus.size())];
        const size_t edits = 1 + pick(4);
        for (size_t i = 0; i < edits; ++i)
            edit(data, corpus);
        if (data.size() > kMaxSize)
            data.resize(kMaxSize);
        return data;
    }

private:
    static constexpr size_t kMaxSize = 1 << 20;

    size_t pick(size_t n) { return n == 0 ? 0 : static_cast<size_t>(m_rng() % n); }

    void edit(std::vector<uint8_t>& d, const std::vector<std::vector<uint8_t>>& corpus) {
        switch (pick(9)) {
        case 0: // flip one bit
            if (!d.empty())
                d[pick(d.size())] ^= static_cast<uint8_t>(1u << pick(8));
            break;
        case 1: // random byte
            if (!d.empty())
                d[pick(d.size())] = static_cast<uint8_t>(m_rng());
            break;
        case 2: // an interesting byte: boundaries and the characters parsers branch on
            if (!d.empty())
                d[pick(d.size())] = kBytes[pick(sizeof kBytes)];
            break;
        case 3: // an interesting token (numbers at type limits, JSON structure)
            insert(d, kTokens[pick(std::size(kTokens))]);
            break;
        case 4: // delete a range
            if (!d.empty()) {
                const size_t at = pick(d.size()), n = 1 + pick(std::min<size_t>(64, d.size() - at));
                d.erase(d.begin() + static_cast<long>(at), d.begin() + static_cast<long>(at + n));
            }
            break;
        case 5: // duplicate a range in place
            if (!d.empty()) {
                const size_t at = pick(d.size()),
                             n = 1 + pick(std::min<size_t>(256, d.size() - at));
                std::vector<uint8_t> chunk(d.begin() + static_cast<long>(at),
                                           d.begin() + static_cast<long>(at + n));
                d.insert(d.begin() + static_cast<long>(pick(d.size() + 1)), chunk.begin(),
                         chunk.end());
            }
            break;
        case 6: // truncate
            d.resize(pick(d.size() + 1));
            break;
        case 7: { // splice: our head, another input's tail
            const auto& other = corpus[pick(corpus.size())];
            const size_t cut = pick(d.size() + 1), from = pick(other.size() + 1);
            d.resize(cut);
            d.insert(d.end(), other.begin() + static_cast<long>(from), other.end());
            break;
        }
        default: // overwrite 1, 2, 4 or 8 bytes with an extreme little-endian integer
            overwriteInteger(d);
            break;
        }
    }

    void insert(std::vector<uint8_t>& d, const char* token) {
        const size_t at = pick(d.size() + 1);
        d.insert(d.begin() + static_cast<long>(at), token, token + std::strlen(token));
    }

    void overwriteInteger(std::vector<uint8_t>& d) {
        static const uint64_t values[] = {
            0,      1,      0x7f,       0x80,       0xff,
            0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 0x7fffffffffffffffull,
            ~0ull};
        const size_t width = size_t(1) << pick(4);
        if (d.size() < width)
            return;
        const uint64_t v = values[pick(std::size(values))];
        std::memcpy(d.data() + pick(d.size() - width + 1), &v, width);
    }

    static constexpr uint8_t kBytes[] = {0,   1,   0x7f, 0x80, 0xff, '"', '\\', '{', '}',  '[',
                                         ']', ',', ':',  '-',  '.',  'e', '0',  '9', '\n', 0xc3};
    static constexpr const char* kTokens[] = {"-1",
                                              "0",
                                              "4294967296",
                                              "18446744073709551616",
                                              "1e308",
                                              "-1e308",
                                              "NaN",
                                              "null",
                                              "true",
                                              "\"\"",
                                              "[]",
                                              "{}",
                                              "[[[[[[[[",
                                              "{\"a\":",
                                              "\\u0000",
                                              "\\ud800",
                                              "\xff\xfe",
                                              "\xf0\x9f\x98\x80",
                                              "9223372036854775807",
                                              "0.5"};

    std::mt19937_64 m_rng;
};

} // namespace mistudio::fuzz
