#pragma once
// MetadataStore: the typed API of `sluice server`'s metadata (workspaces, sources, destinations,
// connections, the job queue with attempts and logs, connection state, users, API keys,
// sessions) over the SQL seam, on SQLite or PostgreSQL.
//
// Thread-safe: any thread may call any method. Time is always a parameter (`now`, epoch ms): the
// store never reads a clock. Lookups return std::nullopt for an unknown id (the API's 404);
// errors are Status values (config: invalid reference or duplicate; transient: retry).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/metadata_types.h"
#include "metadata/sql_database.h"

namespace sluice {

struct MetadataStoreOptions {
  SqlOptions sql;
  //! Attempts per job before a failure (or a lost worker) fails the job. Default 3.
  int max_attempts = 3;
};

struct EnqueueResult {
  Job job;
  bool created = false;  //!< false: the connection already had an unfinished job, returned instead
};

struct ClaimedJob {
  Job job;          //!< now running, leased to the worker
  Attempt attempt;  //!< the new running attempt
};

enum class LeaseStatus {
  kHeld,             //!< keep going
  kCancelRequested,  //!< keep the lease but stop the attempt: the user cancelled
  kLost,             //!< the job is no longer this worker's (lease expired and reclaimed): stop
};

enum class AttemptOutcome { kSucceeded, kFailed, kCancelled };

struct AttemptResult {
  AttemptOutcome outcome = AttemptOutcome::kSucceeded;
  Json stats;            //!< per stream: records/bytes emitted and committed
  Json failure_summary;  //!< Airbyte's AttemptFailureSummary when failed
  //! kFailed only: retry no earlier than this time (job → incomplete) while attempts remain;
  //! nullopt means do not retry (job → failed).
  std::optional<int64_t> retry_at;
  Json schema_change;  //!< stored on the attempt (Attempt::schema_change); null: none
};

//! Which jobs ListJobs / CountJobs return, in `order` (default newest, highest id, first).
struct JobQuery {
  std::optional<std::string> connection_id;
  std::vector<JobConfigType> config_types;  //!< empty: every type
  std::vector<JobStatus> statuses;          //!< empty: every status
  std::vector<std::string> workspace_ids;   //!< jobs of these workspaces' connections; empty: all
  std::optional<int64_t> created_from;      //!< created_at >= this (epoch ms)
  std::optional<int64_t> created_to;        //!< created_at <= this (epoch ms)
  std::optional<int64_t> updated_from;      //!< updated_at >= this (epoch ms)
  std::optional<int64_t> updated_to;        //!< updated_at <= this (epoch ms)
  enum class Order { kNewestFirst, kOldestFirst, kUpdatedNewestFirst, kUpdatedOldestFirst };
  Order order = Order::kNewestFirst;  //!< by creation (id), or by updated_at (ties by id)
  int64_t limit = 20;  //!< page size
  int64_t offset = 0;  //!< rows skipped
};

//! Which finished sync jobs SyncJobStats counts, cut into days. A job counts on the day it
//! finished (its last update, which for a finished job is its end).
struct JobStatsQuery {
  //! Day i runs from day_starts[i] (inclusive) to day_starts[i + 1] (exclusive), epoch ms,
  //! ascending: N days take N + 1 entries (local midnights, so DST days last 23 or 25 hours).
  std::vector<int64_t> day_starts;
  std::optional<std::string> connection_id;  //!< all connections when nullopt
  std::vector<std::string> workspace_ids;    //!< only these workspaces' connections; empty: all
};

//! Figures of finished sync jobs over one day (or the whole period, for the totals). Durations
//! run from the first claim to the end; a job cancelled before it started has none.
struct JobStatsFigures {
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t cancelled = 0;
  int64_t records_committed = 0;  //!< over every attempt of the jobs (failed attempts may commit)
  int64_t bytes_committed = 0;
  std::optional<double> duration_p50_s;  //!< the median (mean of the middle two); nullopt: none ran
  std::optional<double> duration_max_s;
};

struct JobStats {
  std::vector<JobStatsFigures> days;  //!< one per day of the query, in order (zeros when none)
  JobStatsFigures totals;             //!< the whole period
};

class MetadataStore {
 public:
  //! Opens the database by URL (see OpenSqlDatabase) and migrates it. `now_ms` stamps migrations.
  static Result<std::unique_ptr<MetadataStore>> Open(std::string_view url, int64_t now_ms,
                                                     MetadataStoreOptions options = {});
  //! REQUIRES: `db` migrated to LatestSchemaVersion().
  MetadataStore(std::unique_ptr<SqlDatabase> db, MetadataStoreOptions options);

  SqlDatabase& database() { return *db_; }

