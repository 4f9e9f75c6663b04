#include "protocol/catalog.h"

#include <fmt/format.h>

namespace sluice {

namespace {
constexpr std::string_view kSyncModes[] = {"full_refresh", "incremental"};
constexpr std::string_view kDestModes[] = {"append", "overwrite", "append_dedup", "update", "soft_delete"};

Status Invalid(std::string_view where, std::string_view what) {
  return Status::ConfigError(fmt::format("{}: {}", where, what));
}

Result<std::string> GetString(const Json& j, std::string_view where, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return Invalid(where, fmt::format("'{}' is required", key));
    return std::string();
  }
  if (!it->is_string()) return Invalid(fmt::format("{}.{}", where, key), "must be a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> GetStringList(const Json& j, std::string_view where) {
  if (!j.is_array()) return Invalid(where, "must be an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) return Invalid(fmt::format("{}[{}]", where, i), "must be a string");
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

Result<std::vector<FieldPath>> GetPaths(const Json& j, std::string_view where) {
  if (!j.is_array()) return Invalid(where, "must be an array of arrays of strings");
  std::vector<FieldPath> out;
  for (size_t i = 0; i < j.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(auto path, GetStringList(j[i], fmt::format("{}[{}]", where, i)));
    out.push_back(std::move(path));
  }
  return out;
}

Json PathsToJson(const std::vector<FieldPath>& paths) {
  Json out = Json::array();
  for (const auto& p : paths) out.push_back(p);
  return out;
}

Json Extra(const Json& j, std::initializer_list<const char*> known) {
  Json extra = Json::object();
  for (const auto& [k, v] : j.items()) {
    bool is_known = false;
    for (const char* name : known) is_known |= k == name;
    if (!is_known) extra[k] = v;
  }
  return extra;
}

Result<std::optional<int64_t>> GetOptionalInt(const Json& j, std::string_view where, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return Invalid(fmt::format("{}.{}", where, key), "must be an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

}  // namespace

std::string_view SyncModeName(SyncMode mode) { return kSyncModes[static_cast<int>(mode)]; }
std::string_view DestinationSyncModeName(DestinationSyncMode mode) { return kDestModes[static_cast<int>(mode)]; }

bool ParseSyncMode(std::string_view name, SyncMode& out) { return ParseEnumName(kSyncModes, name, out); }
bool ParseDestinationSyncMode(std::string_view name, DestinationSyncMode& out) {
  return ParseEnumName(kDestModes, name, out);
}

std::string StreamDescriptor::ToString() const { return namespace_ ? *namespace_ + "." + name : name; }

Json StreamDescriptor::ToJson() const {
  Json j = {{"name", name}};
  if (namespace_) j["namespace"] = *namespace_;
  return j;
}

Result<StreamDescriptor> StreamDescriptor::FromJson(const Json& json, std::string_view where) {
  if (!json.is_object()) return Invalid(where, "must be an object");
  StreamDescriptor d;
  SLUICE_ASSIGN_OR_RETURN(d.name, GetString(json, where, "name", true));
  if (json.contains("namespace") && !json["namespace"].is_null()) {
    SLUICE_ASSIGN_OR_RETURN(auto ns, GetString(json, where, "namespace", false));
    d.namespace_ = std::move(ns);
  }
  return d;
}

Json AirbyteStream::ToJson() const {
  Json j = {{"name", name}};
  if (namespace_) j["namespace"] = *namespace_;
  j["json_schema"] = json_schema;
  Json modes = Json::array();
  for (auto m : supported_sync_modes) modes.push_back(SyncModeName(m));
  j["supported_sync_modes"] = modes;
  if (source_defined_cursor) j["source_defined_cursor"] = *source_defined_cursor;
  if (!default_cursor_field.empty()) j["default_cursor_field"] = default_cursor_field;
  if (!source_defined_primary_key.empty()) j["source_defined_primary_key"] = PathsToJson(source_defined_primary_key);
  if (is_resumable) j["is_resumable"] = *is_resumable;
  for (const auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

Result<AirbyteStream> AirbyteStream::FromJson(const Json& json, std::string_view where) {
  if (!json.is_object()) return Invalid(where, "must be an object");
  AirbyteStream s;
  SLUICE_ASSIGN_OR_RETURN(StreamDescriptor d, StreamDescriptor::FromJson(json, where));  // name, namespace
  s.name = std::move(d.name);
  s.namespace_ = std::move(d.namespace_);
  if (!json.contains("json_schema")) return Invalid(where, "'json_schema' is required");
  if (!json["json_schema"].is_object()) return Invalid(fmt::format("{}.json_schema", where), "must be an object");
  s.json_schema = json["json_schema"];
  if (!json.contains("supported_sync_modes")) return Invalid(where, "'supported_sync_modes' is required");
  SLUICE_ASSIGN_OR_RETURN(auto modes,
                          GetStringList(json["supported_sync_modes"], fmt::format("{}.supported_sync_modes", where)));
  if (modes.empty()) return Invalid(fmt::format("{}.supported_sync_modes", where), "must not be empty");
  for (size_t i = 0; i < modes.size(); ++i) {
    SyncMode m;
    if (!ParseSyncMode(modes[i], m)) {
      return Invalid(fmt::format("{}.supported_sync_modes[{}]", where, i),
                     fmt::format("'{}' is not full_refresh or incremental", modes[i]));
    }
    s.supported_sync_modes.push_back(m);
  }
  if (json.contains("source_defined_cursor") && !json["source_defined_cursor"].is_null()) {
    if (!json["source_defined_cursor"].is_boolean()) {
      return Invalid(fmt::format("{}.source_defined_cursor", where), "must be a boolean");
    }
    s.source_defined_cursor = json["source_defined_cursor"].get<bool>();
  }
  if (json.contains("default_cursor_field") && !json["default_cursor_field"].is_null()) {
    SLUICE_ASSIGN_OR_RETURN(s.default_cursor_field,
                            GetStringList(json["default_cursor_field"], fmt::format("{}.default_cursor_field", where)));
  }
  if (json.contains("source_defined_primary_key") && !json["source_defined_primary_key"].is_null()) {
    SLUICE_ASSIGN_OR_RETURN(s.source_defined_primary_key,
                            GetPaths(json["source_defined_primary_key"],
                                     fmt::format("{}.source_defined_primary_key", where)));
  }
  if (json.contains("is_resumable") && !json["is_resumable"].is_null()) {
    if (!json["is_resumable"].is_boolean()) return Invalid(fmt::format("{}.is_resumable", where), "must be a boolean");
    s.is_resumable = json["is_resumable"].get<bool>();
  }
  s.extra = Extra(json, {"name", "namespace", "json_schema", "supported_sync_modes", "source_defined_cursor",
                         "default_cursor_field", "source_defined_primary_key", "is_resumable"});
  return s;
}

namespace {

// Both catalogs are {"streams": [...]}; `what` names the catalog in errors.
template <typename Stream>
Json StreamsToJson(const std::vector<Stream>& streams) {
  Json arr = Json::array();
  for (const auto& s : streams) arr.push_back(s.ToJson());
  return Json{{"streams", arr}};
}

template <typename Stream>
Status StreamsFromJson(const Json& json, std::string_view what, std::vector<Stream>& out) {
  if (!json.is_object() || !json.contains("streams") || !json["streams"].is_array()) {
    return Status::ConfigError(fmt::format("{}: must be an object with a 'streams' array", what));
  }
  for (size_t i = 0; i < json["streams"].size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(auto s, Stream::FromJson(json["streams"][i], fmt::format("streams[{}]", i)));
    out.push_back(std::move(s));
  }
  return Status::Ok();
}

}  // namespace

Json Catalog::ToJson() const { return StreamsToJson(streams); }

Result<Catalog> Catalog::FromJson(const Json& json) {
  Catalog c;
  SLUICE_RETURN_IF_ERROR(StreamsFromJson(json, "catalog", c.streams));
  return c;
}

Json ConfiguredStream::ToJson() const {
  Json j = {{"stream", stream.ToJson()},
            {"sync_mode", SyncModeName(sync_mode)},
            {"destination_sync_mode", DestinationSyncModeName(destination_sync_mode)}};
  if (!cursor_field.empty()) j["cursor_field"] = cursor_field;
  if (!primary_key.empty()) j["primary_key"] = PathsToJson(primary_key);
  if (destination_object_name) j["destination_object_name"] = *destination_object_name;
  if (generation_id) j["generation_id"] = *generation_id;
  if (minimum_generation_id) j["minimum_generation_id"] = *minimum_generation_id;
  if (sync_id) j["sync_id"] = *sync_id;
  for (const auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

Result<ConfiguredStream> ConfiguredStream::FromJson(const Json& json, std::string_view where) {
  if (!json.is_object()) return Invalid(where, "must be an object");
  ConfiguredStream c;
  if (!json.contains("stream")) return Invalid(where, "'stream' is required");
  SLUICE_ASSIGN_OR_RETURN(c.stream, AirbyteStream::FromJson(json["stream"], fmt::format("{}.stream", where)));
  SLUICE_ASSIGN_OR_RETURN(auto mode, GetString(json, where, "sync_mode", true));
  if (!ParseSyncMode(mode, c.sync_mode)) {
    return Invalid(fmt::format("{}.sync_mode", where), fmt::format("'{}' is not full_refresh or incremental", mode));
  }
  SLUICE_ASSIGN_OR_RETURN(auto dmode, GetString(json, where, "destination_sync_mode", true));
  if (!ParseDestinationSyncMode(dmode, c.destination_sync_mode)) {
    return Invalid(fmt::format("{}.destination_sync_mode", where),
                   fmt::format("'{}' is not one of append, overwrite, append_dedup, update, soft_delete", dmode));
  }
  if (json.contains("cursor_field") && !json["cursor_field"].is_null()) {
    SLUICE_ASSIGN_OR_RETURN(c.cursor_field, GetStringList(json["cursor_field"], fmt::format("{}.cursor_field", where)));
  }
  if (json.contains("primary_key") && !json["primary_key"].is_null()) {
    SLUICE_ASSIGN_OR_RETURN(c.primary_key, GetPaths(json["primary_key"], fmt::format("{}.primary_key", where)));
  }
  if (json.contains("destination_object_name") && !json["destination_object_name"].is_null()) {
    SLUICE_ASSIGN_OR_RETURN(auto name, GetString(json, where, "destination_object_name", false));
    c.destination_object_name = std::move(name);
  }
  SLUICE_ASSIGN_OR_RETURN(c.generation_id, GetOptionalInt(json, where, "generation_id"));
  SLUICE_ASSIGN_OR_RETURN(c.minimum_generation_id, GetOptionalInt(json, where, "minimum_generation_id"));
  SLUICE_ASSIGN_OR_RETURN(c.sync_id, GetOptionalInt(json, where, "sync_id"));
  c.extra = Extra(json, {"stream", "sync_mode", "destination_sync_mode", "cursor_field", "primary_key",
                         "destination_object_name", "generation_id", "minimum_generation_id", "sync_id"});
  return c;
}

int ConfiguredCatalog::Find(const StreamDescriptor& d) const {
  for (size_t i = 0; i < streams.size(); ++i) {
    if (streams[i].stream.name == d.name && streams[i].stream.namespace_ == d.namespace_) return static_cast<int>(i);
  }
  return -1;
}

Status ConfiguredCatalog::Bind() {
  for (auto& s : streams) {
    auto schema = Schema::FromJsonSchema(s.stream.json_schema);
    if (!schema.ok()) return schema.status().WithContext("stream " + s.descriptor().ToString());
    s.schema = std::move(schema).value();
  }
  return Status::Ok();
}

Json ConfiguredCatalog::ToJson() const { return StreamsToJson(streams); }

Result<ConfiguredCatalog> ConfiguredCatalog::FromJson(const Json& json) {
  ConfiguredCatalog c;
  SLUICE_RETURN_IF_ERROR(StreamsFromJson(json, "configured catalog", c.streams));
  SLUICE_RETURN_IF_ERROR(c.Bind());
  return c;
}

}  // namespace sluice
