#include "data/token_feed.h"

#include "mistudio/result.h"

#include <algorithm>
#include <exception>
#include <thread>

namespace mistudio::data {

TokenFeed::TokenFeed(WindowPacker::DocumentSource source, TokenizerFunctions tokenizer,
                     const WindowOptions& options)
    : m_source(std::move(source)), m_tokenizer(std::move(tokenizer)), m_options(options),
      m_rng(options.seed) {}

// Next document in (shuffled) order. The shuffle buffer is filled first, then each pick takes
// a random slot and refills it from the source: streaming, seeded, so runs repeat exactly.
std::optional<Document> TokenFeed::pull() {
    if (!m_options.shuffleDocuments) {
        if (m_sourceDone)
            return std::nullopt;
        auto d = m_source();
        m_sourceDone = !d;
        return d;
    }
    const size_t cap = std::max<size_t>(1, m_options.shuffleBuffer);
    while (!m_sourceDone && m_shuffle.size() < cap) {
        auto d = m_source();
        if (!d)
            m_sourceDone = true;
        else
            m_shuffle.push_back(std::move(*d));
    }
    if (m_shuffle.empty())
        return std::nullopt;
    const size_t j = static_cast<size_t>(m_rng() % m_shuffle.size());
    std::swap(m_shuffle[j], m_shuffle.back());
    Document d = std::move(m_shuffle.back());
    m_shuffle.pop_back();
    return d;
}

void TokenFeed::refill() {
    std::vector<Document> batch;
    const size_t want = std::max<size_t>(1, m_options.batchDocuments);
    while (batch.size() < want) {
        auto d = pull();
        if (!d)
            break;
        batch.push_back(std::move(*d));
    }
    m_read += batch.size();
    std::vector<std::vector<int32_t>> tokens(batch.size());
    int threads = m_options.threads > 0 ? m_options.threads
                                        : static_cast<int>(std::thread::hardware_concurrency());
    threads = std::clamp<int>(threads, 1, static_cast<int>(std::max<size_t>(1, batch.size())));
    // Interleaved slices per thread; results land by index, so the order never depends on timing.
    std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
    auto work = [&](size_t t) {
        try {
            for (size_t i = t; i < batch.size(); i += static_cast<size_t>(threads))
                tokens[i] = m_tokenizer.encode(batch[i].text);
        } catch (...) {
            errors[t] = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
        pool.emplace_back(work, static_cast<size_t>(t));
    work(0);
    for (auto& th : pool)
        th.join();
    for (auto& e : errors)
        if (e)
            std::rethrow_exception(e);
    for (size_t i = 0; i < batch.size(); ++i) {
        if (tokens[i].empty()) {
            ++m_empty;
            continue;
        }
        m_ready.push_back({batch[i].id, std::move(tokens[i])});
    }
}

bool TokenFeed::next(TokenizedDocument& out) {
    while (m_ready.empty()) {
        if (m_sourceDone && m_shuffle.empty())
            return false;
        refill();
    }
    out = std::move(m_ready.front());
    m_ready.pop_front();
    return true;
}

} // namespace mistudio::data