  // --- workspaces (a default one exists after the first migration) ---
  //! A new id is generated; a null notification_settings becomes the default.
  Result<Workspace> CreateWorkspace(Workspace workspace, int64_t now);
  Result<std::optional<Workspace>> GetWorkspace(const std::string& workspace_id);
  //! Oldest first: the first one is the default workspace.
  Result<std::vector<Workspace>> ListWorkspaces();
  //! Writes every field but the id and created_at.
  Result<std::optional<Workspace>> UpdateWorkspace(const Workspace& workspace, int64_t now);
  //! The workspace object `id` of `kind` belongs to (deleted ones too); nullopt for an unknown id.
  //! One lookup by primary key (the API's workspace check runs it per request of a limited user).
  Result<std::optional<std::string>> WorkspaceOf(WorkspaceObject kind, const std::string& id);

  // --- sources and destinations ---
  //! A new id is generated. The workspace must exist (config error naming workspaceId).
  Result<Actor> CreateActor(Actor actor, int64_t now);
  //! nullopt for unknown or deleted ids and for an id of the other kind.
  Result<std::optional<Actor>> GetActor(ActorKind kind, const std::string& id);
  Result<std::vector<Actor>> ListActors(ActorKind kind, const std::string& workspace_id);
  //! Writes name and configuration.
  Result<std::optional<Actor>> UpdateActor(const Actor& actor, int64_t now);
  //! Tombstones the actor and deletes (deprecates, see DeleteConnection) every connection using
  //! it, in one transaction — Airbyte's behaviour. Returns false for an unknown id.
  Result<bool> DeleteActor(ActorKind kind, const std::string& id, int64_t now);

  // --- operations (run after a connection's syncs) ---
  //! A new id is generated. The workspace must exist (config error naming workspaceId).
  Result<Operation> CreateOperation(Operation operation, int64_t now);
  //! nullopt for an unknown (or deleted) id.
  Result<std::optional<Operation>> GetOperation(const std::string& operation_id);
  //! The operations of a workspace (every workspace's when `workspace_id` is empty), oldest first.
  Result<std::vector<Operation>> ListOperations(const std::string& workspace_id);
  //! Writes name and operator_configuration.
  Result<std::optional<Operation>> UpdateOperation(const Operation& operation, int64_t now);
  //! Deletes the operation and removes it from every connection's operation_ids, in one
  //! transaction. False for an unknown id.
  Result<bool> DeleteOperation(const std::string& operation_id, int64_t now);

  // --- custom source definitions (declarative manifests) ---
  //! Creates one (id generated); ConfigError for an unknown workspace.
  Result<CustomSourceDefinition> CreateCustomSourceDefinition(CustomSourceDefinition definition, int64_t now);
  Result<std::optional<CustomSourceDefinition>> GetCustomSourceDefinition(const std::string& definition_id);
  //! Every workspace's when `workspace_id` is empty; oldest first.
  Result<std::vector<CustomSourceDefinition>> ListCustomSourceDefinitions(const std::string& workspace_id);
  //! Replaces name, manifest, version and description; nullopt when unknown.
  Result<std::optional<CustomSourceDefinition>> UpdateCustomSourceDefinition(const CustomSourceDefinition& definition,
                                                                             int64_t now);

  // --- connections ---
  //! A new id is generated. Source and destination must exist, be of the right kind and share a
  //! workspace (config errors naming sourceId / destinationId); so must each of operation_ids
  //! (create and update: config error naming operationIds).
  Result<Connection> CreateConnection(Connection connection, int64_t now);
  //! Also returns deprecated (deleted) connections, whose jobs stay readable.
  Result<std::optional<Connection>> GetConnection(const std::string& connection_id);
  //! Oldest first; all workspaces when `workspace_id` is nullopt (the scheduler's view).
  //! `include_catalogs` false leaves sync_catalog and pending_catalog_diff null (not read nor
  //! parsed: the scheduler reloads the list after every change and needs only the schedules).
  Result<std::vector<Connection>> ListConnections(const std::optional<std::string>& workspace_id,
                                                  bool include_deprecated = false, bool include_catalogs = true);
  //! The live (not deprecated) connections of `workspace_id`: id and updated_at, in
  //! ListConnections' order (created_at, id). updated_at moves forward with every write of a
  //! connection row (a write in the same millisecond adds 1), so (id, updated_at) names the
  //! row's content: connections/list keeps each connection's answer by it. Reads the partial
  //! index connections_live (migration 9) and the workspace's sources, never the deleted rows.
  Result<std::vector<ConnectionVersion>> ListConnectionVersions(const std::string& workspace_id);
  //! A token that changes whenever a connection of the workspace (all when nullopt) is created,
  //! changed, deleted or has its consecutive_failures changed, by any process sharing the
  //! store: a cache of connection lists compares it. One aggregate query.
  Result<std::string> ConnectionsVersion(const std::optional<std::string>& workspace_id);
  //! Writes the mutable fields (not source/destination). Going from inactive to active resets
  //! consecutive_failures. A deprecated connection cannot be updated (config error).
  Result<std::optional<Connection>> UpdateConnection(const Connection& connection, int64_t now);
  //! Soft delete as Airbyte: status → deprecated, its pending/incomplete jobs cancelled and a
  //! running one asked to cancel. History stays. False for an unknown id.
  Result<bool> DeleteConnection(const std::string& connection_id, int64_t now);

