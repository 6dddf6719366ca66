#pragma once
// RAII wrappers over the sqlite3 C API: Database (a connection), Statement (a prepared statement)
// and Transaction (BEGIN IMMEDIATE … COMMIT, rolled back when destroyed without commit()).
// Non-copyable, movable. Every SQLite failure becomes a mistudio::Exception that names the
// database file and the statement. Internal to core: the public face is mistudio/project.h.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace mistudio::store {

class Statement;

class Database {
public:
    enum class Mode { ReadOnly, ReadWrite, ReadWriteCreate };

    /// Opens `path` (or ":memory:"). Does not touch the file beyond what SQLite needs to open it.
    Database(const std::string& path, Mode mode);
    ~Database();
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs one or more statements that return no rows we need (schema, pragmas).
    void exec(const std::string& sql);
    Statement prepare(std::string_view sql);
    /// First column of the first row as an integer (e.g. PRAGMA user_version).
    int64_t queryInt(const std::string& sql);
    int64_t lastInsertId() const;
    int changes() const;
    void setBusyTimeout(int milliseconds);
    const std::string& path() const { return m_path; }
    sqlite3* handle() const { return m_db; }
    /// Throws the SQLite error for `rc` with `context` (the statement or operation).
    [[noreturn]] void fail(int rc, const std::string& context) const;

private:
    sqlite3* m_db = nullptr;
    std::string m_path;
};

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Bind by 1-based index or by name (":name"). Returning *this lets calls chain.
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, int value) { return bind(index, int64_t(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    Statement& bindBlob(int index, const void* data, size_t bytes);
    Statement& bindNull(int index);
    template <typename T> Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bindNull(index);
    }
    template <typename T> Statement& bind(const char* name, const T& value) {
        return bind(indexOf(name), value);
    }
    int indexOf(const char* name) const;

    /// Advances to the next row: true while a row is available, false when done.
    bool step();
    /// Runs a statement that returns no rows, then resets it for reuse.
    void run();
    /// Resets for re-execution and clears bindings.
    void reset();

    bool isNull(int column) const;
    int64_t getInt(int column) const;
    double getDouble(int column) const;
    std::string getText(int column) const;
    /// Blob bytes; valid until the next step/reset.
    std::string_view getBlob(int column) const;
    int columnCount() const;

private:
    Database* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

/// BEGIN IMMEDIATE on construction (takes the write lock up front, so a busy database waits at
/// BEGIN rather than failing mid-transaction); ROLLBACK unless commit() was called.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& m_db;
    bool m_done = false;
};

/// A read snapshot: BEGIN (deferred) … COMMIT, so several queries see the same committed state.
class ReadTransaction {
public:
    explicit ReadTransaction(Database& db);
    ~ReadTransaction();
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;

private:
    Database& m_db;
};

/// Packs a vector of trivially copyable values as a little-endian blob (all targets are LE).
[[noreturn]] void throwCorruptBlob(const char* what, size_t bytes, size_t elementSize);

template <typename T> std::string_view asBlob(const std::vector<T>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}
/// Unpacks a blob written by asBlob; a size that is not a multiple of sizeof(T) is corruption.
template <typename T> std::vector<T> fromBlob(std::string_view blob, const char* what) {
    if (blob.size() % sizeof(T) != 0)
        throwCorruptBlob(what, blob.size(), sizeof(T));
    std::vector<T> out(blob.size() / sizeof(T));
    if (!blob.empty())
        std::memcpy(out.data(), blob.data(), blob.size());
    return out;
}

} // namespace mistudio::store
