#include "metadata/migrations.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "metadata/metadata_types.h"

namespace sluice {

namespace {

//! One statement; `postgres` replaces `sql` on PostgreSQL when the dialects differ. A step that
//! SQL alone cannot express sets `run` instead.
struct Step {
  std::string sql;
  std::string postgres;
  Status (*run)(SqlTransaction& tx) = nullptr;
};

struct Migration {
  int version;
  const char* name;
  std::vector<Step> steps;
};

// A random UUID v4 in SQL, for rows a migration seeds.
constexpr const char* kSqliteUuid =
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || "
    "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";
constexpr const char* kPostgresUuid = "gen_random_uuid()::text";

std::string SeedDefaultWorkspace(const char* uuid) {
  return fmt::format(
      "INSERT INTO workspaces (id, name, email, initial_setup_complete, anonymous_data_collection, news, "
      "security_updates, notification_settings, created_at, updated_at) "
      "SELECT {}, 'Default Workspace', NULL, FALSE, FALSE, FALSE, FALSE, '{}', 0, 0 "
      "WHERE NOT EXISTS (SELECT 1 FROM workspaces)",
      uuid, kDefaultNotificationSettingsJson);
}

// The jobs table; only the definition of its increasing id differs between the dialects.
std::string CreateJobsTable(const char* id_column) {
  return fmt::format(
      "CREATE TABLE jobs ("
      " {},"
      " connection_id TEXT NOT NULL REFERENCES connections(id),"
      " config_type TEXT NOT NULL CHECK (config_type IN ('sync', 'reset_connection')),"
      " status TEXT NOT NULL CHECK (status IN"
      "   ('pending', 'running', 'incomplete', 'failed', 'succeeded', 'cancelled')),"
      " created_at BIGINT NOT NULL,"
      " updated_at BIGINT NOT NULL,"
      " started_at BIGINT,"
      " not_before BIGINT NOT NULL DEFAULT 0,"
      " cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,"
      " worker_id TEXT,"
      " lease_expires_at BIGINT)",
      id_column);
}

// The config types migration 4 allows (refresh and clear added).
constexpr const char* kOldConfigTypeCheck = "CHECK (config_type IN ('sync', 'reset_connection'))";
constexpr const char* kConfigTypeCheck = "CHECK (config_type IN ('sync', 'reset_connection', 'refresh', 'clear'))";
// The schedule types migration 5 allows (continuous added).
constexpr const char* kOldScheduleTypeCheck = "CHECK (schedule_type IN ('manual', 'basic', 'cron'))";
constexpr const char* kScheduleTypeCheck = "CHECK (schedule_type IN ('manual', 'basic', 'cron', 'continuous'))";

// Widens a column's CHECK on `table` (old_check → new_check; the constraint is named
// `<table>_<column>_check` by PostgreSQL's default rule, which replaces it). SQLite cannot alter
// a constraint, and rebuilding the table would cascade the drop to the rows that reference it:
// it takes SQLite's documented way for changes that leave every stored row valid
// (sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes") — rewrite the
// table's CREATE text in sqlite_schema and bump schema_version so every connection reloads the
// schema — inside the migration's transaction.
Status WidenCheck(SqlTransaction& tx, const char* table, const char* column, const char* old_check,
                  const char* new_check) {
  if (tx.dialect() == Dialect::kPostgres) {
    return tx.ExecScript(fmt::format(
        "ALTER TABLE {0} DROP CONSTRAINT IF EXISTS {0}_{1}_check; "
        "ALTER TABLE {0} ADD CONSTRAINT {0}_{1}_check {2}",
        table, column, new_check));
  }
  SLUICE_ASSIGN_OR_RETURN(SqlRows version, tx.Query("PRAGMA schema_version"));
  const int64_t schema_version = version.at(0).GetInt(0);
  SLUICE_RETURN_IF_ERROR(tx.ExecScript("PRAGMA writable_schema = ON"));
  auto rewritten = tx.Exec("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
                           {old_check, new_check, table});
  SLUICE_RETURN_IF_ERROR(tx.ExecScript(fmt::format("PRAGMA schema_version = {}", schema_version + 1)));
  SLUICE_RETURN_IF_ERROR(tx.ExecScript("PRAGMA writable_schema = OFF"));
  if (!rewritten.ok()) return rewritten.status();
  SLUICE_ASSIGN_OR_RETURN(SqlRows check,
                          tx.Query("SELECT instr(sql, ?) FROM sqlite_schema WHERE type = 'table' AND name = ?",
                                   {new_check, table}));
  if (check.empty() || check[0].GetInt(0) == 0) {
    return Status::SystemError(
        fmt::format("the table {} does not have the expected {} CHECK; it was not changed", table, column));
  }
  return Status::Ok();
}

Status WidenJobConfigTypes(SqlTransaction& tx) {
  return WidenCheck(tx, "jobs", "config_type", kOldConfigTypeCheck, kConfigTypeCheck);
}
Status WidenScheduleTypes(SqlTransaction& tx) {
  return WidenCheck(tx, "connections", "schedule_type", kOldScheduleTypeCheck, kScheduleTypeCheck);
}

// Conventions: ids are UUID text (job ids: increasing integers); timestamps are epoch
// milliseconds (BIGINT); JSON documents are TEXT in both dialects (stored and returned exactly as
// written, never queried inside but by migration 2's one-time backfill); booleans are BOOLEAN (0/1 in SQLite).
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1,
       "initial schema",
       {
           {"CREATE TABLE workspaces ("
            " id TEXT PRIMARY KEY,"
            " name TEXT NOT NULL,"
            " email TEXT,"
            " initial_setup_complete BOOLEAN NOT NULL DEFAULT FALSE,"
            " anonymous_data_collection BOOLEAN NOT NULL DEFAULT FALSE,"
            " news BOOLEAN NOT NULL DEFAULT FALSE,"
            " security_updates BOOLEAN NOT NULL DEFAULT FALSE,"
            " notification_settings TEXT NOT NULL,"
            " created_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL)"},
           {SeedDefaultWorkspace(kSqliteUuid), SeedDefaultWorkspace(kPostgresUuid)},
           // Sources and destinations: one table as Airbyte's `actor`; deleted ones are tombstoned.
           {"CREATE TABLE actors ("
            " id TEXT PRIMARY KEY,"
            " kind TEXT NOT NULL CHECK (kind IN ('source', 'destination')),"
            " workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
            " definition_name TEXT NOT NULL,"
            " name TEXT NOT NULL,"
            " configuration TEXT NOT NULL,"
            " tombstone BOOLEAN NOT NULL DEFAULT FALSE,"
            " created_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL)"},
           {"CREATE INDEX actors_by_workspace ON actors (workspace_id, kind)"},
           {"CREATE TABLE connections ("
            " id TEXT PRIMARY KEY,"
            " name TEXT NOT NULL,"
            " source_id TEXT NOT NULL REFERENCES actors(id),"
            " destination_id TEXT NOT NULL REFERENCES actors(id),"
            " status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'deprecated')),"
            " schedule_type TEXT NOT NULL CHECK (schedule_type IN ('manual', 'basic', 'cron')),"
            " schedule_data TEXT,"
            " sync_catalog TEXT NOT NULL,"
            " namespace_definition TEXT NOT NULL,"
            " namespace_format TEXT,"
            " prefix TEXT NOT NULL,"
            " resource_requirements TEXT,"
            " notify_schema_changes BOOLEAN NOT NULL DEFAULT FALSE,"
            " non_breaking_changes_preference TEXT NOT NULL,"
            " consecutive_failures INTEGER NOT NULL DEFAULT 0,"
            " created_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL)"},
           {"CREATE INDEX connections_by_source ON connections (source_id)"},
           {"CREATE INDEX connections_by_destination ON connections (destination_id)"},
           {CreateJobsTable("id INTEGER PRIMARY KEY AUTOINCREMENT"),
            CreateJobsTable("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
           {"CREATE INDEX jobs_by_connection ON jobs (connection_id, id)"},
           {"CREATE INDEX jobs_by_status ON jobs (status, id)"},
           // The database itself guarantees at most one unfinished job per connection.
           {"CREATE UNIQUE INDEX jobs_one_unfinished_per_connection ON jobs (connection_id)"
            " WHERE status IN ('pending', 'running', 'incomplete')"},
           {"CREATE TABLE attempts ("
            " job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
            " attempt_number INTEGER NOT NULL,"
            " status TEXT NOT NULL CHECK (status IN ('running', 'failed', 'succeeded')),"
            " worker_id TEXT,"
            " created_at BIGINT NOT NULL,"
            " ended_at BIGINT,"
            " stats TEXT,"
            " failure_summary TEXT,"
            " PRIMARY KEY (job_id, attempt_number))"},
           {"CREATE TABLE attempt_logs ("
            " job_id BIGINT NOT NULL,"
            " attempt_number INTEGER NOT NULL,"
            " seq BIGINT NOT NULL,"
            " line TEXT NOT NULL,"
            " PRIMARY KEY (job_id, attempt_number, seq),"
            " FOREIGN KEY (job_id, attempt_number) REFERENCES attempts (job_id, attempt_number) ON DELETE CASCADE)"},
           {"CREATE TABLE connection_states ("
            " connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,"
            " state TEXT NOT NULL,"
            " updated_at BIGINT NOT NULL)"},
           {"CREATE TABLE users ("
            " id TEXT PRIMARY KEY,"
            " email TEXT NOT NULL,"
            " email_key TEXT NOT NULL UNIQUE,"  // ASCII-lowercased email: unique case-insensitively
            " name TEXT NOT NULL,"
            " role TEXT NOT NULL CHECK (role IN ('admin', 'data_engineer', 'analyst', 'viewer')),"
            " password_hash TEXT NOT NULL,"
            " must_change_password BOOLEAN NOT NULL DEFAULT FALSE,"
            " created_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL)"},
           {"CREATE TABLE api_keys ("
            " id TEXT PRIMARY KEY,"
            " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
            " name TEXT NOT NULL,"
            " token_hash TEXT NOT NULL UNIQUE,"
            " created_at BIGINT NOT NULL,"
            " last_used_at BIGINT)"},
           {"CREATE INDEX api_keys_by_user ON api_keys (user_id)"},
           {"CREATE TABLE sessions ("
            " token_hash TEXT PRIMARY KEY,"
            " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
            " created_at BIGINT NOT NULL,"
            " expires_at BIGINT NOT NULL)"},
           {"CREATE INDEX sessions_by_user ON sessions (user_id)"},
       }},
      // The dashboard's per-day figures (SyncJobStats) are SQL aggregates over finished jobs:
      // the committed records and bytes of a job's attempts are kept on the job row (summed
      // by FinishAttempt) so no JSON is parsed per job, and a partial covering index serves
      // "finished between" scans without touching the table.
      {2,
       "job totals and the finished-jobs index",
       {
           {"ALTER TABLE jobs ADD COLUMN records_committed BIGINT NOT NULL DEFAULT 0"},
           {"ALTER TABLE jobs ADD COLUMN bytes_committed BIGINT NOT NULL DEFAULT 0"},
           {"UPDATE jobs SET"
            " records_committed = COALESCE((SELECT SUM(CAST(json_extract(a.stats, '$.recordsCommitted') AS INTEGER))"
            "   FROM attempts a WHERE a.job_id = jobs.id AND json_valid(a.stats)), 0),"
            " bytes_committed = COALESCE((SELECT SUM(CAST(json_extract(a.stats, '$.bytesCommitted') AS INTEGER))"
            "   FROM attempts a WHERE a.job_id = jobs.id AND json_valid(a.stats)), 0)"
            " WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = jobs.id AND a.stats IS NOT NULL)",
            "UPDATE jobs SET"
            " records_committed = COALESCE((SELECT SUM((a.stats::json ->> 'recordsCommitted')::numeric)"
            "   FROM attempts a WHERE a.job_id = jobs.id AND a.stats LIKE '{%}'), 0)::bigint,"
            " bytes_committed = COALESCE((SELECT SUM((a.stats::json ->> 'bytesCommitted')::numeric)"
            "   FROM attempts a WHERE a.job_id = jobs.id AND a.stats LIKE '{%}'), 0)::bigint"
            " WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = jobs.id AND a.stats IS NOT NULL)"},
           {"CREATE INDEX jobs_finished ON jobs"
            " (updated_at, config_type, status, started_at, records_committed, bytes_committed, connection_id)"
            " WHERE status IN ('succeeded', 'failed', 'cancelled')"},
       }},
      // Schema changes (platform/schema_policy.h): the connection's pending change for the
      // user's review, and what each attempt found and did about a changed source schema.
      {3,
       "schema changes of connections and attempts",
       {
           {"ALTER TABLE connections ADD COLUMN schema_change TEXT NOT NULL DEFAULT 'no_change'"
            " CHECK (schema_change IN ('no_change', 'non_breaking', 'breaking'))"},
           {"ALTER TABLE connections ADD COLUMN pending_catalog_diff TEXT"},
           {"ALTER TABLE attempts ADD COLUMN schema_change TEXT"},
       }},
      // Refreshes and clears (Airbyte 1.0): every stream of a connection has a generation, 0
      // until its first refresh or clear, +1 for each; a refresh or clear job lists its streams
      // and what it does to each (JSON, with the generation each started, set by the first
      // attempt). Namespaces are '' when the stream has none (part of the key).
      {4,
       "stream generations, refresh and clear jobs",
       {
           {.run = WidenJobConfigTypes},
           {"ALTER TABLE jobs ADD COLUMN streams TEXT"},
           {"CREATE TABLE stream_generations ("
            " connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,"
            " stream_namespace TEXT NOT NULL,"
            " stream_name TEXT NOT NULL,"
            " generation_id BIGINT NOT NULL,"
            " job_id BIGINT,"  // the job that started this generation
            " updated_at BIGINT NOT NULL,"
            " PRIMARY KEY (connection_id, stream_namespace, stream_name))"},
       }},
      // Continuous connections (scheduleType continuous): one sync job kept running.
      {5, "continuous schedule type", {{.run = WidenScheduleTypes}}},
      // Operations run after a connection's syncs (Airbyte's operations and operationIds).
      {6,
       "operations",
       {
           {"CREATE TABLE operations ("
            " id TEXT PRIMARY KEY,"
            " workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
            " name TEXT NOT NULL,"
            " operator_configuration TEXT NOT NULL,"
            " created_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL)"},
           {"CREATE INDEX operations_by_workspace ON operations (workspace_id)"},
           {"ALTER TABLE connections ADD COLUMN operation_ids TEXT NOT NULL DEFAULT '[]'"},
       }},
      // Custom source connectors from declarative manifests (Airbyte's custom source definitions
      // with their active declarativeManifest); sources of one name it in definition_name.
      {7,
       "custom source definitions",
       {
           {"CREATE TABLE custom_source_definitions ("
            " id TEXT PRIMARY KEY,"
            " workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
            " name TEXT NOT NULL,"
            " manifest TEXT NOT NULL,"
            " version BIGINT NOT NULL,"
            " description TEXT NOT NULL,"
            " created_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL)"},
       }},
      // Workspace membership: a user reaches every workspace (the default, so existing users keep
      // what they had) or only the workspaces listed for it.
      {8,
       "workspace membership",
       {
           {"ALTER TABLE users ADD COLUMN all_workspaces BOOLEAN NOT NULL DEFAULT TRUE"},
           {"CREATE TABLE user_workspaces ("
            " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
            " workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
            " PRIMARY KEY (user_id, workspace_id))"},
       }},
      // connections/list reads the live connections in list order from this index (and their
      // updated_at, the version of each answer fragment), never the deleted ones that pile up.
      {9,
       "index of live connections",
       {
           {"CREATE INDEX connections_live ON connections (created_at, id, updated_at, source_id)"
            " WHERE status <> 'deprecated'"},
       }},
  };
  return migrations;
}

Status ApplyOne(SqlTransaction& tx, const Migration& migration, int64_t now_ms) {
  for (const Step& step : migration.steps) {
    if (step.run != nullptr) {
      SLUICE_RETURN_IF_ERROR(step.run(tx));
      continue;
    }
    const std::string& sql = tx.dialect() == Dialect::kPostgres && !step.postgres.empty() ? step.postgres : step.sql;
    SLUICE_RETURN_IF_ERROR(tx.ExecScript(sql));
  }
  auto recorded =
      tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", {migration.version, now_ms});
  return recorded.ok() ? Status::Ok() : recorded.status();
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Result<int> CurrentSchemaVersion(SqlDatabase& db) {
  const char* exists = db.dialect() == Dialect::kPostgres
                           ? "SELECT 1 WHERE to_regclass('schema_migrations') IS NOT NULL"
                           : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
  SLUICE_ASSIGN_OR_RETURN(SqlRows table, db.Query(exists));
  if (table.empty()) return 0;
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(rows.at(0).GetInt(0));
}

Status Migrate(SqlDatabase& db, int64_t now_ms) {
  const int latest = LatestSchemaVersion();
  for (;;) {  // one migration per transaction
    SLUICE_ASSIGN_OR_RETURN(auto tx, db.Begin());
    if (db.dialect() == Dialect::kPostgres) {
      SLUICE_ASSIGN_OR_RETURN(auto locked, tx->Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLockKey}));
    }
    SLUICE_RETURN_IF_ERROR(tx->ExecScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"));
    SLUICE_ASSIGN_OR_RETURN(SqlRows rows, tx->Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    const int current = static_cast<int>(rows.at(0).GetInt(0));
    if (current > latest) {
      return Status::ConfigError(fmt::format(
          "the metadata store {} has schema version {}, newer than this sluice binary knows ({}): upgrade sluice",
          db.description(), current, latest));
    }
    if (current == latest) return tx->Commit();
    const Migration& next = Migrations().at(current);  // versions are 1, 2, 3, …
    Status applied = ApplyOne(*tx, next, now_ms);
    if (!applied.ok()) return applied.WithContext(fmt::format("metadata migration {} ({})", next.version, next.name));
    SLUICE_RETURN_IF_ERROR(tx->Commit());
  }
}

}  // namespace sluice