  // --- the job queue ---
  //! Adds a pending job, unless the connection already has an unfinished (pending, running,
  //! incomplete) job: that one is returned with created=false. Unknown or deprecated connection:
  //! config error. `streams`: a refresh's or clear's streams, kept with the job (their
  //! generation ids are set later, by StartJobStreams).
  Result<EnqueueResult> EnqueueJob(const std::string& connection_id, JobConfigType type, int64_t now,
                                   const std::vector<JobStream>& streams = {});
  //! The scheduler's enqueue: as EnqueueJob, but only while the connection's newest job is still
  //! the one its decision was read from (`seen`: LatestJobMark of that job, "" for none) — a job
  //! that finished or appeared between the read and this call makes it create nothing (created =
  //! false, job id 0) and the scheduler decides again on its next tick.
  Result<EnqueueResult> EnqueueJobIfLatest(const std::string& connection_id, JobConfigType type, int64_t now,
                                           const std::string& seen);
  //! What EnqueueJobIfLatest compares: id, status and updated_at of a job.
  static std::string LatestJobMark(const Job& job);
  //! The oldest claimable job (pending, or incomplete with not_before <= now) becomes running
  //! with a new attempt, leased to `worker_id` until now + lease_ms. nullopt when none.
  //! Concurrent claimers never get the same job (SKIP LOCKED / BEGIN IMMEDIATE).
  Result<std::optional<ClaimedJob>> ClaimJob(const std::string& worker_id, int64_t lease_ms, int64_t now);
  //! Extends the lease to `lease_until` while attempt `attempt_number` of the job still runs
  //! for `worker_id`. Errors are database failures only (retry); a lost lease is kLost.
  Result<LeaseStatus> Heartbeat(JobId job_id, int attempt_number, const std::string& worker_id, int64_t lease_until,
                                int64_t now);
  //! Running jobs whose lease expired before `now`: their attempt fails ("worker lost"), the job
  //! goes to incomplete (claimable at once), or to failed after max_attempts, or to cancelled if
  //! a cancel was requested. Returns the jobs changed.
  Result<std::vector<Job>> ReclaimExpired(int64_t now);
  //! Running jobs whose worker is gone for sure, as `is_lost(worker_id)` says (the reclaimer: a
  //! worker process of this host that no longer exists, e.g. a server killed with SIGKILL and
  //! started again), are reclaimed at once as ReclaimExpired does, without waiting for their
  //! lease. Returns the jobs changed (expired ones included).
  Result<std::vector<Job>> ReclaimLostWorkers(const std::function<bool(const std::string&)>& is_lost, int64_t now);
  //! Ends the running attempt of a job the worker still owns and sets the job's status:
  //! succeeded; failed → incomplete (retry_at set and attempts left) or failed; cancelled, and
  //! failed with a cancel requested → cancelled. Keeps connections.consecutive_failures (a failed
  //! job +1, a succeeded one → 0). A lost lease is a system error; nothing changes then.
  Result<Job> FinishAttempt(JobId job_id, int attempt_number, const std::string& worker_id, const AttemptResult& result,
                            int64_t now);
  //! pending/incomplete → cancelled at once; running → cancel_requested (the worker sees it at its
  //! next heartbeat); finished jobs unchanged. nullopt for an unknown id.
  Result<std::optional<Job>> RequestCancel(JobId job_id, int64_t now);
  Result<std::optional<Job>> GetJob(JobId job_id);
  Result<std::vector<Job>> ListJobs(const JobQuery& query);
  Result<int64_t> CountJobs(const JobQuery& query);  //!< ignores limit and offset
  Result<std::map<JobStatus, int64_t>> CountJobsByStatus();
  //! Per day figures of finished sync and refresh jobs (reset and clear jobs are left out: they
  //! move no data), by SQL aggregation over a range of the index jobs_finished per day — no sort
  //! of the period's jobs.
  //! Each day's durations come back as one text list for the medians, computed here; the
  //! period's are kept for its median (8 bytes per job). At most 366 days (a config error
  //! naming `days` beyond).
  Result<JobStats> SyncJobStats(const JobStatsQuery& query);
  //! Moves when a job finishes (the newest updated_at of the finished jobs, from the index
  //! jobs_finished) or a connection is added or deleted: SyncJobStats answers may be reused
  //! while it stays.
  Result<std::string> FinishedJobsVersion();
  Result<std::vector<Attempt>> ListAttempts(JobId job_id);  //!< by attempt number

