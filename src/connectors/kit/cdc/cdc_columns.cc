#include "connectors/kit/cdc/cdc_columns.h"

#include <string>

namespace sluice {

bool IsCdcColumn(std::string_view name) {
  for (const auto& c : kCdcColumns) {
    if (c.name == name) return true;
  }
  return false;
}

bool IsCdcColumn(std::string_view name, std::span<const CdcColumn> position) {
  if (name == kCdcUpdatedAtColumn || name == kCdcDeletedAtColumn) return true;
  for (const auto& c : position) {
    if (c.name == name) return true;
  }
  return false;
}

void AddCdcColumns(AirbyteStream& stream) { AddCdcColumns(stream, std::span<const CdcColumn>(kCdcColumns, 1)); }

void AddCdcColumns(AirbyteStream& stream, std::span<const CdcColumn> position) {
  if (!stream.json_schema.is_object()) stream.json_schema = Json{{"type", "object"}};
  Json& properties = stream.json_schema["properties"];
  if (!properties.is_object()) properties = Json::object();
  for (const auto& c : position) properties[std::string(c.name)] = JsonSchemaForType(c.type, /*nullable=*/true);
  for (const auto& c : std::span<const CdcColumn>(kCdcColumns).subspan(1)) {
    properties[std::string(c.name)] = JsonSchemaForType(c.type, /*nullable=*/true);
  }
  stream.supported_sync_modes = {SyncMode::kFullRefresh, SyncMode::kIncremental};
  stream.source_defined_cursor = true;
  stream.default_cursor_field = {std::string(position.front().name)};
  stream.is_resumable = false;
  // A user-picked cursor has no meaning for a CDC stream.
  stream.extra.erase("cursor_candidates");
}

}  // namespace sluice
