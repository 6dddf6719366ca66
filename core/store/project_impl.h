#pragma once
// Project's private state: a write connection, a read connection (files only; an in-memory
// database has one connection) and the mutexes that let one Project serve two threads.

#include "mistudio/project.h"
#include "store/database.h"

#include <mutex>
#include <optional>

namespace mistudio {

struct Project::Impl {
    std::string path;
    bool memory = false;
    store::Database writer;
    std::optional<store::Database> reader;
    mutable std::mutex writeMutex;
    mutable std::mutex readMutex;

    Impl(std::string p, store::Database w) : path(std::move(p)), writer(std::move(w)) {}

    /// Runs fn(db) in one write transaction (all or nothing).
    template <typename Fn> auto write(Fn&& fn) {
        std::lock_guard lock(writeMutex);
        store::Transaction tx(writer);
        if constexpr (std::is_void_v<decltype(fn(writer))>) {
            fn(writer);
            tx.commit();
        } else {
            auto result = fn(writer);
            tx.commit();
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

/// Throws NotFound unless the run exists (checked on `db`).
void requireRun(store::Database& db, int64_t runId);

} // namespace mistudio
