#include "tokenizer/added_vocab.h"

#include "tokenizer/normalizers.h"
#include "tokenizer/utf8.h"

namespace mistudio::tok {

namespace {

// The code point that ends at byte `end` of valid UTF-8 (end > 0).
uint32_t codepointBefore(std::string_view s, size_t end, size_t& start) {
    start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
        --start;
    size_t i = start;
    return nextCodepoint(s, i);
}

bool endsWithWord(std::string_view s, size_t end) {
    size_t start = 0;
    return end > 0 && isWordChar(codepointBefore(s, end, start));
}

bool startsWithWord(std::string_view s, size_t b) {
    return b < s.size() && isWordChar(nextCodepoint(s, b));
}

// Start of the run of whitespace that ends at `end`.
size_t leftmostSpaceAtEnd(std::string_view s, size_t end) {
    while (end > 0) {
        size_t start = 0;
        if (!isWhitespace(codepointBefore(s, end, start)))
            break;
        end = start;
    }
    return end;
}

// End of the run of whitespace that starts at `b`.
size_t rightmostSpaceAtStart(std::string_view s, size_t b) {
    while (b < s.size()) {
        size_t i = b;
        if (!isWhitespace(nextCodepoint(s, i)))
            break;
        b = i;
    }
    return b;
}

} // namespace

void AddedVocab::Trie::add(std::string_view key, int32_t token) {
    if (nodes.empty())
        nodes.emplace_back();
    int32_t node = 0;
    for (size_t k = 0; k < key.size(); ++k) {
        const auto c = static_cast<unsigned char>(key[k]);
        const uint64_t edge = (static_cast<uint64_t>(node) << 8) | c;
        auto it = edges.find(edge);
        if (it == edges.end()) {
            nodes.emplace_back();
            it = edges.emplace(edge, static_cast<int32_t>(nodes.size() - 1)).first;
        }
        node = it->second;
        if (k == 0)
            root[c] = node;
    }
    if (nodes[node].terminal < 0) // first registration of a content wins
        nodes[node].terminal = token;
    any = true;
}

std::pair<int32_t, size_t> AddedVocab::Trie::longest(std::string_view s, size_t i) const {
    std::pair<int32_t, size_t> best{-1, i};
    int32_t node = root[static_cast<unsigned char>(s[i])];
    if (node < 0)
        return best;
    if (nodes[node].terminal >= 0)
        best = {nodes[node].terminal, i + 1};
    for (size_t k = i + 1; k < s.size(); ++k) {
        auto it = edges.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(s[k]));
        if (it == edges.end())
            break;
        node = it->second;
        if (nodes[node].terminal >= 0)
            best = {nodes[node].terminal, k + 1};
    }
    return best;
}

void AddedVocab::build(std::vector<AddedToken> tokens, const Normalizer* normalizer) {
    m_tokens = std::move(tokens);
    for (size_t i = 0; i < m_tokens.size(); ++i) {
        const AddedToken& t = m_tokens[i];
        m_byId[t.id] = i;
        m_byContent.emplace(t.content, i);
        if (t.content.empty())
            continue;
        if (t.normalized)
            m_norm.add(normalizer ? normalizer->normalize(t.content) : t.content,
                       static_cast<int32_t>(i));
        else
            m_raw.add(t.content, static_cast<int32_t>(i));
    }
}

void AddedVocab::split(std::string_view s, bool normalizedSet, std::vector<AddedSplit>& out) const {
    if (s.empty())
        return;
    const Trie& trie = normalizedSet ? m_norm : m_raw;
    size_t startOffset = 0;
    if (trie.any) {
        size_t i = 0;
        while (i < s.size()) {
            const auto [tok, end] = trie.longest(s, i);
            if (tok < 0) {
                i += utf8Len(static_cast<unsigned char>(s[i]));
                continue;
            }
            const AddedToken& t = m_tokens[static_cast<size_t>(tok)];
            size_t start = i, stop = end;
            i = end; // the next search starts after this match, used or not
            if (t.singleWord && ((start > 0 && endsWithWord(s, start)) ||
                                 (stop < s.size() && startsWithWord(s, stop))))
                continue;
            if (t.lstrip)
                start = std::max(leftmostSpaceAtEnd(s, start), startOffset);
            if (t.rstrip)
                stop = rightmostSpaceAtStart(s, stop);
            if (startOffset < start)
                out.push_back(
                    {-1, static_cast<uint32_t>(startOffset), static_cast<uint32_t>(start)});
            out.push_back({t.id, static_cast<uint32_t>(start), static_cast<uint32_t>(stop)});
            startOffset = stop;
            i = std::max(i, stop);
        }
    }
    if (startOffset < s.size())
        out.push_back({-1, static_cast<uint32_t>(startOffset), static_cast<uint32_t>(s.size())});
}

const AddedToken* AddedVocab::byId(int32_t id) const {
    auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

const AddedToken* AddedVocab::byContent(std::string_view content) const {
    auto it = m_byContent.find(std::string(content));
    return it == m_byContent.end() ? nullptr : &m_tokens[it->second];
}

} // namespace mistudio::tok
