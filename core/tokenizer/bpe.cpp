#include "tokenizer/bpe.h"

#include "mistudio/result.h"
#include "tokenizer/token_id.h"
#include "tokenizer/utf8.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace mistudio::tok {

namespace {

constexpr size_t kCacheMaxWordBytes = 256; // longer words are not cached (as the reference)
constexpr size_t kCacheSlots = 1 << 15;    // 16384 words before it is cleared (stays in L2)

struct Sym {
    int32_t id;
    int32_t prev;
    int32_t next;
    uint32_t len;
};
struct Cand {
    int32_t rank;
    int32_t pos;
    int32_t newId;
    // std::push_heap keeps the largest on top: "larger" = lower rank, then lower position.
    bool operator<(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

constexpr uint64_t kEmpty = ~0ULL;

} // namespace

const WordToken* BpeCache::find(std::string_view word, size_t& count) const {
    if (m_slots.empty())
        return nullptr;
    const uint64_t h = hashOf(word);
    const size_t mask = m_slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const Slot& s = m_slots[i];
        if (s.hash == 0)
            return nullptr;
        if (s.hash == h && s.keyLen == word.size() &&
            std::memcmp(m_keys.data() + s.keyAt, word.data(), word.size()) == 0) {
            count = s.tokCount;
            return m_tokens.data() + s.tokAt;
        }
    }
}

void BpeCache::insert(std::string_view word, const std::vector<WordToken>& tokens) {
    if (m_slots.empty())
        m_slots.resize(kCacheSlots);
    if (m_size * 2 >= m_slots.size()) { // keep the table at most half full
        std::fill(m_slots.begin(), m_slots.end(), Slot{});
        m_keys.clear();
        m_tokens.clear();
        m_size = 0;
    }
    const uint64_t h = hashOf(word);
    const size_t mask = m_slots.size() - 1;
    size_t i = h & mask;
    while (m_slots[i].hash != 0)
        i = (i + 1) & mask;
    m_slots[i] = {h, static_cast<uint32_t>(m_keys.size()), static_cast<uint32_t>(word.size()),
                  static_cast<uint32_t>(m_tokens.size()), static_cast<uint32_t>(tokens.size())};
    m_keys.append(word);
    m_tokens.insert(m_tokens.end(), tokens.begin(), tokens.end());
    ++m_size;
}

void Bpe::MergeMap::reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2)
        cap <<= 1;
    m_entries.assign(cap, Entry{kEmpty, {0, 0}});
    m_mask = cap - 1;
}

void Bpe::MergeMap::insert(uint64_t key, MergeValue v) {
    for (uint64_t i = mix(key) & m_mask;; i = (i + 1) & m_mask) {
        Entry& e = m_entries[i];
        if (e.key == kEmpty) {
            e = {key, v};
            ++m_size;
            return;
        }
        if (e.key == key) { // a repeated merge: the later line wins, as in the reference
            e.value = v;
            return;
        }
    }
}

const Bpe::MergeValue* Bpe::MergeMap::find(uint64_t key) const {
    for (uint64_t i = mix(key) & m_mask;; i = (i + 1) & m_mask) {
        const Entry& e = m_entries[i];
        if (e.key == key)
            return &e.value;
        if (e.key == kEmpty)
            return nullptr;
    }
}

