#pragma once
// The entities of the metadata store. Field names follow Airbyte's Config API (in snake_case);
// enums keep Airbyte's wire names (JobStatusName etc.). Ids are UUID text, except job ids
// (increasing integers). Timestamps are epoch milliseconds. JSON fields are stored verbatim.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace sluice {

using JobId = int64_t;

//! A workspace's notification settings when none are given (the seed's threshold: 3 failures).
inline constexpr const char* kDefaultNotificationSettingsJson =
    R"({"slackWebhookUrl":null,"sendOnFailure":true,"sendOnSuccess":false,)"
    R"("sendOnConnectionDisabled":true,"consecutiveFailureThreshold":3})";

struct Workspace {
  std::string workspace_id;
  std::string name;
  std::optional<std::string> email;
  bool initial_setup_complete = false;
  bool anonymous_data_collection = false;
  bool news = false;
  bool security_updates = false;
  Json notification_settings;  //!< null on create means kDefaultNotificationSettingsJson
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

enum class ActorKind { kSource, kDestination };
std::string_view ActorKindName(ActorKind kind);  //!< "source" / "destination"

//! A source or a destination (Airbyte's `actor`).
struct Actor {
  ActorKind kind = ActorKind::kSource;
  std::string id;
  std::string workspace_id;
  std::string definition_name;  //!< the connector, e.g. "source-postgres"
  std::string name;
  std::string configuration;  //!< opaque (already encrypted by the caller)
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

enum class ConnectionStatus { kActive, kInactive, kDeprecated };
//! kContinuous: one sync job kept running (worker/job_scheduler.h), read in continuous mode.
enum class ScheduleType { kManual, kBasic, kCron, kContinuous };
std::string_view ConnectionStatusName(ConnectionStatus status);
std::optional<ConnectionStatus> ParseConnectionStatus(std::string_view name);
std::string_view ScheduleTypeName(ScheduleType type);
std::optional<ScheduleType> ParseScheduleType(std::string_view name);

//! A connection's id and the updated_at of its row (MetadataStore::ListConnectionVersions).
struct ConnectionVersion {
  std::string connection_id;
  int64_t updated_at = 0;
  bool operator==(const ConnectionVersion&) const = default;
};

struct Connection {
  std::string connection_id;
  std::string name;
  std::string source_id;
  std::string destination_id;
  std::string workspace_id;  //!< read-only: the source's workspace
  ConnectionStatus status = ConnectionStatus::kActive;
  ScheduleType schedule_type = ScheduleType::kManual;
  Json schedule_data;  //!< Airbyte's scheduleData, null for manual
  Json sync_catalog = Json::object();
  std::string namespace_definition = "source";  //!< source | destination | customformat
  std::optional<std::string> namespace_format;
  std::string prefix;
  Json resource_requirements;  //!< null when none
  bool notify_schema_changes = false;
  std::string non_breaking_changes_preference = "ignore";
  //! Airbyte's schemaChange of the source against sync_catalog, as the last sync (or discover
  //! with this connection) found it and left it: "no_change" | "non_breaking" | "breaking".
  //! Written by the workers and discover_schema; a syncCatalog saved through the API clears it.
  std::string schema_change = "no_change";
  //! The catalogDiff still waiting for the user's review (null when schema_change is no_change).
  Json pending_catalog_diff;
  int consecutive_failures = 0;  //!< read-only: maintained by FinishAttempt / ReclaimExpired
  //! Airbyte's operationIds: the operations run, in this order, after each successful sync.
  std::vector<std::string> operation_ids;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

//! An operation run after a connection's syncs (Airbyte's `operation`): `operator_configuration`
//! is Airbyte's OperatorConfiguration ({"operatorType": "normalization" | "dbt" | "webhook", …}),
//! stored as given (validated by the API).
struct Operation {
  std::string operation_id;
  std::string workspace_id;
  std::string name;
  Json operator_configuration = Json::object();
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

//! A custom source connector from a declarative (low-code) manifest: Airbyte's custom source
//! definition with its active declarative manifest. Sources of it store `definition_name`
//! kCustomDefinitionPrefix + id and run as source-declarative-manifest with `manifest` injected.
struct CustomSourceDefinition {
  std::string definition_id;
  std::string workspace_id;
  std::string name;
  Json manifest = Json::object();  //!< the manifest as parsed from its YAML
  int64_t version = 1;             //!< Airbyte's declarativeManifest.version (the active one)
  std::string description;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};
inline constexpr std::string_view kCustomDefinitionPrefix = "custom-source/";

//! Airbyte's job config types: a sync; a reset (every stream emptied, all state cleared); a
//! refresh (a sync in which some streams start a new generation and are read again from the
//! start); a clear (some streams emptied in a new generation, their state cleared).
enum class JobConfigType { kSync, kResetConnection, kRefresh, kClear };
//! pending → running → succeeded | failed | cancelled; running → incomplete (an attempt failed,
//! another will come) → running …  "Unfinished" = pending, running or incomplete.
enum class JobStatus { kPending, kRunning, kIncomplete, kFailed, kSucceeded, kCancelled };
enum class AttemptStatus { kRunning, kFailed, kSucceeded };
std::string_view JobConfigTypeName(JobConfigType type);  //!< "sync", "reset_connection", "refresh", "clear"
std::optional<JobConfigType> ParseJobConfigType(std::string_view name);
std::string_view JobStatusName(JobStatus status);
std::optional<JobStatus> ParseJobStatus(std::string_view name);
std::string_view AttemptStatusName(AttemptStatus status);
bool IsTerminal(JobStatus status);  //!< failed, succeeded or cancelled

//! What a refresh or clear job does to one stream: refresh with "remove records" (Airbyte's
//! Truncate: the old rows go when the new generation commits), refresh with "keep records"
//! (Merge: the re-read rows are added), or clear (emptied).
enum class StreamAction { kRefreshTruncate, kRefreshMerge, kClear };
std::string_view StreamActionName(StreamAction action);  //!< "refresh_truncate", "refresh_merge", "clear"
std::optional<StreamAction> ParseStreamAction(std::string_view name);

//! One stream of a refresh or clear job, named as the source names it (the syncCatalog's
//! stream name and namespace, before prefix and namespace mapping).
struct JobStream {
  std::string name;
  std::optional<std::string> namespace_;  //!< nullopt and "" are the same stream
  StreamAction action = StreamAction::kRefreshTruncate;
  //! The stream's new generation, set when the job's first attempt started (StartJobStreams).
  std::optional<int64_t> generation_id;
};

//! A stream's current generation in a connection: 0 until its first refresh or clear, then +1
//! for each (Airbyte's stream generations). Every row a destination writes carries it.
struct StreamGeneration {
  std::string name;
  std::optional<std::string> namespace_;
  int64_t generation_id = 0;
};

struct Job {
  JobId id = 0;
  std::string connection_id;
  JobConfigType config_type = JobConfigType::kSync;
  JobStatus status = JobStatus::kPending;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> started_at;  //!< first claim
  int64_t not_before = 0;             //!< not claimed before this time (retry backoff)
  bool cancel_requested = false;
  std::optional<std::string> worker_id;     //!< while running
  std::optional<int64_t> lease_expires_at;  //!< while running
  int attempt_count = 0;
  //! Refresh and clear jobs: their streams and what happens to each (empty for a sync; a reset
  //! lists every stream selected when it was queued).
  std::vector<JobStream> streams;
};

struct Attempt {
  JobId job_id = 0;
  int attempt_number = 0;  //!< 1, 2, …
  AttemptStatus status = AttemptStatus::kRunning;
  std::optional<std::string> worker_id;
  int64_t created_at = 0;
  std::optional<int64_t> ended_at;
  Json stats;            //!< records/bytes emitted and committed, per stream; null until known
  Json failure_summary;  //!< Airbyte's AttemptFailureSummary; null unless failed
  //! What the attempt found and did about a changed source schema (platform/schema_policy.h
  //! ToJobJson); null when the schema had not changed.
  Json schema_change;
};

struct LogLine {
  int64_t seq = 0;  //!< 1, 2, … per attempt
  std::string line;
};

struct ConnectionState {
  std::string connection_id;
  Json state;
  int64_t updated_at = 0;
};

enum class UserRole { kAdmin, kDataEngineer, kAnalyst, kViewer };
std::string_view UserRoleName(UserRole role);  //!< "admin", "data_engineer", "analyst", "viewer"
std::optional<UserRole> ParseUserRole(std::string_view name);

struct User {
  std::string user_id;
  std::string email;  //!< unique, compared case-insensitively (ASCII)
  std::string name;
  UserRole role = UserRole::kViewer;
  std::string password_hash;  //!< opaque (argon2 string from the auth module)
  bool must_change_password = false;
  //! True: the user reaches every workspace (every user from before migration 8 does). False:
  //! only `workspace_ids` (table user_workspaces), oldest workspace first.
  bool all_workspaces = true;
  std::vector<std::string> workspace_ids;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

//! The kinds of objects that belong to a workspace (MetadataStore::WorkspaceOf). A connection's
//! workspace is its source's; a job's is its connection's.
enum class WorkspaceObject { kSource, kDestination, kConnection, kOperation, kJob };

struct ApiKey {
  std::string id;
  std::string user_id;
  std::string name;
  std::string token_hash;  //!< opaque; the token itself is never stored
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
};

struct Session {
  std::string token_hash;
  std::string user_id;
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

}  // namespace sluice
