// MetadataStore: opening, enums, workspaces, sources/destinations, connections, state.
// The job queue is in metadata_store_jobs.cc, users/keys/sessions in metadata_store_users.cc.
#include "metadata/metadata_store.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <mutex>
#include <random>

#include "metadata/migrations.h"
#include "metadata/store_internal.h"

namespace sluice {

using store_internal::AllRows;
using store_internal::Execute;
using store_internal::FirstRow;
using store_internal::ForUpdate;
using store_internal::InsertWorkspaceRow;
using store_internal::JsonColumn;
using store_internal::JsonParam;
using store_internal::kBumpUpdatedAt;

namespace {

template <typename E, size_t N>
std::string_view NameOf(E value, const std::array<std::string_view, N>& names) {
  return names.at(static_cast<size_t>(value));
}

template <typename E, size_t N>
std::optional<E> Parse(std::string_view name, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> kActorKinds = {"source", "destination"};
constexpr std::array<std::string_view, 3> kConnectionStatuses = {"active", "inactive", "deprecated"};
constexpr std::array<std::string_view, 4> kScheduleTypes = {"manual", "basic", "cron", "continuous"};
constexpr std::array<std::string_view, 4> kConfigTypes = {"sync", "reset_connection", "refresh", "clear"};
constexpr std::array<std::string_view, 3> kStreamActions = {"refresh_truncate", "refresh_merge", "clear"};
constexpr std::array<std::string_view, 6> kJobStatuses = {"pending", "running",   "incomplete",
                                                          "failed",  "succeeded", "cancelled"};
constexpr std::array<std::string_view, 3> kAttemptStatuses = {"running", "failed", "succeeded"};
constexpr std::array<std::string_view, 4> kUserRoles = {"admin", "data_engineer", "analyst", "viewer"};

}  // namespace

std::string_view ActorKindName(ActorKind kind) { return NameOf(kind, kActorKinds); }
std::string_view ConnectionStatusName(ConnectionStatus s) { return NameOf(s, kConnectionStatuses); }
std::optional<ConnectionStatus> ParseConnectionStatus(std::string_view n) {
  return Parse<ConnectionStatus>(n, kConnectionStatuses);
}
std::string_view ScheduleTypeName(ScheduleType t) { return NameOf(t, kScheduleTypes); }
std::optional<ScheduleType> ParseScheduleType(std::string_view n) { return Parse<ScheduleType>(n, kScheduleTypes); }
std::string_view JobConfigTypeName(JobConfigType t) { return NameOf(t, kConfigTypes); }
std::optional<JobConfigType> ParseJobConfigType(std::string_view n) { return Parse<JobConfigType>(n, kConfigTypes); }
std::string_view StreamActionName(StreamAction a) { return NameOf(a, kStreamActions); }
std::optional<StreamAction> ParseStreamAction(std::string_view n) { return Parse<StreamAction>(n, kStreamActions); }
std::string_view JobStatusName(JobStatus s) { return NameOf(s, kJobStatuses); }
std::optional<JobStatus> ParseJobStatus(std::string_view n) { return Parse<JobStatus>(n, kJobStatuses); }
std::string_view AttemptStatusName(AttemptStatus s) { return NameOf(s, kAttemptStatuses); }
bool IsTerminal(JobStatus s) {
  return s == JobStatus::kFailed || s == JobStatus::kSucceeded || s == JobStatus::kCancelled;
}
std::string_view UserRoleName(UserRole r) { return NameOf(r, kUserRoles); }
std::optional<UserRole> ParseUserRole(std::string_view n) { return Parse<UserRole>(n, kUserRoles); }

std::string NewUuid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi, lo;
  {
    std::lock_guard<std::mutex> lock(mu);
    hi = rng();
    lo = rng();
  }
  hi = (hi & ~0xf000ULL) | 0x4000ULL;            // version 4
  lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);  // variant 10xx
  const std::string h = fmt::format("{:016x}{:016x}", hi, lo);
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4),
                     h.substr(20, 12));
}

Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(std::string_view url, int64_t now_ms,
                                                           MetadataStoreOptions options) {
  SLUICE_ASSIGN_OR_RETURN(auto db, OpenSqlDatabase(url, options.sql));
  SLUICE_RETURN_IF_ERROR(Migrate(*db, now_ms));
  return std::make_unique<MetadataStore>(std::move(db), std::move(options));
}

