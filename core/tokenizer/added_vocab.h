#pragma once
// Added tokens (special tokens, extra whitespace tokens, ...), matched in the text before the
// model runs: the non-normalized ones in the raw text, the normalized ones in each normalized
// piece; leftmost-longest, with the single_word / lstrip / rstrip rules of the reference.

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mistudio::tok {

class Normalizer;

struct AddedToken {
    int32_t id = 0;
    std::string content;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = true;
    bool special = false;
};

/// A piece of a text: an added token (id >= 0) or text to tokenize (id = -1), bytes [b, e).
struct AddedSplit {
    int32_t id;
    uint32_t b;
    uint32_t e;
};

class AddedVocab {
public:
    void build(std::vector<AddedToken> tokens, const Normalizer* normalizer);

    /// Splits `s` on the non-normalized (normalized = false) or the normalized token set.
    /// The splits cover all of `s` in order; an empty `s` gives no splits.
    void split(std::string_view s, bool normalizedSet, std::vector<AddedSplit>& out) const;
    bool hasNormalized() const { return !m_norm.nodes.empty() && m_norm.any; }

    const AddedToken* byId(int32_t id) const;
    const AddedToken* byContent(std::string_view content) const;
    const std::vector<AddedToken>& tokens() const { return m_tokens; }

private:
    // A byte trie: node 0 is the root; `terminal` holds the token index or -1.
    struct Trie {
        struct Node {
            int32_t terminal = -1;
        };
        std::vector<Node> nodes;
        std::unordered_map<uint64_t, int32_t> edges; // (node << 8 | byte) -> child
        int32_t root[256];                           // children of the root, or -1
        bool any = false;
        Trie() { std::fill(std::begin(root), std::end(root), -1); }
        void add(std::string_view key, int32_t token);
        /// Longest key starting at s[i], as (token index, end) or token -1.
        std::pair<int32_t, size_t> longest(std::string_view s, size_t i) const;
    };
    std::vector<AddedToken> m_tokens;
    std::unordered_map<int32_t, size_t> m_byId;
    std::unordered_map<std::string, size_t> m_byContent;
    Trie m_raw, m_norm;
};

} // namespace mistudio::tok
