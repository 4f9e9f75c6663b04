#pragma once
// What file destinations (destination-local, destination-s3) share around their StreamWriters:
// the factory options, the spec frame, the sync modes they take, and the rule that keeps the
// streams of one run out of each other's files. Pure (no I/O).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "connectors/kit/airbyte_columns.h"
#include "connectors/kit/config_reader.h"
#include "connectors/kit/file_format.h"
#include "connectors/kit/path_template.h"
#include "connectors/sdk/destination.h"
#include "connectors/sdk/spec.h"
#include "protocol/catalog.h"

namespace sluice {

//! The options of a file destination's factory.
struct FileDestinationOptions {
  //! The clock that fixes the sync start (path variables, file names), µs since the epoch.
  //! Empty: the wall clock. Tests set it.
  std::function<int64_t()> now_micros;
};

//! The frame of a file destination: its spec and the clock that fixes each run's sync start.
class FileDestination : public Destination {
 public:
  //! `spec` makes the connector's spec (FileDestinationSpec).
  FileDestination(FileDestinationOptions options, ConnectorSpec (*spec)())
      : options_(std::move(options)), spec_(spec) {
    if (!options_.now_micros) options_.now_micros = NowMicros;
  }
  ConnectorSpec Spec() const final { return spec_(); }

 protected:
  //! The sync start of a run (or the time a Check uses), µs since the epoch.
  int64_t StartMicros() const { return options_.now_micros(); }

 private:
  FileDestinationOptions options_;
  ConnectorSpec (*spec_)();
};

//! Reads a file destination's config (an object, validated against the spec): `read(reader,
//! config)` reads the destination's own keys and its format object; file_size_mb is read here
//! (default: the one a new `Config` has), and normalization (basic | none). Every problem in one ConfigError naming JSON paths.
template <typename Config, typename Read>
Result<Config> ReadFileDestinationConfig(const Json& json, Read read) {
  if (!json.is_object()) return Status::ConfigError("the config must be a JSON object");
  ConfigReader reader(json);
  Config config;
  read(reader, config);
  config.file_size_bytes = ReadFileSizeMb(reader, static_cast<int64_t>(config.file_size_bytes >> 20));
  config.normalization = reader.Enum("normalization", {"basic", "none"}, "none") == "basic";
  SLUICE_RETURN_IF_ERROR(reader.status());
  return config;
}

//! A file destination's spec: `connection_specification` (JSON text), the documentation page of
//! src/connectors/destinations/<folder>, destination sync modes overwrite and append.
ConnectorSpec FileDestinationSpec(std::string_view connection_specification, std::string_view folder);

//! True when an append stream's previous rows go once this run's rows of it commit: its
//! minimum_generation_id equals its generation_id and is above 0 (minimum 0 keeps every row).
bool ReplacesOlderGenerations(const ConfiguredStream& stream);

//! OK for overwrite and append; else a ConfigError naming the stream, `connector` and the
//! supported modes ("stream 'users': destination-local does not support destination sync mode
//! append_dedup (supported: overwrite, append)").
Status CheckFileSyncMode(const ConfiguredStream& stream, std::string_view connector);

//! What Begin decides for one stream of a file destination; a destination's plan adds where
//! the stream's files go.
struct FileStreamPlan {
  std::string name;  //!< "namespace.name", for messages
  //! kAppend, or kOverwrite: the stream's previous files are replaced when it completes (and
  //! stay when it does not). Overwrite streams, and append streams whose minimum_generation_id
  //! equals their generation_id (above 0: a refresh that removes records, Airbyte's rule) get it.
  DestinationSyncMode mode = DestinationSyncMode::kAppend;
  int64_t generation_id = 0;                                //!< _airbyte_generation_id
  int64_t sync_id = 0;                                      //!< _airbyte_meta.sync_id
  SchemaPtr schema;                                         //!< the stream's columns
  PathTemplateValues path;  //!< the stream, the sync start and its own ${UUID}, for the templates

  //! The rows' view of the plan (AirbyteStreamInfo), extracted-at default `default_extracted_ms`.
  AirbyteStreamInfo RowInfo(int64_t default_extracted_ms) const {
    return {.name = name, .schema = schema, .generation_id = generation_id, .sync_id = sync_id,
            .default_extracted_ms = default_extracted_ms};
  }
};

//! A plan per stream of `catalog`, in its order, all with the sync start `start_micros`.
//! Errors: a sync mode other than overwrite and append (CheckFileSyncMode).
//! A stream's generation id and sync id are its catalog's (0 when absent).
Result<std::vector<FileStreamPlan>> PlanFileStreams(const ConfiguredCatalog& catalog, std::string_view connector,
                                                    int64_t start_micros);

//! Where one stream of a run writes.
struct StreamLocation {
  std::string stream;    //!< "namespace.name"
  std::string location;  //!< its folder or key prefix
  //! What an overwrite of this stream replaces or deletes (its folder, or the prefix its old
  //! objects are listed under); nullopt for append.
  std::optional<std::string> cleared;
};

//! Two streams must not write to the same location (their files would collide), and what an
//! overwrite clears must not hold another stream's location. `folders`: locations are folders
//! ("x" holds "x/y", not "xy"); else key prefixes ("x" holds "xy"). ConfigErrors start with
//! `json_path` (the template that placed them) and name both streams.
Status CheckStreamLocations(const std::vector<StreamLocation>& streams, bool folders, std::string_view json_path);

}  // namespace sluice
