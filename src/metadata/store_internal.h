#pragma once
// Helpers shared by the metadata_store*.cc files (not part of the module's API).

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/json.h"
#include "metadata/sql_database.h"

namespace sluice::store_internal {

//! `SET` clause of every write of a connection row: updated_at = now, or one more than it was when
//! that is not later (two writes in one millisecond, or another machine's clock behind). Takes
//! `now` twice. Every write moves it, so (id, updated_at) names a row's content
//! (MetadataStore::ListConnectionVersions) and ConnectionsVersion sees every change.
inline constexpr const char* kBumpUpdatedAt = "updated_at = CASE WHEN updated_at >= ? THEN updated_at + 1 ELSE ? END";

//! A JSON document as a TEXT parameter; a null document is SQL NULL.
inline SqlValue JsonParam(const Json& value) {
  if (value.is_null()) return SqlValue();
  return SqlValue(value.dump());
}

//! A TEXT column as JSON; SQL NULL is a null document. Text that is not JSON (edited by hand)
//! comes back as a JSON string rather than failing the whole read.
inline Json JsonColumn(const SqlRow& row, size_t column) {
  if (row.IsNull(column)) return Json();
  const std::string text = row.GetText(column);
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(text) : parsed;
}

//! Runs a statement whose affected-row count does not matter.
inline Status Execute(SqlSession& session, std::string_view sql, const SqlParams& params = {}) {
  auto done = session.Exec(sql, params);
  return done.ok() ? Status::Ok() : done.status();
}

//! Inserts one row of a workspace's record (an actor, an operation, a custom definition) in one
//! transaction: `values` in the order of `columns` (comma-separated names). ConfigError
//! "workspaceId: no workspace '…'" when `workspace_id` names none.
inline Status InsertWorkspaceRow(SqlDatabase& db, std::string_view table, std::string_view columns,
                                 const std::string& workspace_id, const SqlParams& values) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db.Begin());
  SLUICE_ASSIGN_OR_RETURN(SqlRows ws, tx->Query("SELECT 1 FROM workspaces WHERE id = ?", {workspace_id}));
  if (ws.empty()) return Status::ConfigError(fmt::format("workspaceId: no workspace '{}'", workspace_id));
  std::string placeholders;
  for (size_t i = 0; i < values.size(); ++i) placeholders += i == 0 ? "?" : ", ?";
  SLUICE_RETURN_IF_ERROR(Execute(*tx, fmt::format("INSERT INTO {} ({}) VALUES ({})", table, columns, placeholders), values));
  return tx->Commit();
}

//! " FOR UPDATE" on PostgreSQL (row lock until the end of the transaction); SQLite needs none,
//! its write transactions are exclusive.
inline const char* ForUpdate(Dialect dialect) { return dialect == Dialect::kPostgres ? " FOR UPDATE" : ""; }

//! The first of `rows` as made by `from_row` (a row → value function), or nullopt when there is none.
template <typename FromRow>
auto FirstRow(const SqlRows& rows, FromRow from_row) -> std::optional<decltype(from_row(rows[0]))> {
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

//! Each of `rows` as made by `from_row`, in order.
template <typename FromRow>
auto AllRows(const SqlRows& rows, FromRow from_row) -> std::vector<decltype(from_row(rows[0]))> {
  std::vector<decltype(from_row(rows[0]))> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) out.push_back(from_row(row));
  return out;
}

//! A table of workspace-scoped records (operations, custom source definitions) whose first
//! columns are `id, workspace_id` and that have `created_at`: its reads and its insert, one
//! place for what their stores share. `from_row` maps a row of `columns` to a Record.
template <typename Record>
struct WorkspaceTable {
  std::string_view table;
  std::string_view columns;
  Record (*from_row)(const SqlRow&);

  Status Insert(SqlDatabase& db, const std::string& workspace_id, const SqlParams& values) const {
    return InsertWorkspaceRow(db, table, columns, workspace_id, values);
  }
  Result<std::optional<Record>> Get(SqlDatabase& db, const std::string& id) const {
    SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db.Query(fmt::format("SELECT {} FROM {} WHERE id = ?", columns, table), {id}));
    return FirstRow(rows, from_row);
  }
  //! Oldest first; `workspace_id` "": every workspace's.
  Result<std::vector<Record>> List(SqlDatabase& db, const std::string& workspace_id) const {
    const std::string sql = fmt::format("SELECT {} FROM {} {} ORDER BY created_at, id", columns, table,
                                        workspace_id.empty() ? "" : "WHERE workspace_id = ?");
    SLUICE_ASSIGN_OR_RETURN(SqlRows rows, workspace_id.empty() ? db.Query(sql) : db.Query(sql, {workspace_id}));
    return AllRows(rows, from_row);
  }
};

}  // namespace sluice::store_internal