MetadataStore::MetadataStore(std::unique_ptr<SqlDatabase> db, MetadataStoreOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

// --- workspaces ---

namespace {

constexpr const char* kWorkspaceColumns =
    "id, name, email, initial_setup_complete, anonymous_data_collection, news, security_updates, "
    "notification_settings, created_at, updated_at";

Workspace WorkspaceFromRow(const SqlRow& row) {
  Workspace w;
  w.workspace_id = row.GetText(0);
  w.name = row.GetText(1);
  w.email = row.GetOptionalText(2);
  w.initial_setup_complete = row.GetBool(3);
  w.anonymous_data_collection = row.GetBool(4);
  w.news = row.GetBool(5);
  w.security_updates = row.GetBool(6);
  w.notification_settings = JsonColumn(row, 7);
  w.created_at = row.GetInt(8);
  w.updated_at = row.GetInt(9);
  return w;
}

}  // namespace

Result<Workspace> MetadataStore::CreateWorkspace(Workspace w, int64_t now) {
  w.workspace_id = NewUuid();
  if (w.notification_settings.is_null()) w.notification_settings = Json::parse(kDefaultNotificationSettingsJson);
  w.created_at = w.updated_at = now;
  SLUICE_RETURN_IF_ERROR(
      Execute(*db_, fmt::format("INSERT INTO workspaces ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kWorkspaceColumns),
              {w.workspace_id, w.name, w.email, w.initial_setup_complete, w.anonymous_data_collection, w.news,
               w.security_updates, JsonParam(w.notification_settings), now, now}));
  return w;
}

Result<std::optional<Workspace>> MetadataStore::GetWorkspace(const std::string& workspace_id) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(fmt::format("SELECT {} FROM workspaces WHERE id = ?", kWorkspaceColumns), {workspace_id}));
  return FirstRow(rows, WorkspaceFromRow);
}

Result<std::vector<Workspace>> MetadataStore::ListWorkspaces() {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows, db_->Query(fmt::format("SELECT {} FROM workspaces ORDER BY created_at, id", kWorkspaceColumns)));
  return AllRows(rows, WorkspaceFromRow);
}

Result<std::optional<std::string>> MetadataStore::WorkspaceOf(WorkspaceObject kind, const std::string& id) {
  // A connection's workspace is its source's (connections have no column of their own).
  const char* sql = nullptr;
  SqlParams params = {id};
  switch (kind) {
    case WorkspaceObject::kSource:
    case WorkspaceObject::kDestination:
      sql = "SELECT workspace_id FROM actors WHERE id = ? AND kind = ?";
      params.emplace_back(kind == WorkspaceObject::kSource ? "source" : "destination");
      break;
    case WorkspaceObject::kConnection:
      sql = "SELECT a.workspace_id FROM connections c JOIN actors a ON a.id = c.source_id WHERE c.id = ?";
      break;
    case WorkspaceObject::kOperation:
      sql = "SELECT workspace_id FROM operations WHERE id = ?";
      break;
    case WorkspaceObject::kJob: {
      int64_t job_id = 0;
      auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), job_id);
      if (ec != std::errc() || end != id.data() + id.size()) return std::optional<std::string>();
      sql = "SELECT a.workspace_id FROM jobs j JOIN connections c ON c.id = j.connection_id "
            "JOIN actors a ON a.id = c.source_id WHERE j.id = ?";
      params = {job_id};
      break;
    }
  }
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql, params));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].GetText(0));
}

Result<std::optional<Workspace>> MetadataStore::UpdateWorkspace(const Workspace& w, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(
      int64_t changed,
      db_->Exec("UPDATE workspaces SET name = ?, email = ?, initial_setup_complete = ?, anonymous_data_collection = ?, "
                "news = ?, security_updates = ?, notification_settings = ?, updated_at = ? WHERE id = ?",
                {w.name, w.email, w.initial_setup_complete, w.anonymous_data_collection, w.news, w.security_updates,
                 w.notification_settings.is_null() ? SqlValue(kDefaultNotificationSettingsJson)
                                                   : JsonParam(w.notification_settings),
                 now, w.workspace_id}));
  if (changed == 0) return std::optional<Workspace>();
  return GetWorkspace(w.workspace_id);
}