  //! Appends lines to an attempt's log (numbered from 1 in order).
  Status AppendLogLines(JobId job_id, int attempt_number, const std::vector<std::string>& lines);
  //! Lines with seq > after_seq in order, at most `limit` (-1: all).
  Result<std::vector<LogLine>> ReadLog(JobId job_id, int attempt_number, int64_t after_seq = 0, int64_t limit = -1);
  //! The last `n` lines, in order.
  Result<std::vector<LogLine>> TailLog(JobId job_id, int attempt_number, int64_t n);

  // --- stream generations (refreshes and clears) ---
  //! The generations of a connection's streams that were ever refreshed or cleared (the others
  //! are at 0), ordered by namespace and name.
  Result<std::vector<StreamGeneration>> ListStreamGenerations(const std::string& connection_id);

  //! The saved state without the given streams' entries. The store does not know the state's
  //! format: the caller (platform/) does.
  using StateStreamRemover = std::function<Result<Json>(const Json& state, const std::vector<JobStream>& streams)>;

  //! Starts the streams of a refresh, clear or reset job, once, in one transaction: each of the
  //! job's streams moves to its generation + 1 (recorded on the job's streams), and its saved
  //! state is dropped through `remove_states` (a refreshed stream is read again from the start,
  //! a cleared one has nothing left). The first attempt does it; later calls (later attempts,
  //! which keep the generation) change nothing. Returns the job as it then is; nullopt for an
  //! unknown job. A job without streams is returned unchanged.
  Result<std::optional<Job>> StartJobStreams(JobId job_id, const StateStreamRemover& remove_states, int64_t now);

  // --- connection state (only ever saved from confirmed checkpoints: the caller's duty) ---
  Result<std::optional<ConnectionState>> GetState(const std::string& connection_id);
  Status SaveState(const std::string& connection_id, const Json& state, int64_t now);
  //! A confirmed checkpoint of a running attempt: SaveState and, in the same transaction, the
  //! attempt's progress `stats` so far ({recordsCommitted, bytesCommitted, streamStats}), so that
  //! an attempt whose worker is lost still counts what it committed (ReclaimExpired adds its
  //! progress to the job's totals; FinishAttempt replaces it with the final stats). Nothing is
  //! written to an attempt that is no longer running.
  Status SaveCheckpoint(const std::string& connection_id, const Json& state, JobId job_id, int attempt_number,
                        const Json& stats, int64_t now);

  // --- users, API keys, sessions ---
  //! A new id is generated. An email already used (ignoring ASCII case) is a config error.
  Result<User> CreateUser(User user, int64_t now);
  Result<std::optional<User>> GetUser(const std::string& user_id);
  Result<std::optional<User>> GetUserByEmail(const std::string& email);  //!< case-insensitive
  Result<std::vector<User>> ListUsers();
  //! Writes email, name, role, password_hash, must_change_password, and the workspaces
  //! (all_workspaces, workspace_ids: replaced; each must exist, at least one: config errors
  //! naming workspaceIds). CreateUser writes them too.
  Result<std::optional<User>> UpdateUser(const User& user, int64_t now);
  //! Also deletes the user's API keys and sessions.
  Result<bool> DeleteUser(const std::string& user_id);

  //! A new id is generated.
  Result<ApiKey> CreateApiKey(const std::string& user_id, const std::string& name, const std::string& token_hash,
                              int64_t now);
  Result<std::optional<ApiKey>> GetApiKeyByHash(const std::string& token_hash);
  Result<std::vector<ApiKey>> ListApiKeys(const std::string& user_id);
  Status TouchApiKey(const std::string& id, int64_t now);  //!< sets last_used_at
  Result<bool> DeleteApiKey(const std::string& id);

  Status CreateSession(const Session& session);
  //! nullopt when unknown or expired at `now`.
  Result<std::optional<Session>> GetSession(const std::string& token_hash, int64_t now);
  Result<bool> DeleteSession(const std::string& token_hash);
  Result<int64_t> DeleteExpiredSessions(int64_t now);
  Result<int64_t> DeleteUserSessions(const std::string& user_id);

 private:
  Result<EnqueueResult> EnqueueJobChecked(const std::string& connection_id, JobConfigType type, int64_t now,
                                          const std::vector<JobStream>& streams, const std::string* seen);
  Result<std::optional<Job>> LoadJob(SqlSession& session, JobId job_id, bool for_update);
  Status SetJobFinished(SqlSession& tx, const Job& job, JobStatus status, int64_t now);

  std::unique_ptr<SqlDatabase> db_;
  MetadataStoreOptions options_;
};

//! A random (version 4) UUID, lowercase.
std::string NewUuid();

}  // namespace sluice
