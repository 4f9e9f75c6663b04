#include "platform/sync_catalog.h"

#include <fmt/format.h>

#include <set>
#include <utility>
#include <vector>

#include "connection/connection_settings.h"

namespace sluice {

namespace {

Json PathsToJson(const std::vector<FieldPath>& paths) {
  Json out = Json::array();
  for (const auto& p : paths) out.push_back(p);
  return out;
}

bool HasMode(const std::vector<SyncMode>& modes, SyncMode mode) {
  for (auto m : modes) {
    if (m == mode) return true;
  }
  return false;
}

// Collects every problem of a syncCatalog, one "path: message" each.
class Checker {
 public:
  void Fail(const std::string& path, std::string_view message) { errors_.push_back(fmt::format("{}: {}", path, message)); }
  bool ok() const { return errors_.empty(); }
  Status ToStatus() const {
    std::string text = "invalid syncCatalog";
    for (const auto& e : errors_) text += "\n" + e;
    return Status::ConfigError(text);
  }

  std::optional<std::vector<std::string>> StringList(const Json& parent, const std::string& path, const char* key) {
    if (!parent.contains(key) || parent[key].is_null()) return std::vector<std::string>{};
    const Json& v = parent[key];
    const std::string at = path + "." + key;
    if (!v.is_array()) {
      Fail(at, "must be an array of strings");
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& item : v) {
      if (!item.is_string()) {
        Fail(at, "must be an array of strings");
        return std::nullopt;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::optional<std::vector<FieldPath>> PathList(const Json& parent, const std::string& path, const char* key) {
    if (!parent.contains(key) || parent[key].is_null()) return std::vector<FieldPath>{};
    const Json& v = parent[key];
    const std::string at = path + "." + key;
    bool good = v.is_array();
    std::vector<FieldPath> out;
    if (good) {
      for (const auto& item : v) {
        if (!item.is_array() || item.empty()) {
          good = false;
          break;
        }
        FieldPath p;
        for (const auto& part : item) {
          if (!part.is_string()) good = false;
          else p.push_back(part.get<std::string>());
        }
        out.push_back(std::move(p));
      }
    }
    if (!good) {
      Fail(at, "must be an array of field paths, e.g. [[\"id\"]]");
      return std::nullopt;
    }
    return out;
  }

 private:
  std::vector<std::string> errors_;
};

}  // namespace

Json StreamToApi(const AirbyteStream& stream) {
  Json j = {{"name", stream.name}, {"jsonSchema", stream.json_schema}};
  j["namespace"] = stream.namespace_ ? Json(*stream.namespace_) : Json(nullptr);
  Json modes = Json::array();
  for (auto m : stream.supported_sync_modes) modes.push_back(SyncModeName(m));
  j["supportedSyncModes"] = modes;
  j["sourceDefinedCursor"] = stream.source_defined_cursor.value_or(false);
  j["defaultCursorField"] = stream.default_cursor_field;
  j["sourceDefinedPrimaryKey"] = PathsToJson(stream.source_defined_primary_key);
  if (stream.is_resumable) j["isResumable"] = *stream.is_resumable;
  return j;
}

Json SyncCatalogFromDiscovered(const Catalog& discovered, const ConnectorSpec* destination_spec) {
  Json streams = Json::array();
  for (const auto& s : discovered.streams) {
    const bool has_cursor = s.source_defined_cursor.value_or(false) || !s.default_cursor_field.empty();
    auto [sync, dest] = DefaultModes(s.supported_sync_modes, has_cursor, destination_spec);
    Json config = {{"syncMode", SyncModeName(sync)},
                   {"destinationSyncMode", DestinationSyncModeName(dest)},
                   {"cursorField", s.default_cursor_field},
                   {"primaryKey", PathsToJson(s.source_defined_primary_key)},
                   {"aliasName", s.name},
                   {"selected", true}};
    streams.push_back({{"stream", StreamToApi(s)}, {"config", std::move(config)}});
  }
  return {{"streams", std::move(streams)}};
}

Result<Json> NormalizeSyncCatalog(const Json& sync_catalog, const ConnectorSpec& destination_spec) {
  Checker check;
  if (!sync_catalog.is_object()) return Status::ConfigError("syncCatalog: must be an object with 'streams'");
  if (!sync_catalog.contains("streams") || !sync_catalog["streams"].is_array()) {
    return Status::ConfigError("syncCatalog.streams: must be an array");
  }
  Json out = sync_catalog;
  std::set<std::pair<std::string, std::string>> seen;
  const Json& streams = sync_catalog["streams"];
  for (size_t i = 0; i < streams.size(); ++i) {
    const std::string at = fmt::format("syncCatalog.streams[{}]", i);
    const Json& entry = streams[i];
    if (!entry.is_object()) {
      check.Fail(at, "must be an object with 'stream' and 'config'");
      continue;
    }
    if (!entry.contains("stream") || !entry["stream"].is_object()) {
      check.Fail(at + ".stream", "must be an object with at least 'name'");
      continue;
    }
    const Json& stream = entry["stream"];
    const std::string sat = at + ".stream";
    if (!stream.contains("name") || !stream["name"].is_string() || stream["name"].get<std::string>().empty()) {
      check.Fail(sat + ".name", "must be a non-empty string");
      continue;
    }
    const std::string name = stream["name"].get<std::string>();
    std::string ns;
    if (stream.contains("namespace") && !stream["namespace"].is_null()) {
      if (!stream["namespace"].is_string()) check.Fail(sat + ".namespace", "must be a string or null");
      else ns = stream["namespace"].get<std::string>();
    }
    if (stream.contains("jsonSchema") && !stream["jsonSchema"].is_object()) {
      check.Fail(sat + ".jsonSchema", "must be an object (a JSON Schema)");
    }
    // What the stream says about itself (all optional in a request).
    std::vector<SyncMode> supported;
    if (auto modes = check.StringList(stream, sat, "supportedSyncModes")) {
      for (const auto& m : *modes) {
        SyncMode mode;
        if (ParseSyncMode(m, mode)) supported.push_back(mode);
        else check.Fail(sat + ".supportedSyncModes", fmt::format("'{}' is not one of full_refresh, incremental", m));
      }
    }
    bool source_cursor = false;
    if (stream.contains("sourceDefinedCursor") && !stream["sourceDefinedCursor"].is_null()) {
      if (!stream["sourceDefinedCursor"].is_boolean()) check.Fail(sat + ".sourceDefinedCursor", "must be a boolean");
      else source_cursor = stream["sourceDefinedCursor"].get<bool>();
    }
    auto default_cursor = check.StringList(stream, sat, "defaultCursorField");
    auto source_pk = check.PathList(stream, sat, "sourceDefinedPrimaryKey");

    if (!seen.insert({ns, name}).second) {
      check.Fail(sat, fmt::format("stream '{}' is listed twice", ns.empty() ? name : ns + "." + name));
    }

    Json config = entry.contains("config") && !entry["config"].is_null() ? entry["config"] : Json::object();
    const std::string cat = at + ".config";
    if (!config.is_object()) {
      check.Fail(cat, "must be an object");
      continue;
    }
    bool selected = true;
    if (config.contains("selected") && !config["selected"].is_null()) {
      if (!config["selected"].is_boolean()) check.Fail(cat + ".selected", "must be a boolean");
      else selected = config["selected"].get<bool>();
    }
    const bool has_default_cursor = source_cursor || (default_cursor && !default_cursor->empty());
    auto [sync, dest] = DefaultModes(supported, has_default_cursor, &destination_spec);
    if (config.contains("syncMode") && !config["syncMode"].is_null()) {
      if (!config["syncMode"].is_string() || !ParseSyncMode(config["syncMode"].get<std::string>(), sync)) {
        check.Fail(cat + ".syncMode", "must be one of full_refresh, incremental");
      } else if (!supported.empty() && !HasMode(supported, sync)) {
        check.Fail(cat + ".syncMode", fmt::format("stream '{}' does not support {}", name, SyncModeName(sync)));
      }
    }
    if (config.contains("destinationSyncMode") && !config["destinationSyncMode"].is_null()) {
      if (!config["destinationSyncMode"].is_string() ||
          !ParseDestinationSyncMode(config["destinationSyncMode"].get<std::string>(), dest)) {
        check.Fail(cat + ".destinationSyncMode", "must be one of append, overwrite, append_dedup, update, soft_delete");
      } else if (!destination_spec.supported_destination_sync_modes.empty() && !destination_spec.Supports(dest)) {
        std::string modes;
        for (auto m : destination_spec.supported_destination_sync_modes) {
          modes += (modes.empty() ? "" : ", ") + std::string(DestinationSyncModeName(m));
        }
        check.Fail(cat + ".destinationSyncMode",
                   fmt::format("the destination does not support {} (it supports: {})", DestinationSyncModeName(dest), modes));
      }
    }
    auto cursor = check.StringList(config, cat, "cursorField");
    auto pk = check.PathList(config, cat, "primaryKey");
    if (selected && sync == SyncMode::kIncremental && cursor && cursor->empty() && !has_default_cursor) {
      check.Fail(cat + ".cursorField", fmt::format("stream '{}' is incremental but has no cursor field", name));
    }
    if (selected && source_cursor && cursor && !cursor->empty() && default_cursor && !default_cursor->empty() &&
        *cursor != *default_cursor) {
      check.Fail(cat + ".cursorField",
                 fmt::format("stream '{}' has a source-defined cursor ({})", name, FieldPathText(*default_cursor)));
    }
    if (selected && dest == DestinationSyncMode::kAppendDedup && pk && pk->empty() && source_pk && source_pk->empty()) {
      check.Fail(cat + ".primaryKey", fmt::format("stream '{}' is deduplicated but has no primary key", name));
    }
    if (config.contains("aliasName") && !config["aliasName"].is_null() && !config["aliasName"].is_string()) {
      check.Fail(cat + ".aliasName", "must be a string");
    }
    config["selected"] = selected;
    config["syncMode"] = SyncModeName(sync);
    config["destinationSyncMode"] = DestinationSyncModeName(dest);
    if (cursor) config["cursorField"] = cursor->empty() && default_cursor ? Json(*default_cursor) : Json(*cursor);
    if (pk) config["primaryKey"] = pk->empty() && source_pk ? PathsToJson(*source_pk) : PathsToJson(*pk);
    if (!config.contains("aliasName") || config["aliasName"].is_null()) config["aliasName"] = name;
    out["streams"][i]["config"] = std::move(config);
  }
  if (!check.ok()) return check.ToStatus();
  return out;
}

Result<ConnectionCatalogs> BuildConnectionCatalogs(const Connection& connection, const Catalog& discovered,
                                                   const ConnectorSpec& destination_spec) {
  SLUICE_ASSIGN_OR_RETURN(Json normalized, NormalizeSyncCatalog(connection.sync_catalog, destination_spec));
  ConnectionSettings settings;
  settings.origin = "syncCatalog";
  if (connection.namespace_definition == "destination") {
    settings.namespace_definition = NamespaceDefinition::kDestination;
  } else if (connection.namespace_definition == "customformat") {
    settings.namespace_definition = NamespaceDefinition::kCustom;
    settings.namespace_format = connection.namespace_format.value_or("");
  } else {
    settings.namespace_definition = NamespaceDefinition::kSource;
  }
  settings.prefix = connection.prefix;
  std::vector<StreamSelection> streams;
  const Json& list = normalized["streams"];
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& stream = list[i]["stream"];
    const Json& config = list[i]["config"];
    StreamSelection ps;
    ps.name = stream["name"].get<std::string>();
    if (stream.contains("namespace") && stream["namespace"].is_string()) ps.namespace_ = stream["namespace"].get<std::string>();
    ps.selected = config["selected"].get<bool>();
    ps.location = fmt::format("syncCatalog.streams[{}]", i);
    SyncMode sync;
    DestinationSyncMode dest;
    if (ParseSyncMode(config["syncMode"].get<std::string>(), sync)) ps.sync_mode = sync;
    if (ParseDestinationSyncMode(config["destinationSyncMode"].get<std::string>(), dest)) ps.destination_sync_mode = dest;
    // The normalized catalog already carries the stream's defaults; the discovered stream's own
    // cursor and key win when the stored ones are empty.
    if (config.contains("cursorField") && !config["cursorField"].empty()) {
      ps.cursor_field = config["cursorField"].get<std::vector<std::string>>();
    }
    if (config.contains("primaryKey") && !config["primaryKey"].empty()) {
      std::vector<FieldPath> pk;
      for (const auto& p : config["primaryKey"]) pk.push_back(p.get<std::vector<std::string>>());
      ps.primary_key = std::move(pk);
    }
    streams.push_back(std::move(ps));
  }
  settings.streams = std::move(streams);
  SLUICE_ASSIGN_OR_RETURN(ConfiguredCatalog source, BuildConfiguredCatalog(settings, discovered, destination_spec));
  ConfiguredCatalog destination = MapToDestination(source, settings);
  return ConnectionCatalogs{std::move(source), std::move(destination)};
}

}  // namespace sluice