// --- sources and destinations ---

namespace {

constexpr const char* kActorColumns =
    "kind, id, workspace_id, definition_name, name, configuration, created_at, updated_at";

Actor ActorFromRow(const SqlRow& row) {
  Actor a;
  a.kind = row.GetText(0) == "destination" ? ActorKind::kDestination : ActorKind::kSource;
  a.id = row.GetText(1);
  a.workspace_id = row.GetText(2);
  a.definition_name = row.GetText(3);
  a.name = row.GetText(4);
  a.configuration = row.GetText(5);
  a.created_at = row.GetInt(6);
  a.updated_at = row.GetInt(7);
  return a;
}

}  // namespace

Result<Actor> MetadataStore::CreateActor(Actor a, int64_t now) {
  a.id = NewUuid();
  a.created_at = a.updated_at = now;
  SLUICE_RETURN_IF_ERROR(
      InsertWorkspaceRow(*db_, "actors", kActorColumns, a.workspace_id,
                         {ActorKindName(a.kind), a.id, a.workspace_id, a.definition_name, a.name, a.configuration, now, now}));
  return a;
}

Result<std::optional<Actor>> MetadataStore::GetActor(ActorKind kind, const std::string& id) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(fmt::format("SELECT {} FROM actors WHERE id = ? AND kind = ? AND tombstone = FALSE", kActorColumns),
                 {id, ActorKindName(kind)}));
  return FirstRow(rows, ActorFromRow);
}

Result<std::vector<Actor>> MetadataStore::ListActors(ActorKind kind, const std::string& workspace_id) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows,
                          db_->Query(fmt::format("SELECT {} FROM actors WHERE workspace_id = ? AND kind = ? AND "
                                                 "tombstone = FALSE ORDER BY created_at, id",
                                                 kActorColumns),
                                     {workspace_id, ActorKindName(kind)}));
  return AllRows(rows, ActorFromRow);
}

Result<std::optional<Actor>> MetadataStore::UpdateActor(const Actor& a, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(int64_t changed, db_->Exec("UPDATE actors SET name = ?, configuration = ?, updated_at = ? "
                                                     "WHERE id = ? AND kind = ? AND tombstone = FALSE",
                                                     {a.name, a.configuration, now, a.id, ActorKindName(a.kind)}));
  if (changed == 0) return std::optional<Actor>();
  return GetActor(a.kind, a.id);
}

namespace {

// Deprecates one connection inside `tx`: cancels its waiting jobs, asks a running one to stop.
Status DeprecateConnection(SqlSession& tx, const std::string& connection_id, int64_t now) {
  SLUICE_RETURN_IF_ERROR(
      Execute(tx, fmt::format("UPDATE connections SET status = 'deprecated', {} WHERE id = ?", kBumpUpdatedAt),
              {now, now, connection_id}));
  SLUICE_RETURN_IF_ERROR(Execute(tx,
                                 "UPDATE jobs SET status = 'cancelled', updated_at = ? "
                                 "WHERE connection_id = ? AND status IN ('pending', 'incomplete')",
                                 {now, connection_id}));
  SLUICE_RETURN_IF_ERROR(Execute(tx,
                                 "UPDATE jobs SET cancel_requested = TRUE, updated_at = ? "
                                 "WHERE connection_id = ? AND status = 'running'",
                                 {now, connection_id}));
  return Status::Ok();
}

}  // namespace

Result<bool> MetadataStore::DeleteActor(ActorKind kind, const std::string& id, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(int64_t changed, tx->Exec("UPDATE actors SET tombstone = TRUE, updated_at = ? "
                                                    "WHERE id = ? AND kind = ? AND tombstone = FALSE",
                                                    {now, id, ActorKindName(kind)}));
  if (changed == 0) return false;
  SLUICE_ASSIGN_OR_RETURN(SqlRows using_it,
                          tx->Query("SELECT id FROM connections WHERE (source_id = ? OR destination_id = ?) "
                                    "AND status <> 'deprecated'",
                                    {id, id}));
  for (const SqlRow& row : using_it) SLUICE_RETURN_IF_ERROR(DeprecateConnection(*tx, row.GetText(0), now));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return true;
}

