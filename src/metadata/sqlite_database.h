#pragma once
// The SQLite implementation of SqlDatabase: one file in WAL mode, busy_timeout, foreign keys on,
// synchronous=NORMAL unless SqlOptions::sqlite_fsync_each_commit. One connection serialized by a
// mutex (a transaction holds it until it ends): simple, and statements take microseconds; prepared
// statements are cached. Another process on the same file waits up to busy_timeout.

#include <memory>
#include <string>

#include "metadata/sql_database.h"

namespace sluice {

//! Opens (creating when missing) the SQLite file at `path`.
Result<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(const std::string& path, const SqlOptions& options);

}  // namespace sluice
