// MetadataStore: custom source definitions (a name and the active declarative manifest).
#include <fmt/format.h>

#include "metadata/metadata_store.h"
#include "metadata/store_internal.h"

namespace sluice {

using store_internal::JsonColumn;
using store_internal::WorkspaceTable;

namespace {

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

constexpr WorkspaceTable<CustomSourceDefinition> kDefinitions{
    "custom_source_definitions", "id, workspace_id, name, manifest, version, description, created_at, updated_at",
    DefinitionFromRow};

}  // namespace

Result<CustomSourceDefinition> MetadataStore::CreateCustomSourceDefinition(CustomSourceDefinition d, int64_t now) {
  d.definition_id = NewUuid();
  d.created_at = d.updated_at = now;
  SLUICE_RETURN_IF_ERROR(kDefinitions.Insert(
      *db_, d.workspace_id, {d.definition_id, d.workspace_id, d.name, d.manifest.dump(), d.version, d.description, now, now}));
  return d;
}

Result<std::optional<CustomSourceDefinition>> MetadataStore::GetCustomSourceDefinition(const std::string& id) {
  return kDefinitions.Get(*db_, id);
}

Result<std::vector<CustomSourceDefinition>> MetadataStore::ListCustomSourceDefinitions(const std::string& workspace_id) {
  return kDefinitions.List(*db_, workspace_id);
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