// --- connections ---

namespace {

constexpr const char* kConnectionSelect =
    "SELECT c.id, c.name, c.source_id, c.destination_id, s.workspace_id, c.status, c.schedule_type, c.schedule_data, "
    "c.sync_catalog, c.namespace_definition, c.namespace_format, c.prefix, c.resource_requirements, "
    "c.notify_schema_changes, c.non_breaking_changes_preference, c.consecutive_failures, c.created_at, c.updated_at, "
    "c.schema_change, c.pending_catalog_diff, c.operation_ids "
    "FROM connections c JOIN actors s ON s.id = c.source_id ";

Connection ConnectionFromRow(const SqlRow& row) {
  Connection c;
  c.connection_id = row.GetText(0);
  c.name = row.GetText(1);
  c.source_id = row.GetText(2);
  c.destination_id = row.GetText(3);
  c.workspace_id = row.GetText(4);
  c.status = ParseConnectionStatus(row.GetText(5)).value_or(ConnectionStatus::kInactive);
  c.schedule_type = ParseScheduleType(row.GetText(6)).value_or(ScheduleType::kManual);
  c.schedule_data = JsonColumn(row, 7);
  c.sync_catalog = JsonColumn(row, 8);
  c.namespace_definition = row.GetText(9);
  c.namespace_format = row.GetOptionalText(10);
  c.prefix = row.GetText(11);
  c.resource_requirements = JsonColumn(row, 12);
  c.notify_schema_changes = row.GetBool(13);
  c.non_breaking_changes_preference = row.GetText(14);
  c.consecutive_failures = static_cast<int>(row.GetInt(15));
  c.created_at = row.GetInt(16);
  c.updated_at = row.GetInt(17);
  c.schema_change = row.GetText(18);
  c.pending_catalog_diff = JsonColumn(row, 19);
  const Json ids = JsonColumn(row, 20);
  if (ids.is_array()) {
    for (const Json& id : ids) {
      if (id.is_string()) c.operation_ids.push_back(id.get<std::string>());
    }
  }
  return c;
}

Json OperationIdsParam(const Connection& c) { return Json(c.operation_ids); }

// Each of operation_ids must be an operation of `workspace_id`.
Status CheckOperationIds(SqlSession& tx, const std::string& workspace_id, const std::vector<std::string>& ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(SqlRows rows, tx.Query("SELECT workspace_id FROM operations WHERE id = ?", {ids[i]}));
    if (rows.empty()) return Status::ConfigError(fmt::format("operationIds[{}]: no operation '{}'", i, ids[i]));
    if (rows[0].GetText(0) != workspace_id) {
      return Status::ConfigError(
          fmt::format("operationIds[{}]: operation '{}' belongs to another workspace than the connection", i, ids[i]));
    }
  }
  return Status::Ok();
}

Result<std::optional<std::string>> LiveActorWorkspace(SqlSession& tx, ActorKind kind, const std::string& id) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows,
                          tx.Query("SELECT workspace_id FROM actors WHERE id = ? AND kind = ? AND tombstone = FALSE",
                                   {id, ActorKindName(kind)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].GetText(0));
}

}  // namespace

