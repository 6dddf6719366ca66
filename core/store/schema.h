#pragma once
// The project schema: ordered migrations from an empty file to kSchemaVersion, and the checks that
// decide whether a file may be opened at all (before anything is written to it).

#include "store/database.h"

#include <string>

namespace mistudio::store {

constexpr int kSchemaVersion = 2;

/// Reads the 100-byte SQLite header of an existing file and refuses (with an Exception) a file
/// that is not SQLite, an SQLite file of another application, or one from a newer schema.
/// Reads only; never opens the file for writing.
void checkFileHeader(const std::string& path);
/// The same checks through SQLite on a read-only connection (sees committed WAL content too).
void checkOpenedDatabase(Database& db);
/// Applies every migration after the file's user_version, each in its own transaction.
void migrate(Database& db);
/// Pragmas every connection needs (foreign keys, busy timeout, synchronous).
void configureConnection(Database& db);
/// Lower-case, whitespace-trimmed form of a token string, used for "fires on token" by text.
std::string tokenKey(const std::string& text);

} // namespace mistudio::store
