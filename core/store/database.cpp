#include "store/database.h"

#include "mistudio/result.h"

#include <sqlite3.h>
#include <utility>

namespace mistudio::store {

namespace {

ErrorCode codeFor(int rc) {
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ErrorCode::InvalidFormat;
    case SQLITE_NOMEM: return ErrorCode::OutOfMemory;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::Io;
    case SQLITE_CONSTRAINT: return ErrorCode::InvalidArgument;
    default: return ErrorCode::Internal;
    }
}

std::string fixFor(int rc) {
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "The project file is damaged; restore it from a backup or create a new project";
    case SQLITE_FULL:
    case SQLITE_IOERR: // a full disk or a file size limit shows as a failed write (EFBIG)
        return "Free disk space (or check the disk) and retry; the project keeps its last "
               "committed state";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "Another program holds a long write lock on the project; close it and retry";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN: return "Check that the file and its folder exist and are writable";
    default: return {};
    }
}

} // namespace

void throwCorruptBlob(const char* what, size_t bytes, size_t elementSize) {
    throw Exception(ErrorCode::InvalidFormat,
                    std::string("stored ") + what + " has " + std::to_string(bytes) +
                        " bytes, not a multiple of " + std::to_string(elementSize),
                    "project file", "The project file is damaged; re-run the analysis");
}

Database::Database(const std::string& path, Mode mode) : m_path(path) {
    int flags = SQLITE_OPEN_NOMUTEX; // each connection is used under the owner's mutex
    flags |= mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (mode == Mode::ReadWriteCreate)
        flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string msg = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        throw Exception(codeFor(rc), "cannot open database: " + msg, path, fixFor(rc));
    }
    sqlite3_extended_result_codes(m_db, 1);
    setBusyTimeout(5000);
}

Database::~Database() {
    if (m_db)
        sqlite3_close_v2(m_db);
}

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        if (m_db)
            sqlite3_close_v2(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_path = std::move(other.m_path);
    }
    return *this;
}

void Database::fail(int rc, const std::string& context) const {
    std::string msg = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
    throw Exception(codeFor(rc), "SQLite error: " + msg + " (while " + context + ")", m_path,
                    fixFor(rc));
}

void Database::exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        sqlite3_free(err);
        fail(rc, "running '" + sql.substr(0, 80) + "'");
    }
}

Statement Database::prepare(std::string_view sql) {
    return Statement(*this, sql);
}

int64_t Database::queryInt(const std::string& sql) {
    Statement st(*this, sql);
    if (!st.step())
        return 0;
    return st.getInt(0);
}

int64_t Database::lastInsertId() const {
    return sqlite3_last_insert_rowid(m_db);
}
int Database::changes() const {
    return sqlite3_changes(m_db);
}
void Database::setBusyTimeout(int milliseconds) {
    sqlite3_busy_timeout(m_db, milliseconds);
}

Statement::Statement(Database& db, std::string_view sql) : m_db(&db) {
    const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), int(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
    if (rc != SQLITE_OK)
        db.fail(rc, "preparing '" + std::string(sql.substr(0, 80)) + "'");
}

Statement::~Statement() {
    if (m_stmt)
        sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db), m_stmt(std::exchange(other.m_stmt, nullptr)) {}

#define MISTUDIO_CHECK_BIND(call)                                                                  \
    do {                                                                                           \
        const int rc_ = (call);                                                                    \
        if (rc_ != SQLITE_OK)                                                                      \
            m_db->fail(rc_, std::string("binding parameter ") + std::to_string(index) + " of '" +  \
                                sqlite3_sql(m_stmt) + "'");                                        \
    } while (0)

Statement& Statement::bind(int index, int64_t value) {
    MISTUDIO_CHECK_BIND(sqlite3_bind_int64(m_stmt, index, value));
    return *this;
}
Statement& Statement::bind(int index, double value) {
    MISTUDIO_CHECK_BIND(sqlite3_bind_double(m_stmt, index, value));
    return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
    MISTUDIO_CHECK_BIND(sqlite3_bind_text64(m_stmt, index, text.data(), text.size(),
                                            SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}
Statement& Statement::bindBlob(int index, const void* data, size_t bytes) {
    // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
    static const char empty = 0;
    MISTUDIO_CHECK_BIND(
        sqlite3_bind_blob64(m_stmt, index, bytes ? data : &empty, bytes, SQLITE_TRANSIENT));
    return *this;
}
Statement& Statement::bindNull(int index) {
    MISTUDIO_CHECK_BIND(sqlite3_bind_null(m_stmt, index));
    return *this;
}
#undef MISTUDIO_CHECK_BIND

int Statement::indexOf(const char* name) const {
    const int i = sqlite3_bind_parameter_index(m_stmt, name);
    if (i == 0)
        throw Exception(ErrorCode::Internal,
                        std::string("no parameter ") + name + " in '" + sqlite3_sql(m_stmt) + "'");
    return i;
}

bool Statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    m_db->fail(rc, std::string("running '") + std::string(sqlite3_sql(m_stmt)).substr(0, 80) + "'");
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}
int64_t Statement::getInt(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}
double Statement::getDouble(int column) const {
    return sqlite3_column_double(m_stmt, column);
}
std::string Statement::getText(int column) const {
    const auto* p = sqlite3_column_text(m_stmt, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           size_t(sqlite3_column_bytes(m_stmt, column)))
             : std::string();
}
std::string_view Statement::getBlob(int column) const {
    const void* p = sqlite3_column_blob(m_stmt, column);
    const int n = sqlite3_column_bytes(m_stmt, column);
    return p ? std::string_view(static_cast<const char*>(p), size_t(n)) : std::string_view();
}
int Statement::columnCount() const {
    return sqlite3_column_count(m_stmt);
}

Transaction::Transaction(Database& db) : m_db(db) {
    m_db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!m_done)
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    m_db.exec("COMMIT");
    m_done = true;
}

ReadTransaction::ReadTransaction(Database& db) : m_db(db) {
    m_db.exec("BEGIN");
}

ReadTransaction::~ReadTransaction() {
    sqlite3_exec(m_db.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

} // namespace mistudio::store
