#pragma once
// Numbered schema migrations of the metadata store.
//
// schema_migrations(version, applied_at) records what ran. Each migration runs in its own
// transaction (DDL is transactional in both SQLite and PostgreSQL), so a crash leaves the schema
// at a numbered version. On PostgreSQL every migration transaction first takes
// pg_advisory_xact_lock(kMigrationLockKey): concurrent starters wait, then see the work done. On
// SQLite, BEGIN IMMEDIATE does the same across processes.

#include <cstdint>

#include "metadata/sql_database.h"

namespace sluice {

//! The newest schema version this binary knows.
int LatestSchemaVersion();

//! The version recorded in schema_migrations; 0 for an empty database.
Result<int> CurrentSchemaVersion(SqlDatabase& db);

//! Brings the schema to LatestSchemaVersion(); a no-op when it is there. A database whose schema
//! is newer than this binary knows is a config error (upgrade sluice). `now_ms` is applied_at.
Status Migrate(SqlDatabase& db, int64_t now_ms);

//! The advisory lock key taken by migrations on PostgreSQL ("sluice" in ASCII).
inline constexpr int64_t kMigrationLockKey = 0x736c75696365;

}  // namespace sluice