Bpe::Bpe(const nlohmann::json& model, const std::string& where) {
    const auto& vocab = model.at("vocab");
    if (!vocab.is_object())
        throw Exception(ErrorCode::InvalidFormat, "model.vocab is not an object", where,
                        "a BPE tokenizer.json maps token strings to ids in model.vocab");
    m_vocab.reserve(vocab.size());
    int32_t maxId = -1;
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const int32_t id =
            tokenIdFromJson(it.value(), "vocabulary entry '" + it.key() + "'", where);
        m_vocab.emplace(it.key(), id);
        maxId = std::max(maxId, id);
    }
    m_idToToken.assign(static_cast<size_t>(maxId + 1), std::string());
    for (const auto& [tok, id] : m_vocab)
        if (id >= 0)
            m_idToToken[static_cast<size_t>(id)] = tok;

    auto str = [&](const char* key) {
        return model.contains(key) && model[key].is_string() ? model[key].get<std::string>()
                                                             : std::string();
    };
    m_prefix = str("continuing_subword_prefix");
    m_suffix = str("end_of_word_suffix");
    m_fuseUnk = model.value("fuse_unk", false);
    m_byteFallback = model.value("byte_fallback", false);
    m_ignoreMerges = model.value("ignore_merges", false);
    if (model.contains("dropout") && !model["dropout"].is_null() &&
        model["dropout"].get<double>() != 0.0)
        throw Exception(ErrorCode::Unsupported, "BPE dropout is not supported", where,
                        "set model.dropout to null (dropout is for training only)");
    const std::string unk = str("unk_token");
    if (!unk.empty()) {
        auto it = m_vocab.find(unk);
        if (it == m_vocab.end())
            throw Exception(ErrorCode::InvalidFormat,
                            "unk_token '" + unk + "' is not in the vocabulary", where,
                            "add it to model.vocab or set unk_token to null");
        m_unkId = it->second;
    }
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        m_byteIds[b] = lookup(name);
    }
    // Undecorated single characters are looked up in a table (left empty when a prefix or
    // suffix decorates them, then the vocabulary is asked).
    if (m_prefix.empty() && m_suffix.empty()) {
        m_smallChars.assign(0x3000, -1); // covers Latin to CJK punctuation, and U+2581
        for (const auto& [tok, id] : m_vocab) {
            size_t i = 0;
            if (tok.empty())
                continue;
            const uint32_t cp = nextCodepoint(tok, i);
            if (i == tok.size() && cp < m_smallChars.size())
                m_smallChars[cp] = id;
        }
    }

    static const nlohmann::json kNoMerges = nlohmann::json::array();
    loadMerges(model.contains("merges") ? model["merges"] : kNoMerges, where);
}

// Each merge (a, b) at rank r maps the pair of ids to (r, id of a + b without b's prefix).
void Bpe::loadMerges(const nlohmann::json& merges, const std::string& where) {
    m_merges.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& m = merges[rank];
        std::string a, b;
        if (m.is_string()) {
            const std::string& line = m.get_ref<const std::string&>();
            const size_t sp = line.find(' ');
            if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
                throw Exception(ErrorCode::InvalidFormat,
                                "merge " + std::to_string(rank) + " '" + line +
                                    "' is not two tokens separated by one space",
                                where, "merges are \"a b\" strings or [\"a\", \"b\"] pairs");
            a = line.substr(0, sp);
            b = line.substr(sp + 1);
        } else if (m.is_array() && m.size() == 2) {
            a = m[0].get<std::string>();
            b = m[1].get<std::string>();
        } else {
            throw Exception(ErrorCode::InvalidFormat,
                            "merge " + std::to_string(rank) + " is malformed", where,
                            "merges are \"a b\" strings or [\"a\", \"b\"] pairs");
        }
        const int32_t ia = lookup(a), ib = lookup(b);
        const size_t cut = std::min(m_prefix.size(), b.size());
        const int32_t inew = lookup(a + b.substr(cut));
        if (ia < 0 || ib < 0 || inew < 0)
            throw Exception(ErrorCode::InvalidFormat,
                            "merge " + std::to_string(rank) + " ('" + a + "', '" + b +
                                "') uses a token missing from the vocabulary",
                            where, "the vocabulary and merges must come from the same tokenizer");
        m_merges.insert(pairKey(ia, ib), {static_cast<int32_t>(rank), inew});
    }
}

int32_t Bpe::lookup(std::string_view s) const {
    auto it = m_vocab.find(s);
    return it == m_vocab.end() ? -1 : it->second;
}

