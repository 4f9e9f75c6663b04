// MetadataStore: custom source definitions (a name and the active declarative manifest).
#include <fmt/format.h>

#include "metadata/metadata_store.h"
#include "metadata/store_internal.h"

namespace sluice {

using store_internal::AllRows;
using store_internal::Execute;
using store_internal::FirstRow;
using store_internal::JsonColumn;

namespace {

constexpr const char* kDefinitionColumns = "id, workspace_id, name, manifest, version, description, created_at, updated_at";

CustomSourceDefinition DefinitionFromRow(const SqlRow& row) {
  CustomSourceDefinition d;
  d.definition_id = row.GetText(0);
  d.workspace_id = row.GetText(1);
  d.name = row.GetText(2);
  d.manifest = JsonColumn(row, 3);
  d.version = row.GetInt(4);
  d.description = row.GetText(5);
  d.created_at = row.GetInt(6);
  d.updated_at = row.GetInt(7);
  return d;
}

}  // namespace

Result<CustomSourceDefinition> MetadataStore::CreateCustomSourceDefinition(CustomSourceDefinition d, int64_t now) {
  d.definition_id = NewUuid();
  d.created_at = d.updated_at = now;
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(SqlRows ws, tx->Query("SELECT 1 FROM workspaces WHERE id = ?", {d.workspace_id}));
  if (ws.empty()) return Status::ConfigError(fmt::format("workspaceId: no workspace '{}'", d.workspace_id));
  SLUICE_RETURN_IF_ERROR(Execute(
      *tx, fmt::format("INSERT INTO custom_source_definitions ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", kDefinitionColumns),
      {d.definition_id, d.workspace_id, d.name, d.manifest.dump(), d.version, d.description, now, now}));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return d;
}

Result<std::optional<CustomSourceDefinition>> MetadataStore::GetCustomSourceDefinition(const std::string& id) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(fmt::format("SELECT {} FROM custom_source_definitions WHERE id = ?", kDefinitionColumns), {id}));
  return FirstRow(rows, DefinitionFromRow);
}

Result<std::vector<CustomSourceDefinition>> MetadataStore::ListCustomSourceDefinitions(const std::string& workspace_id) {
  const std::string sql = fmt::format("SELECT {} FROM custom_source_definitions {} ORDER BY created_at, id",
                                      kDefinitionColumns, workspace_id.empty() ? "" : "WHERE workspace_id = ?");
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, workspace_id.empty() ? db_->Query(sql) : db_->Query(sql, {workspace_id}));
  return AllRows(rows, DefinitionFromRow);
}

Result<std::optional<CustomSourceDefinition>> MetadataStore::UpdateCustomSourceDefinition(const CustomSourceDefinition& d,
                                                                                          int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(int64_t changed,
                          db_->Exec("UPDATE custom_source_definitions SET name = ?, manifest = ?, version = ?, "
                                    "description = ?, updated_at = ? WHERE id = ?",
                                    {d.name, d.manifest.dump(), d.version, d.description, now, d.definition_id}));
  if (changed == 0) return std::optional<CustomSourceDefinition>();
  return GetCustomSourceDefinition(d.definition_id);
}

}  // namespace sluice
