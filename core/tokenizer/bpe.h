#pragma once
// The BPE model of tokenizer.json: merges applied by rank with a priority queue over a linked
// list of symbols, byte_fallback, unk_token / fuse_unk, continuing_subword_prefix,
// end_of_word_suffix and ignore_merges, with a per-thread cache of words already seen.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mistudio::tok {

/// One token of a word: id and its length in bytes of the word.
struct WordToken {
    int32_t id;
    uint32_t len;
};

/// A fast hash for short strings (8 bytes per step), for the vocabulary and the word cache.
struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
        uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
        size_t i = 0;
        for (; i + 8 <= s.size(); i += 8) {
            uint64_t w;
            __builtin_memcpy(&w, s.data() + i, 8);
            h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
            h ^= h >> 31;
        }
        uint64_t tail = 0;
        __builtin_memcpy(&tail, s.data() + i, s.size() - i);
        h = (h ^ tail) * 0x94D049BB133111EBULL;
        return h ^ (h >> 29);
    }
};
using Vocab = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

/// Words already tokenized, owned by one thread (no locking): an open-addressing table over
/// arenas of keys and tokens, so a hit costs one hash and one memcmp. Cleared when full.
class BpeCache {
public:
    const WordToken* find(std::string_view word, size_t& count) const;
    void insert(std::string_view word, const std::vector<WordToken>& tokens);

private:
    struct Slot {
        uint64_t hash = 0; // 0: empty
        uint32_t keyAt = 0, keyLen = 0, tokAt = 0, tokCount = 0;
    };
    static uint64_t hashOf(std::string_view s) { return StringHash{}(s) | 1; }
    std::vector<Slot> m_slots;
    std::string m_keys;
    std::vector<WordToken> m_tokens;
    size_t m_size = 0;
};

class Bpe {
public:
    /// Reads the "model" object. Throws Exception(InvalidFormat / Unsupported) naming `where`.
    Bpe(const nlohmann::json& model, const std::string& where);

    /// Tokenizes one pre-token; appends to `out`.
    void tokenize(std::string_view word, BpeCache* cache, std::vector<WordToken>& out) const;

    const std::vector<std::string>& idToToken() const { return m_idToToken; }
    const Vocab& vocab() const { return m_vocab; }
    std::optional<int32_t> unkId() const {
        return m_unkId >= 0 ? std::optional<int32_t>(m_unkId) : std::nullopt;
    }
    bool byteFallback() const { return m_byteFallback; }

private:
    struct MergeValue {
        int32_t rank;
        int32_t newId;
    };
    // Open-addressing map from a pair of ids to its merge (the hot lookup of the merge loop).
    class MergeMap {
    public:
        void reserve(size_t n);
        void insert(uint64_t key, MergeValue v);
        const MergeValue* find(uint64_t key) const;

    private:
        struct Entry { // key and value side by side: one cache line visit per probe
            uint64_t key;
            MergeValue value;
        };
        std::vector<Entry> m_entries;
        uint64_t m_mask = 0;
        size_t m_size = 0;
    };
    static uint64_t pairKey(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }
    void loadMerges(const nlohmann::json& merges, const std::string& where);
    int32_t lookup(std::string_view s) const;
    void initialSymbols(std::string_view word, std::vector<WordToken>& syms) const;
    void mergeAll(std::vector<WordToken>& syms) const;

    Vocab m_vocab;
    std::vector<std::string> m_idToToken;
    std::vector<int32_t> m_smallChars; // id of single-character tokens below U+3000, or -1
    MergeMap m_merges;
    int32_t m_unkId = -1;
    bool m_fuseUnk = false;
    bool m_byteFallback = false;
    bool m_ignoreMerges = false;
    std::string m_prefix, m_suffix;
    int32_t m_byteIds[256];
};

} // namespace mistudio::tok
