#pragma once
// Catalog and ConfiguredCatalog exactly as the Airbyte protocol (airbyte_protocol.yaml):
// AirbyteStream, AirbyteCatalog, ConfiguredAirbyteStream, ConfiguredAirbyteCatalog.
// Unknown fields of the JSON forms are kept (`extra`) so a round trip loses nothing.

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "protocol/types.h"

namespace sluice {

enum class SyncMode { kFullRefresh, kIncremental };
enum class DestinationSyncMode { kAppend, kOverwrite, kAppendDedup, kUpdate, kSoftDelete };

std::string_view SyncModeName(SyncMode mode);                 //!< "full_refresh" | "incremental"
std::string_view DestinationSyncModeName(DestinationSyncMode mode);  //!< "append" | ...
bool ParseSyncMode(std::string_view name, SyncMode& out);
bool ParseDestinationSyncMode(std::string_view name, DestinationSyncMode& out);

using FieldPath = std::vector<std::string>;  //!< a (possibly nested) field: ["contact", "email"]

struct StreamDescriptor {
  std::string name;
  std::optional<std::string> namespace_;
  bool operator==(const StreamDescriptor&) const = default;
  //! "namespace.name" or "name", for messages.
  std::string ToString() const;
  Json ToJson() const;
  static Result<StreamDescriptor> FromJson(const Json& json, std::string_view where);
};

struct AirbyteStream {
  std::string name;
  std::optional<std::string> namespace_;
  Json json_schema = Json::object();
  std::vector<SyncMode> supported_sync_modes;
  std::optional<bool> source_defined_cursor;
  std::vector<std::string> default_cursor_field;
  std::vector<FieldPath> source_defined_primary_key;
  std::optional<bool> is_resumable;
  Json extra = Json::object();  //!< fields this struct does not model, kept verbatim

  StreamDescriptor descriptor() const { return {name, namespace_}; }
  Json ToJson() const;
  static Result<AirbyteStream> FromJson(const Json& json, std::string_view where);
};

struct Catalog {
  std::vector<AirbyteStream> streams;
  Json ToJson() const;
  static Result<Catalog> FromJson(const Json& json);
};

struct ConfiguredStream {
  AirbyteStream stream;
  SyncMode sync_mode = SyncMode::kFullRefresh;
  std::vector<std::string> cursor_field;
  DestinationSyncMode destination_sync_mode = DestinationSyncMode::kAppend;
  std::vector<FieldPath> primary_key;
  std::optional<std::string> destination_object_name;
  std::optional<int64_t> generation_id;
  std::optional<int64_t> minimum_generation_id;
  std::optional<int64_t> sync_id;
  Json extra = Json::object();

  //! The parsed schema of stream.json_schema (set by ConfiguredCatalog::FromJson / Bind()).
  SchemaPtr schema;

  StreamDescriptor descriptor() const { return stream.descriptor(); }
  Json ToJson() const;
  static Result<ConfiguredStream> FromJson(const Json& json, std::string_view where);
};

struct ConfiguredCatalog {
  std::vector<ConfiguredStream> streams;

  //! Index of the stream with this name and namespace, or -1.
  int Find(const StreamDescriptor& descriptor) const;
  //! Parses every stream's json_schema into `schema`. Errors name the stream.
  Status Bind();
  Json ToJson() const;
  //! Parses and binds; errors carry the JSON path ("streams[2].sync_mode: ...").
  static Result<ConfiguredCatalog> FromJson(const Json& json);
};

}  // namespace sluice
