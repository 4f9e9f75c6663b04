#pragma once
// source-mongodb-v2's config, in Airbyte source-mongodb-v2's keys:
//   database_config {cluster_type: ATLAS_REPLICA_SET | SELF_MANAGED_REPLICA_SET, connection_string,
//                    database (or databases: [one name]), username, password, auth_source,
//                    schema_enforced}
//   initial_waiting_seconds, queue_size, discover_sample_size, discover_timeout_seconds,
//   update_capture_mode (Lookup | Post Image), invalid_cdc_cursor_position_behavior
//   (Fail sync | Re-sync data), initial_load_timeout_hours.
// Parsing is pure (no I/O; the connection string is parsed by libmongoc without connecting);
// `check` does the connecting.

#include <cstdint>
#include <string>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

enum class MongoClusterType { kAtlasReplicaSet, kSelfManagedReplicaSet };

enum class MongoUpdateCaptureMode {
  kLookup,     //!< fullDocument: updateLookup — the document as it is when the event is read
  kPostImage,  //!< fullDocument: required — the document right after the change (needs
               //!< changeStreamPreAndPostImages on the collection, MongoDB 6.0+)
};

struct MongoSourceConfig {
  MongoClusterType cluster_type = MongoClusterType::kSelfManagedReplicaSet;
  std::string connection_string;  //!< mongodb:// or mongodb+srv:// (credentials may be in it)
  std::string database;           //!< the one database whose collections become streams
  std::string username;           //!< empty: no authentication (or what the string says)
  std::string password;
  std::string auth_source = "admin";
  //! true (default): discovery samples documents and each top-level field is a column;
  //! false: every stream is `_id` + `data` (the whole document as one JSON object).
  bool schema_enforced = true;
  //! Batch mode: the longest a sync reads the change stream (s; Airbyte's 120..1200, default
  //! 300). It stops sooner, as soon as it has caught up with the cluster time at its start.
  int64_t initial_waiting_seconds = 300;
  //! Airbyte's internal queue size (1000..10000, default 10000): here the number of change
  //! events between two checkpoints in batch mode.
  int64_t queue_size = 10000;
  //! Documents sampled per collection by discover (10..100000, default 10000).
  int64_t discover_sample_size = 10000;
  //! Time limit of one collection's sampling in discover (s; 5..1200, default 600).
  int64_t discover_timeout_seconds = 600;
  MongoUpdateCaptureMode update_capture_mode = MongoUpdateCaptureMode::kLookup;
  //! "Re-sync data": a resume token the oplog no longer holds means a new snapshot;
  //! "Fail sync" (default): a config error telling how to recover.
  bool resync_on_invalid_position = false;
  int64_t initial_load_timeout_hours = 8;  //!< accepted (4..24); the snapshot is resumable instead
  //! Snapshot documents between checkpoints (sluice's addition; default 10000): an interrupted
  //! snapshot resumes after the last checkpointed _id.
  int64_t snapshot_checkpoint_documents = 10000;
};

//! The connector's JSON Schema (connectionSpecification).
Json MongoSourceSpecJson();

//! Reads a validated config. Errors (ConfigError) name the JSON path.
Result<MongoSourceConfig> ParseMongoSourceConfig(const Json& config);

}  // namespace sluice
