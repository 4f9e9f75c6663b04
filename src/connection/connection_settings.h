#pragma once
// The connection model shared by pipeline files (cli/), the server's stored connections
// (platform/) and anything else that runs a sync: which streams are selected with which modes,
// where they land (namespace definition, prefix), and the one rule for default sync modes.
//
// Pure: nothing here contacts a connector. Who builds ConnectionSettings: cli/pipeline.cc from a
// YAML file, platform/sync_catalog.cc from an Airbyte-API syncCatalog.

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/sdk/spec.h"
#include "protocol/catalog.h"

namespace sluice {

//! Where a stream lands: the source's namespace, the destination's default, or a format.
enum class NamespaceDefinition { kSource, kDestination, kCustom };

//! One selected (or deselected) stream. Unset optionals take the stream's defaults.
struct StreamSelection {
  std::string name;
  std::optional<std::string> namespace_;  //!< needed only when the name exists in several namespaces
  bool selected = true;
  std::optional<SyncMode> sync_mode;
  std::optional<DestinationSyncMode> destination_sync_mode;
  std::optional<FieldPath> cursor_field;
  std::optional<std::vector<FieldPath>> primary_key;  //!< each entry one (possibly nested) column
  std::string location;  //!< where it is written, for messages: "pipeline.yaml:12:5", "syncCatalog.streams[1]"
};

//! The connection's normalization (Airbyte's `operatorType: normalization`).
enum class Normalization {
  kUnset,  //!< the destination config decides
  kNone,
  kBasic,  //!< nested objects flattened, arrays into child tables (destinations that support it)
};

struct ConnectionSettings {
  std::string origin;  //!< where the settings come from, for messages: "pipeline.yaml", "syncCatalog"
  NamespaceDefinition namespace_definition = NamespaceDefinition::kSource;
  std::string namespace_format;  //!< kCustom: may contain ${SOURCE_NAMESPACE}
  std::string prefix;            //!< prepended to every destination stream name
  std::optional<std::vector<StreamSelection>> streams;  //!< nullopt: every discovered stream, defaults
  Normalization normalization = Normalization::kUnset;
};

//! Sets the destination config's `normalization` key from the connection's setting (kUnset:
//! unchanged). A destination whose spec has no such key cannot normalize: asking it for basic
//! normalization is a ConfigError naming it (none is accepted and ignored). Pure.
Status ApplyNormalization(const ConnectionSettings& settings, const ConnectorSpec& destination_spec,
                          std::string_view destination_name, Json& destination_config);

//! A stream's sync mode and destination sync mode.
struct StreamModes {
  SyncMode sync = SyncMode::kFullRefresh;
  DestinationSyncMode destination = DestinationSyncMode::kAppend;
};

//! The one default-mode rule (what Airbyte's UI proposes): Incremental | Append when the stream
//! supports incremental and has a default cursor (source-defined or default_cursor_field), or
//! supports nothing else; otherwise Full Refresh | Overwrite when the destination supports
//! overwrite — or declares no modes, or is not known yet (`destination` null) — else Full
//! Refresh | Append. A stream listing no supported modes supports full refresh only.
StreamModes DefaultModes(const std::vector<SyncMode>& supported, bool has_default_cursor,
                         const ConnectorSpec* destination);

//! The configured catalog a sync runs: the selected streams (all discovered ones when `streams`
//! is absent) with their modes (DefaultModes where unset); cursor and primary key are the
//! user's, else the source's. Errors (all reported together) name the stream and its location:
//! unknown stream, unsupported mode, incremental without a cursor, deduped without a primary
//! key, a cursor/key field not in the stream's schema. The result is bound (schemas parsed).
Result<ConfiguredCatalog> BuildConfiguredCatalog(const ConnectionSettings& settings, const Catalog& discovered,
                                                 const ConnectorSpec& destination_spec);

//! The catalog as the destination sees it: names get the prefix, namespaces follow the
//! namespace definition (source: kept; destination: nullopt, the destination's default;
//! custom: the format with ${SOURCE_NAMESPACE} replaced, nullopt if that leaves it empty).
ConfiguredCatalog MapToDestination(const ConfiguredCatalog& source_catalog, const ConnectionSettings& settings);

//! "a.b.c" of a field path, for messages.
std::string FieldPathText(const FieldPath& path);

}  // namespace sluice