Result<Connection> MetadataStore::CreateConnection(Connection c, int64_t now) {
  if (c.status == ConnectionStatus::kDeprecated)
    return Status::ConfigError("status: a new connection cannot be deprecated");
  c.connection_id = NewUuid();
  c.created_at = c.updated_at = now;
  c.consecutive_failures = 0;
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(auto source_ws, LiveActorWorkspace(*tx, ActorKind::kSource, c.source_id));
  if (!source_ws) return Status::ConfigError(fmt::format("sourceId: no source '{}'", c.source_id));
  SLUICE_ASSIGN_OR_RETURN(auto destination_ws, LiveActorWorkspace(*tx, ActorKind::kDestination, c.destination_id));
  if (!destination_ws) return Status::ConfigError(fmt::format("destinationId: no destination '{}'", c.destination_id));
  if (*source_ws != *destination_ws) {
    return Status::ConfigError("destinationId: the destination belongs to another workspace than the source");
  }
  c.workspace_id = *source_ws;
  SLUICE_RETURN_IF_ERROR(CheckOperationIds(*tx, c.workspace_id, c.operation_ids));
  SLUICE_RETURN_IF_ERROR(
      Execute(*tx,
              "INSERT INTO connections (id, name, source_id, destination_id, status, schedule_type, schedule_data, "
              "sync_catalog, namespace_definition, namespace_format, prefix, resource_requirements, "
              "notify_schema_changes, non_breaking_changes_preference, consecutive_failures, created_at, updated_at, "
              "schema_change, pending_catalog_diff, operation_ids) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
              {c.connection_id, c.name, c.source_id, c.destination_id, ConnectionStatusName(c.status),
               ScheduleTypeName(c.schedule_type), JsonParam(c.schedule_data), c.sync_catalog.dump(),
               c.namespace_definition, c.namespace_format, c.prefix, JsonParam(c.resource_requirements),
               c.notify_schema_changes, c.non_breaking_changes_preference, now, now, c.schema_change,
               JsonParam(c.pending_catalog_diff), OperationIdsParam(c).dump()}));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return c;
}

Result<std::optional<Connection>> MetadataStore::GetConnection(const std::string& connection_id) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(std::string(kConnectionSelect) + "WHERE c.id = ?", {connection_id}));
  return FirstRow(rows, ConnectionFromRow);
}

Result<std::vector<Connection>> MetadataStore::ListConnections(const std::optional<std::string>& workspace_id,
                                                               bool include_deprecated, bool include_catalogs) {
  std::string sql = std::string(kConnectionSelect) + "WHERE 1 = 1";
  if (!include_catalogs) {
    static const std::string without = [] {
      std::string select = kConnectionSelect;
      for (const char* column : {"c.sync_catalog", "c.pending_catalog_diff"}) {
        select.replace(select.find(column), std::string_view(column).size(), "NULL");
      }
      return select;
    }();
    sql = without + "WHERE 1 = 1";
  }
  SqlParams params;
  if (workspace_id) {
    sql += " AND s.workspace_id = ?";
    params.emplace_back(*workspace_id);
  }
  if (!include_deprecated) sql += " AND c.status <> 'deprecated'";
  sql += " ORDER BY c.created_at, c.id";
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql, params));
  return AllRows(rows, ConnectionFromRow);
}

Result<std::vector<ConnectionVersion>> MetadataStore::ListConnectionVersions(const std::string& workspace_id) {
  // The same condition as the partial index connections_live, so the planner can read it (the
  // live rows only, in order) instead of every connection ever made. CROSS JOIN: SQLite then
  // loops over the connections first (through that index) rather than over the workspace's
  // sources and all their connections, deleted ones included, then sorting; PostgreSQL plans it
  // like any join.
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows,
                          db_->Query("SELECT c.id, c.updated_at FROM connections c CROSS JOIN actors s "
                                     "WHERE s.id = c.source_id "
                                     "AND c.status <> 'deprecated' AND s.workspace_id = ? ORDER BY c.created_at, c.id",
                                     {workspace_id}));
  std::vector<ConnectionVersion> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) out.push_back({row.GetText(0), row.GetInt(1)});
  return out;
}

Result<std::string> MetadataStore::ConnectionsVersion(const std::optional<std::string>& workspace_id) {
  std::string sql =
      "SELECT count(*), COALESCE(max(c.updated_at), 0) FROM connections c";
  SqlParams params;
  if (workspace_id) {
    sql += " JOIN actors s ON s.id = c.source_id WHERE s.workspace_id = ?";
    params.emplace_back(*workspace_id);
  }
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql, params));
  if (rows.empty()) return std::string("0");
  return fmt::format("{}:{}", rows[0].GetInt(0), rows[0].GetInt(1));
}

