// MetadataStore: operations (run after a connection's syncs) and their place in connections'
// operation_ids.
#include <fmt/format.h>

#include "metadata/metadata_store.h"
#include "metadata/store_internal.h"

namespace sluice {

using store_internal::AllRows;
using store_internal::Execute;
using store_internal::FirstRow;
using store_internal::JsonColumn;

namespace {

constexpr const char* kOperationColumns = "id, workspace_id, name, operator_configuration, created_at, updated_at";

Operation OperationFromRow(const SqlRow& row) {
  Operation o;
  o.operation_id = row.GetText(0);
  o.workspace_id = row.GetText(1);
  o.name = row.GetText(2);
  o.operator_configuration = JsonColumn(row, 3);
  o.created_at = row.GetInt(4);
  o.updated_at = row.GetInt(5);
  return o;
}

}  // namespace

Result<Operation> MetadataStore::CreateOperation(Operation o, int64_t now) {
  o.operation_id = NewUuid();
  o.created_at = o.updated_at = now;
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(SqlRows ws, tx->Query("SELECT 1 FROM workspaces WHERE id = ?", {o.workspace_id}));
  if (ws.empty()) return Status::ConfigError(fmt::format("workspaceId: no workspace '{}'", o.workspace_id));
  SLUICE_RETURN_IF_ERROR(
      Execute(*tx, fmt::format("INSERT INTO operations ({}) VALUES (?, ?, ?, ?, ?, ?)", kOperationColumns),
              {o.operation_id, o.workspace_id, o.name, o.operator_configuration.dump(), now, now}));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return o;
}

Result<std::optional<Operation>> MetadataStore::GetOperation(const std::string& operation_id) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows, db_->Query(fmt::format("SELECT {} FROM operations WHERE id = ?", kOperationColumns), {operation_id}));
  return FirstRow(rows, OperationFromRow);
}

Result<std::vector<Operation>> MetadataStore::ListOperations(const std::string& workspace_id) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(fmt::format("SELECT {} FROM operations WHERE workspace_id = ? ORDER BY created_at, id", kOperationColumns),
                 {workspace_id}));
  return AllRows(rows, OperationFromRow);
}

Result<std::optional<Operation>> MetadataStore::UpdateOperation(const Operation& o, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(int64_t changed,
                          db_->Exec("UPDATE operations SET name = ?, operator_configuration = ?, updated_at = ? "
                                    "WHERE id = ?",
                                    {o.name, o.operator_configuration.dump(), now, o.operation_id}));
  if (changed == 0) return std::optional<Operation>();
  return GetOperation(o.operation_id);
}

Result<bool> MetadataStore::DeleteOperation(const std::string& operation_id, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  // Ids are UUIDs: a quoted id in the JSON text finds exactly the connections that list it.
  SLUICE_ASSIGN_OR_RETURN(SqlRows using_it,
                          tx->Query("SELECT id, operation_ids FROM connections WHERE operation_ids LIKE ?",
                                    {fmt::format("%\"{}\"%", operation_id)}));
  for (const SqlRow& row : using_it) {
    Json ids = JsonColumn(row, 1);
    Json kept = Json::array();
    if (ids.is_array()) {
      for (const Json& id : ids) {
        if (id != operation_id) kept.push_back(id);
      }
    }
    SLUICE_RETURN_IF_ERROR(Execute(*tx, fmt::format("UPDATE connections SET operation_ids = ?, {} WHERE id = ?",
                                               store_internal::kBumpUpdatedAt),
                                   {kept.dump(), now, now, row.GetText(0)}));
  }
  SLUICE_ASSIGN_OR_RETURN(int64_t changed, tx->Exec("DELETE FROM operations WHERE id = ?", {operation_id}));
  if (changed == 0) return false;
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return true;
}

}  // namespace sluice
