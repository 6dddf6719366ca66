#pragma once
// Project's private state: a write connection, a read connection (files only; an in-memory
// database has one connection) and the mutexes that let one Project serve two threads.

#include "mistudio/project.h"
#include "store/database.h"

#include <atomic>
#include <mutex>
#include <optional>

namespace mistudio {

/// A run's feature statistics held in memory for the feature list: sorting and filtering 65k rows
/// in memory takes a few ms, where SQL with OFFSET over a non-covering index took ~100 ms.
/// Reloaded when the database changed (data_version from other connections, writeCount from
/// this one).
struct FeatureStatsCache {
    struct Row {
        FeatureStats stats;
        std::string labelKey, notesKey; // lower-case, for sorting and search
    };
    int64_t runId = -1;
    int64_t dataVersion = -1;
    uint64_t writeCount = 0;
    std::vector<Row> rows; // by index
};

struct Project::Impl {
    std::string path;
    bool memory = false;
    store::Database writer;
    std::optional<store::Database> reader;
    mutable std::mutex writeMutex;
    mutable std::mutex readMutex;
    std::atomic<uint64_t> writeCount{0};  // committed write transactions
    mutable FeatureStatsCache statsCache; // guarded by the read lock

    Impl(std::string p, store::Database w) : path(std::move(p)), writer(std::move(w)) {}

    /// Runs fn(db) in one write transaction (all or nothing).
    template <typename Fn> auto write(Fn&& fn) {
        std::lock_guard lock(writeMutex);
        store::Transaction tx(writer);
        if constexpr (std::is_void_v<decltype(fn(writer))>) {
            fn(writer);
            tx.commit();
            ++writeCount;
        } else {
            auto result = fn(writer);
            tx.commit();
            ++writeCount;
            return result;
        }
    }

    /// Runs fn(db) on a consistent snapshot of the last committed state.
    template <typename Fn> auto read(Fn&& fn) const {
        std::unique_lock lock(reader ? readMutex : writeMutex);
        store::Database& db =
            reader ? const_cast<store::Database&>(*reader) : const_cast<store::Database&>(writer);
        store::ReadTransaction snapshot(db);
        return fn(db);
    }
};

/// The columns readFeatureStats expects, in order.
constexpr const char* kFeatureStatsColumns =
    "idx, density, max_act, mean_act, label, notes, tags, flags";
FeatureStats readFeatureStats(const store::Statement& st);

/// Throws NotFound unless the run exists (checked on `db`).
void requireRun(store::Database& db, int64_t runId);

} // namespace mistudio
