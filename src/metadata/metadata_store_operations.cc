// MetadataStore: operations (run after a connection's syncs) and their place in connections'
// operation_ids.
#include <fmt/format.h>

#include "metadata/metadata_store.h"
#include "metadata/store_internal.h"

namespace sluice {

using store_internal::Execute;
using store_internal::JsonColumn;
using store_internal::WorkspaceTable;

namespace {

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

constexpr WorkspaceTable<Operation> kOperations{
    "operations", "id, workspace_id, name, operator_configuration, created_at, updated_at", OperationFromRow};

}  // namespace

Result<Operation> MetadataStore::CreateOperation(Operation o, int64_t now) {
  o.operation_id = NewUuid();
  o.created_at = o.updated_at = now;
  SLUICE_RETURN_IF_ERROR(kOperations.Insert(
      *db_, o.workspace_id, {o.operation_id, o.workspace_id, o.name, o.operator_configuration.dump(), now, now}));
  return o;
}

Result<std::optional<Operation>> MetadataStore::GetOperation(const std::string& operation_id) {
  return kOperations.Get(*db_, operation_id);
}

Result<std::vector<Operation>> MetadataStore::ListOperations(const std::string& workspace_id) {
  return kOperations.List(*db_, workspace_id);
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