Result<std::optional<Connection>> MetadataStore::UpdateConnection(const Connection& c, int64_t now) {
  if (c.status == ConnectionStatus::kDeprecated) {
    return Status::ConfigError("status: use delete to deprecate a connection");
  }
  {
    SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
    SLUICE_ASSIGN_OR_RETURN(
        SqlRows rows,
        tx->Query(std::string("SELECT c.status, s.workspace_id FROM connections c JOIN actors s ON s.id = c.source_id "
                              "WHERE c.id = ?") +
                      ForUpdate(db_->dialect()),
                  {c.connection_id}));
    if (rows.empty()) return std::optional<Connection>();
    const std::string old_status = rows[0].GetText(0);
    SLUICE_RETURN_IF_ERROR(CheckOperationIds(*tx, rows[0].GetText(1), c.operation_ids));
    if (old_status == "deprecated") {
      return Status::ConfigError(fmt::format("connectionId: connection '{}' is deleted", c.connection_id));
    }
    const bool reactivated = old_status == "inactive" && c.status == ConnectionStatus::kActive;
    SLUICE_RETURN_IF_ERROR(
        Execute(*tx,
                "UPDATE connections SET name = ?, status = ?, schedule_type = ?, schedule_data = ?, sync_catalog = ?, "
                "namespace_definition = ?, namespace_format = ?, prefix = ?, resource_requirements = ?, "
                "notify_schema_changes = ?, non_breaking_changes_preference = ?, schema_change = ?, "
                "pending_catalog_diff = ?, operation_ids = ?, "
                "consecutive_failures = CASE WHEN ? THEN 0 ELSE consecutive_failures END, " +
                    std::string(kBumpUpdatedAt) + " WHERE id = ?",
                {c.name, ConnectionStatusName(c.status), ScheduleTypeName(c.schedule_type), JsonParam(c.schedule_data),
                 c.sync_catalog.dump(), c.namespace_definition, c.namespace_format, c.prefix,
                 JsonParam(c.resource_requirements), c.notify_schema_changes, c.non_breaking_changes_preference,
                 c.schema_change, JsonParam(c.pending_catalog_diff), OperationIdsParam(c).dump(), reactivated, now,
                 now, c.connection_id}));
    SLUICE_RETURN_IF_ERROR(tx->Commit());
  }
  return GetConnection(c.connection_id);
}

Result<bool> MetadataStore::DeleteConnection(const std::string& connection_id, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows, tx->Query(std::string("SELECT status FROM connections WHERE id = ?") + ForUpdate(db_->dialect()),
                              {connection_id}));
  if (rows.empty()) return false;
  if (rows[0].GetText(0) != "deprecated") SLUICE_RETURN_IF_ERROR(DeprecateConnection(*tx, connection_id, now));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return true;
}

// --- state ---

Result<std::optional<ConnectionState>> MetadataStore::GetState(const std::string& connection_id) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query("SELECT state, updated_at FROM connection_states WHERE connection_id = ?", {connection_id}));
  if (rows.empty()) return std::optional<ConnectionState>();
  return std::optional<ConnectionState>(ConnectionState{connection_id, JsonColumn(rows[0], 0), rows[0].GetInt(1)});
}

Status MetadataStore::SaveCheckpoint(const std::string& connection_id, const Json& state, JobId job_id,
                                     int attempt_number, const Json& stats, int64_t now) {
  auto saved = [&]() -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
    SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                   "INSERT INTO connection_states (connection_id, state, updated_at) VALUES (?, ?, ?) "
                                   "ON CONFLICT (connection_id) DO UPDATE SET state = excluded.state, "
                                   "updated_at = excluded.updated_at",
                                   {connection_id, state.dump(), now}));
    SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                   "UPDATE attempts SET stats = ? WHERE job_id = ? AND attempt_number = ? "
                                   "AND status = 'running'",
                                   {JsonParam(stats), job_id, attempt_number}));
    return tx->Commit();
  }();
  if (!saved.ok()) return saved.WithContext(fmt::format("saving the state of connection {}", connection_id));
  return Status::Ok();
}

Status MetadataStore::SaveState(const std::string& connection_id, const Json& state, int64_t now) {
  auto saved = db_->Exec(
      "INSERT INTO connection_states (connection_id, state, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT (connection_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
      {connection_id, state.dump(), now});
  if (!saved.ok()) return saved.status().WithContext(fmt::format("saving the state of connection {}", connection_id));
  return Status::Ok();
}

}  // namespace sluice
