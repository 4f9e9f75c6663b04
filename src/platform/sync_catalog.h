#pragma once
// A connection's `syncCatalog` in the Airbyte Config API's form, and the catalogs an attempt runs
// from it:
//
//   {"streams": [{"stream": {"name", "namespace", "jsonSchema", "supportedSyncModes",
//                            "sourceDefinedCursor", "defaultCursorField", "sourceDefinedPrimaryKey",
//                            "isResumable"},
//                 "config": {"syncMode", "destinationSyncMode", "cursorField", "primaryKey",
//                            "aliasName", "selected"}}]}
//
// The stored catalog says what the user chose; the stream's schema at run time comes from a
// fresh discover of the source, so the configured catalog always matches the source as it is.

#include <string>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/spec.h"
#include "metadata/metadata_types.h"
#include "protocol/catalog.h"

namespace sluice {

//! The API form of a discovered stream (camelCase fields).
Json StreamToApi(const AirbyteStream& stream);

//! discover_schema's catalog: every stream with Airbyte's default configuration (selected;
//! incremental + append when the stream has a default cursor, else full refresh + overwrite
//! when the destination supports it — or always when `destination_spec` is null — else append;
//! the source's cursor and primary key).
Json SyncCatalogFromDiscovered(const Catalog& discovered, const ConnectorSpec* destination_spec);

//! Checks a syncCatalog as the API receives it and returns it normalized (missing `selected`
//! → true, missing cursorField / primaryKey → [], missing syncMode / destinationSyncMode → the
//! defaults above). Every problem is listed in one ConfigError, one line each, named by its
//! path ("syncCatalog.streams[1].config.syncMode: must be one of full_refresh, incremental"):
//! wrong types, unknown modes, modes the stream or the destination does not support,
//! incremental without a cursor, deduplication without a primary key, a stream listed twice.
Result<Json> NormalizeSyncCatalog(const Json& sync_catalog, const ConnectorSpec& destination_spec);

struct ConnectionCatalogs {
  ConfiguredCatalog source;       //!< what the source reads (bound)
  ConfiguredCatalog destination;  //!< the same streams as the destination writes them: namespace
                                  //!< definition and prefix applied
};

//! The catalogs of one attempt: the connection's selected streams, matched by name and
//! namespace to `discovered` (a stream the source no longer has is a ConfigError naming it),
//! with their configured modes; then the namespace rule (source | destination | customformat
//! with ${SOURCE_NAMESPACE}) and the prefix for the destination's side.
Result<ConnectionCatalogs> BuildConnectionCatalogs(const Connection& connection, const Catalog& discovered,
                                                   const ConnectorSpec& destination_spec);

}  // namespace sluice
