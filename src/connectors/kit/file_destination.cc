#include "connectors/kit/file_destination.h"

#include <fmt/format.h>

#include "base/uuid.h"

namespace sluice {

ConnectorSpec FileDestinationSpec(std::string_view connection_specification, std::string_view folder) {
  ConnectorSpec spec;
  spec.documentation_url = fmt::format("https://github.com/sluice/sluice/tree/main/src/connectors/destinations/{}", folder);
  spec.connection_specification = Json::parse(connection_specification);
  spec.supported_destination_sync_modes = {DestinationSyncMode::kOverwrite, DestinationSyncMode::kAppend};
  return spec;
}

bool ReplacesOlderGenerations(const ConfiguredStream& stream) {
  return stream.generation_id && stream.minimum_generation_id && *stream.minimum_generation_id > 0 &&
         *stream.minimum_generation_id == *stream.generation_id;
}

Status CheckFileSyncMode(const ConfiguredStream& stream, std::string_view connector) {
  const DestinationSyncMode mode = stream.destination_sync_mode;
  if (mode == DestinationSyncMode::kOverwrite || mode == DestinationSyncMode::kAppend) return Status::Ok();
  return Status::ConfigError(
      fmt::format("stream '{}': {} does not support destination sync mode {} (supported: overwrite, append)",
                  stream.descriptor().ToString(), connector, DestinationSyncModeName(mode)));
}

Result<std::vector<FileStreamPlan>> PlanFileStreams(const ConfiguredCatalog& catalog, std::string_view connector,
                                                    int64_t start_micros) {
  std::vector<FileStreamPlan> plans;
  UuidV4Generator uuids;
  for (const ConfiguredStream& s : catalog.streams) {
    SLUICE_RETURN_IF_ERROR(CheckFileSyncMode(s, connector));
    FileStreamPlan plan{.name = s.descriptor().ToString(),
                        .mode = ReplacesOlderGenerations(s) ? DestinationSyncMode::kOverwrite : s.destination_sync_mode,
                        .generation_id = s.generation_id.value_or(0),
                        .sync_id = s.sync_id.value_or(0),
                        .schema = s.schema,
                        .path = {.stream = s.descriptor(), .sync_start_micros = start_micros}};
    uuids.Append(plan.path.uuid);
    plans.push_back(std::move(plan));
  }
  return plans;
}

Status CheckStreamLocations(const std::vector<StreamLocation>& streams, bool folders, std::string_view json_path) {
  const std::string_view noun = folders ? "folder" : "key prefix";
  for (size_t i = 0; i < streams.size(); ++i) {
    const StreamLocation& a = streams[i];
    for (size_t j = 0; j < streams.size(); ++j) {
      const StreamLocation& b = streams[j];
      if (i == j) continue;
      if (i < j && a.location == b.location) {
        return Status::ConfigError(
            fmt::format("{}: streams '{}' and '{}' both map to {} '{}'; include ${{STREAM_NAME}} (and ${{NAMESPACE}})",
                        json_path, a.stream, b.stream, noun, a.location));
      }
      if (!a.cleared) continue;
      const std::string& cleared = *a.cleared;
      const bool inside = folders ? b.location.size() > cleared.size() && b.location.starts_with(cleared) &&
                                        b.location[cleared.size()] == '/'
                                  : b.location.starts_with(cleared);
      if (inside) {
        return Status::ConfigError(fmt::format(
            "{}: the {} '{}' of stream '{}' is inside the {} '{}' of stream '{}', which an overwrite clears; give each "
            "stream its own {}",
            json_path, noun, b.location, b.stream, noun, cleared, a.stream, noun));
      }
    }
  }
  return Status::Ok();
}

}  // namespace sluice
