#pragma once
// What a worker and its `sluice run-attempt` child say to each other.
//
// The plan (stdin, one JSON document; it holds decrypted secrets, so it never touches disk):
//   {"jobId": 12, "attemptNumber": 1, "jobType": "sync" | "reset_connection" | "refresh" | "clear",
//    "connectionId": "...", "connectionName": "...",
//    "source": {"connector": "source-faker", "config": {...}},
//    "destination": {"connector": "destination-local", "config": {...}},
//    "syncCatalog": {...}, "namespaceDefinition": "source", "namespaceFormat": null, "prefix": "",
//    "nonBreakingChangesPreference": "ignore", "state": [ ...AirbyteStateMessage... ] | null,
//    "generations": [{"streamName", "streamNamespace", "generationId"}],
//    "jobStreams": [{"streamName", "streamNamespace", "action", "generationId"}],
//    "continuous": false,
//    "operations": [{"operationId", "name", "operatorConfiguration"}]}
// `continuous` (a sync job of a scheduleType continuous connection): the child syncs as
// `sluice sync --continuous` does — a catch-up run, then continuous mode until SIGTERM, after
// which it commits, reports its last checkpoint and succeeds.
// `operations` (sync and refresh jobs): the connection's operations in order; normalization
// ones set the destination's normalization, the others run after a successful sync
// (operations/operations.h), each logged as a step; a failing one fails the attempt
// (failureOrigin "dbt", or "airbyte_platform" for a webhook: Airbyte's values) after the sync's data and state were committed.
// The job id is every stream's sync_id; `generations` are the connection's stream generations
// (streams not listed are at 0) and `jobStreams` what a refresh / clear / reset does to which
// stream (platform/job_streams.h has the rule that turns them into generation ids).
//
// The events (stdout, one JSON object per line; logs go to stderr):
//   {"type": "checkpoint", "state": [...the whole folded state...],
//    "streamStats": [{"streamName", "streamNamespace", "recordsCommitted"}]}
//      — after each checkpoint the destination confirmed; the worker saves `state`.
//   {"type": "schema_change", "job": <what the job records, SchemaPolicyOutcome::ToJobJson> | null,
//    "syncCatalog": <the connection's new syncCatalog> | null, "schemaChange": "no_change" |
//    "non_breaking" | "breaking", "pendingCatalogDiff": {...} | null, "disableConnection": bool}
//      — sync jobs, once after discover, before any checkpoint: the schema-change policy's outcome
//        (platform/schema_policy.h). The worker writes it onto the connection; `job` (null when the
//        schema did not change) goes on the attempt record.
//   {"type": "source_config", "changes": {...}}
//      — the source changed its own config (Airbyte's CONTROL message: a rotated OAuth refresh
//        token), at discover or during the read, as a merge patch of the changed values
//        (protocol/config_update.h; secrets in clear, as in the plan: a pipe, never a disk). The
//        worker merges it into the source's stored config at once and the attempt's stats get
//        "connectorConfigurationUpdated": true.
//   {"type": "result", "status": "succeeded" | "failed" | "cancelled",
//    "failureType": "config_error" | "system_error" | "transient_error" | "manual_cancellation",
//    "failureOrigin": "source" | "destination" | "replication" | "dbt" | "airbyte_platform", "message": "...",
//    "internalMessage": "...", "durationMs": N, "stats": <AttemptStats, see below>}
//      — last line; absent when the child died.
//
// AttemptStats (what the worker stores with FinishAttempt):
//   {"recordsEmitted", "bytesEmitted", "recordsCommitted", "bytesCommitted",
//    "streamStats": [{"streamName", "streamNamespace", "stats": {the four counters}}]}

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "metadata/metadata_types.h"

namespace sluice {

struct AttemptPlan {
  JobId job_id = 0;
  int attempt_number = 0;
  JobConfigType job_type = JobConfigType::kSync;
  std::string source_connector;
  Json source_config = Json::object();
  std::string destination_connector;
  Json destination_config = Json::object();
  //! sync_catalog, namespace_definition, namespace_format, prefix, non_breaking_changes_preference,
  //! connection_id and name matter.
  Connection connection;
  Json state;  //!< the saved state (null: none)
  std::vector<StreamGeneration> generations;  //!< the connection's stream generations (others: 0)
  std::vector<JobStream> job_streams;         //!< a refresh's, clear's or reset's streams, started
  bool continuous = false;                    //!< read continuously until SIGTERM (sync jobs only)
  Json operations = Json::array();            //!< [{operationId, name, operatorConfiguration}]

  Json ToJson() const;
  //! Errors are system errors naming the field (the plan is written by the worker).
  static Result<AttemptPlan> FromJson(const Json& json);
};

//! Airbyte's failureType for a failure type ("config_error", "manual_cancellation", ...).
std::string_view AttemptFailureTypeName(FailureType type);

}  // namespace sluice