void Bpe::initialSymbols(std::string_view w, std::vector<WordToken>& syms) const {
    bool haveUnk = false;
    WordToken unk{m_unkId, 0};
    std::string scratch;
    for (size_t i = 0; i < w.size();) {
        const size_t start = i;
        const uint32_t cp = nextCodepoint(w, i);
        const auto byteLen = static_cast<uint32_t>(i - start);
        int32_t id = -1;
        std::string_view s = w.substr(start, byteLen);
        const bool decorated =
            (!m_prefix.empty() && start != 0) || (!m_suffix.empty() && i == w.size());
        if (decorated) {
            scratch.assign(start != 0 ? m_prefix : std::string());
            scratch.append(s);
            if (i == w.size())
                scratch += m_suffix;
            s = scratch;
            id = lookup(s);
        } else {
            id = cp < m_smallChars.size() ? m_smallChars[cp] : lookup(s);
        }
        if (id >= 0) {
            if (haveUnk) {
                syms.push_back(unk);
                haveUnk = false;
            }
            syms.push_back({id, byteLen});
            continue;
        }
        if (m_byteFallback && std::all_of(s.begin(), s.end(), [this](char c) {
                return m_byteIds[static_cast<unsigned char>(c)] >= 0;
            })) {
            for (char c : s)
                syms.push_back({m_byteIds[static_cast<unsigned char>(c)], 1});
            continue;
        }
        if (m_unkId < 0)
            continue; // no unk token: the reference drops the character
        if (haveUnk && m_fuseUnk) {
            unk.len += byteLen;
        } else {
            if (haveUnk)
                syms.push_back(unk);
            unk = {m_unkId, byteLen};
            haveUnk = true;
        }
    }
    if (haveUnk)
        syms.push_back(unk);
}

void Bpe::mergeAll(std::vector<WordToken>& toks) const {
    thread_local std::vector<Sym> syms;
    thread_local std::vector<Cand> heap;
    const auto n = static_cast<int32_t>(toks.size());
    syms.resize(toks.size());
    heap.clear();
    for (int32_t i = 0; i < n; ++i)
        syms[i] = {toks[i].id, i - 1, i + 1 < n ? i + 1 : -1, toks[i].len};
    for (int32_t i = 0; i + 1 < n; ++i)
        if (const MergeValue* m = m_merges.find(pairKey(syms[i].id, syms[i + 1].id)))
            heap.push_back({m->rank, i, m->newId});
    std::make_heap(heap.begin(), heap.end());
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end());
        const Cand top = heap.back();
        heap.pop_back();
        Sym& cur = syms[top.pos];
        if (cur.len == 0 || cur.next < 0)
            continue;
        const Sym right = syms[cur.next];
        const MergeValue* m = m_merges.find(pairKey(cur.id, right.id));
        if (!m || m->newId != top.newId)
            continue; // stale entry
        cur.id = top.newId;
        cur.len += right.len;
        syms[cur.next].len = 0;
        cur.next = right.next;
        if (right.next >= 0)
            syms[right.next].prev = top.pos;
        if (cur.prev >= 0)
            if (const MergeValue* pm = m_merges.find(pairKey(syms[cur.prev].id, cur.id))) {
                heap.push_back({pm->rank, cur.prev, pm->newId});
                std::push_heap(heap.begin(), heap.end());
            }
        if (cur.next >= 0)
            if (const MergeValue* nm = m_merges.find(pairKey(cur.id, syms[cur.next].id))) {
                heap.push_back({nm->rank, top.pos, nm->newId});
                std::push_heap(heap.begin(), heap.end());
            }
    }
    toks.clear();
    for (int32_t i = 0; i < n; ++i)
        if (syms[i].len != 0)
            toks.push_back({syms[i].id, syms[i].len});
}

void Bpe::tokenize(std::string_view word, BpeCache* cache, std::vector<WordToken>& out) const {
    if (word.empty())
        return;
    if (m_ignoreMerges) {
        const int32_t id = lookup(word);
        if (id >= 0) {
            out.push_back({id, static_cast<uint32_t>(word.size())});
            return;
        }
    }
    if (cache) {
        size_t count = 0;
        if (const WordToken* hit = cache->find(word, count)) {
            out.insert(out.end(), hit, hit + count);
            return;
        }
    }
    thread_local std::vector<WordToken> toks;
    toks.clear();
    initialSymbols(word, toks);
    mergeAll(toks);
    if (cache && word.size() < kCacheMaxWordBytes)
        cache->insert(word, toks);
    out.insert(out.end(), toks.begin(), toks.end());
}

} // namespace mistudio::tok
