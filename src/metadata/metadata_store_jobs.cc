// MetadataStore: the job queue — jobs, attempts, attempt logs. Every state change is one
// transaction; rows are locked FOR UPDATE on PostgreSQL (SQLite write transactions are exclusive).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "metadata/metadata_store.h"
#include "metadata/store_internal.h"

namespace sluice {

using store_internal::AllRows;
using store_internal::Execute;
using store_internal::FirstRow;
using store_internal::ForUpdate;
using store_internal::JsonColumn;
using store_internal::JsonParam;

namespace {

// " AND <column> IN (the connections of `workspace_ids`)" with its parameters appended; "" for no
// workspaces (all). A connection's workspace is its source's.
std::string InWorkspaces(std::string_view column, const std::vector<std::string>& workspace_ids, SqlParams& params) {
  if (workspace_ids.empty()) return "";
  std::string where = fmt::format(
      " AND {} IN (SELECT c.id FROM connections c JOIN actors a ON a.id = c.source_id WHERE a.workspace_id IN (",
      column);
  for (size_t i = 0; i < workspace_ids.size(); ++i) {
    where += i == 0 ? "?" : ", ?";
    params.emplace_back(workspace_ids[i]);
  }
  return where + "))";
}

constexpr const char* kJobSelect =
    "SELECT id, connection_id, config_type, status, created_at, updated_at, started_at, not_before, "
    "cancel_requested, worker_id, lease_expires_at, streams, "
    "(SELECT COUNT(*) FROM attempts a WHERE a.job_id = jobs.id) FROM jobs ";

constexpr const char* kUnfinished = "('pending', 'running', 'incomplete')";

// A job's streams as stored: [{"name", "namespace", "action", "generationId"}] (namespace and
// generationId null when absent); SQL NULL when the job has none.
Json JobStreamsToJson(const std::vector<JobStream>& streams) {
  if (streams.empty()) return Json();
  Json out = Json::array();
  for (const JobStream& s : streams) {
    out.push_back({{"name", s.name},
                   {"namespace", s.namespace_ ? Json(*s.namespace_) : Json()},
                   {"action", StreamActionName(s.action)},
                   {"generationId", s.generation_id ? Json(*s.generation_id) : Json()}});
  }
  return out;
}

std::vector<JobStream> JobStreamsFromJson(const Json& json) {
  std::vector<JobStream> out;
  if (!json.is_array()) return out;
  for (const Json& e : json) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) continue;
    JobStream s;
    s.name = e["name"].get<std::string>();
    if (auto ns = e.find("namespace"); ns != e.end() && ns->is_string()) s.namespace_ = ns->get<std::string>();
    if (auto a = e.find("action"); a != e.end() && a->is_string()) {
      s.action = ParseStreamAction(a->get<std::string>()).value_or(StreamAction::kRefreshTruncate);
    }
    if (auto g = e.find("generationId"); g != e.end() && g->is_number_integer()) s.generation_id = g->get<int64_t>();
    out.push_back(std::move(s));
  }
  return out;
}

Job JobFromRow(const SqlRow& row) {
  Job j;
  j.id = row.GetInt(0);
  j.connection_id = row.GetText(1);
  j.config_type = ParseJobConfigType(row.GetText(2)).value_or(JobConfigType::kSync);
  j.status = ParseJobStatus(row.GetText(3)).value_or(JobStatus::kFailed);
  j.created_at = row.GetInt(4);
  j.updated_at = row.GetInt(5);
  j.started_at = row.GetOptionalInt(6);
  j.not_before = row.GetInt(7);
  j.cancel_requested = row.GetBool(8);
  j.worker_id = row.GetOptionalText(9);
  j.lease_expires_at = row.GetOptionalInt(10);
  j.streams = JobStreamsFromJson(JsonColumn(row, 11));
  j.attempt_count = static_cast<int>(row.GetInt(12));
  return j;
}

Attempt AttemptFromRow(const SqlRow& row) {
  Attempt a;
  a.job_id = row.GetInt(0);
  a.attempt_number = static_cast<int>(row.GetInt(1));
  const std::string status = row.GetText(2);
  a.status = status == "succeeded" ? AttemptStatus::kSucceeded
             : status == "failed"  ? AttemptStatus::kFailed
                                   : AttemptStatus::kRunning;
  a.worker_id = row.GetOptionalText(3);
  a.created_at = row.GetInt(4);
  a.ended_at = row.GetOptionalInt(5);
  a.stats = JsonColumn(row, 6);
  a.failure_summary = JsonColumn(row, 7);
  a.schema_change = JsonColumn(row, 8);
  return a;
}

//! A top-level count of an attempt's stats; 0 when absent or not a number.
int64_t StatCount(const Json& stats, const char* key) {
  if (!stats.is_object()) return 0;
  auto it = stats.find(key);
  if (it == stats.end() || !it->is_number()) return 0;
  return it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
}

Json WorkerLostFailure(const Job& job, int64_t now) {
  return {
      {"failures",
       Json::array({{{"failureOrigin", "airbyte_platform"},
                     {"failureType", "transient_error"},
                     {"externalMessage", "worker lost: the worker running this attempt stopped heart-beating"},
                     {"internalMessage", fmt::format("worker {} let its lease expire at {}",
                                                     job.worker_id.value_or("?"), job.lease_expires_at.value_or(0))},
                     {"timestamp", now}}})},
      {"partialSuccess", false}};
}

}  // namespace

Result<std::optional<Job>> MetadataStore::LoadJob(SqlSession& session, JobId job_id, bool for_update) {
  std::string sql = std::string(kJobSelect) + "WHERE id = ?";
  if (for_update) sql += ForUpdate(session.dialect());
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, session.Query(sql, {job_id}));
  return FirstRow(rows, JobFromRow);
}

Status MetadataStore::SetJobFinished(SqlSession& tx, const Job& job, JobStatus status, int64_t now) {
  SLUICE_RETURN_IF_ERROR(Execute(tx,
                                 "UPDATE jobs SET status = ?, worker_id = NULL, lease_expires_at = NULL, "
                                 "updated_at = ? WHERE id = ?",
                                 {JobStatusName(status), now, job.id}));
  // The row's updated_at moves with its failure count, so ConnectionsVersion sees the change.
  constexpr const char* kBump = store_internal::kBumpUpdatedAt;
  if (status == JobStatus::kFailed) {
    SLUICE_RETURN_IF_ERROR(Execute(
        tx, fmt::format("UPDATE connections SET consecutive_failures = consecutive_failures + 1, {} WHERE id = ?", kBump),
        {now, now, job.connection_id}));
  } else if (status == JobStatus::kSucceeded) {
    SLUICE_RETURN_IF_ERROR(Execute(
        tx,
        fmt::format("UPDATE connections SET consecutive_failures = 0, {} WHERE id = ? AND consecutive_failures <> 0",
                    kBump),
        {now, now, job.connection_id}));
  }
  return Status::Ok();
}

Result<EnqueueResult> MetadataStore::EnqueueJob(const std::string& connection_id, JobConfigType type, int64_t now,
                                                const std::vector<JobStream>& streams) {
  return EnqueueJobChecked(connection_id, type, now, streams, nullptr);
}

Result<EnqueueResult> MetadataStore::EnqueueJobIfLatest(const std::string& connection_id, JobConfigType type,
                                                        int64_t now, const std::string& seen) {
  return EnqueueJobChecked(connection_id, type, now, {}, &seen);
}

Result<EnqueueResult> MetadataStore::EnqueueJobChecked(const std::string& connection_id, JobConfigType type,
                                                       int64_t now, const std::vector<JobStream>& streams,
                                                       const std::string* seen) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  // Locking the connection row serializes enqueues per connection on PostgreSQL; the partial
  // unique index on jobs backs the rule up.
  SLUICE_ASSIGN_OR_RETURN(SqlRows connection, tx->Query(std::string("SELECT status FROM connections WHERE id = ?") +
                                                            ForUpdate(db_->dialect()),
                                                        {connection_id}));
  if (connection.empty()) return Status::ConfigError(fmt::format("connectionId: no connection '{}'", connection_id));
  if (connection[0].GetText(0) == "deprecated") {
    return Status::ConfigError(fmt::format("connectionId: connection '{}' is deleted", connection_id));
  }
  if (seen != nullptr) {  // the scheduler's decision still stands: the newest job is unchanged
    SLUICE_ASSIGN_OR_RETURN(
        SqlRows latest,
        tx->Query(fmt::format("{}WHERE connection_id = ? ORDER BY id DESC LIMIT 1", kJobSelect), {connection_id}));
    const std::string mark = latest.empty() ? std::string() : LatestJobMark(JobFromRow(latest[0]));
    if (mark != *seen) {
      SLUICE_RETURN_IF_ERROR(tx->Commit());
      return EnqueueResult{Job(), false};
    }
  }
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows existing,
      tx->Query(fmt::format("{}WHERE connection_id = ? AND status IN {}", kJobSelect, kUnfinished), {connection_id}));
  if (!existing.empty()) {
    SLUICE_RETURN_IF_ERROR(tx->Commit());
    return EnqueueResult{JobFromRow(existing[0]), false};
  }
  SLUICE_ASSIGN_OR_RETURN(SqlRows inserted,
                          tx->Query("INSERT INTO jobs (connection_id, config_type, status, created_at, updated_at, "
                                    "streams) VALUES (?, ?, 'pending', ?, ?, ?) RETURNING id",
                                    {connection_id, JobConfigTypeName(type), now, now,
                                     JsonParam(JobStreamsToJson(streams))}));
  SLUICE_ASSIGN_OR_RETURN(auto job, LoadJob(*tx, inserted.at(0).GetInt(0), false));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return EnqueueResult{std::move(*job), true};
}

std::string MetadataStore::LatestJobMark(const Job& job) {
  return fmt::format("{}:{}:{}", job.id, JobStatusName(job.status), job.updated_at);
}

Result<std::optional<ClaimedJob>> MetadataStore::ClaimJob(const std::string& worker_id, int64_t lease_ms, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  std::string sql =
      "SELECT id FROM jobs WHERE status IN ('pending', 'incomplete') AND not_before <= ? ORDER BY id LIMIT 1";
  if (db_->dialect() == Dialect::kPostgres) sql += " FOR UPDATE SKIP LOCKED";
  SLUICE_ASSIGN_OR_RETURN(SqlRows found, tx->Query(sql, {now}));
  if (found.empty()) {
    SLUICE_RETURN_IF_ERROR(tx->Commit());
    return std::optional<ClaimedJob>();
  }
  const JobId job_id = found[0].GetInt(0);
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows numbers,
      tx->Query("SELECT COALESCE(MAX(attempt_number), 0) + 1 FROM attempts WHERE job_id = ?", {job_id}));
  const int attempt_number = static_cast<int>(numbers.at(0).GetInt(0));
  SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                 "UPDATE jobs SET status = 'running', worker_id = ?, lease_expires_at = ?, "
                                 "started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
                                 {worker_id, now + lease_ms, now, now, job_id}));
  SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                 "INSERT INTO attempts (job_id, attempt_number, status, worker_id, created_at) "
                                 "VALUES (?, ?, 'running', ?, ?)",
                                 {job_id, attempt_number, worker_id, now}));
  SLUICE_ASSIGN_OR_RETURN(auto job, LoadJob(*tx, job_id, false));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  Attempt attempt;
  attempt.job_id = job_id;
  attempt.attempt_number = attempt_number;
  attempt.worker_id = worker_id;
  attempt.created_at = now;
  return std::optional<ClaimedJob>(ClaimedJob{std::move(*job), std::move(attempt)});
}

Result<LeaseStatus> MetadataStore::Heartbeat(JobId job_id, int attempt_number, const std::string& worker_id,
                                             int64_t lease_until, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows,
                          db_->Query("UPDATE jobs SET lease_expires_at = ?, updated_at = ? "
                                     "WHERE id = ? AND worker_id = ? AND status = 'running' "
                                     "AND (SELECT MAX(attempt_number) FROM attempts a WHERE a.job_id = jobs.id) = ? "
                                     "RETURNING cancel_requested",
                                     {lease_until, now, job_id, worker_id, attempt_number}));
  if (rows.empty()) return LeaseStatus::kLost;
  return rows[0].GetBool(0) ? LeaseStatus::kCancelRequested : LeaseStatus::kHeld;
}

Result<std::vector<Job>> MetadataStore::ReclaimExpired(int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  std::string sql = "SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < ? ORDER BY id";
  if (db_->dialect() == Dialect::kPostgres) sql += " FOR UPDATE SKIP LOCKED";  // skip jobs being heart-beaten
  SLUICE_ASSIGN_OR_RETURN(SqlRows expired, tx->Query(sql, {now}));
  std::vector<Job> changed;
  for (const SqlRow& row : expired) {
    SLUICE_ASSIGN_OR_RETURN(auto job, LoadJob(*tx, row.GetInt(0), false));
    if (!job) continue;
    // What the lost attempt committed (its last checkpoint's progress, SaveCheckpoint) counts in
    // the job's totals, as FinishAttempt would have added it.
    SLUICE_ASSIGN_OR_RETURN(SqlRows progress,
                            tx->Query("SELECT stats FROM attempts WHERE job_id = ? AND status = 'running'", {job->id}));
    for (const SqlRow& p : progress) {
      const Json stats = JsonColumn(p, 0);
      const int64_t records = StatCount(stats, "recordsCommitted");
      const int64_t bytes = StatCount(stats, "bytesCommitted");
      if (records == 0 && bytes == 0) continue;
      SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                     "UPDATE jobs SET records_committed = records_committed + ?, "
                                     "bytes_committed = bytes_committed + ? WHERE id = ?",
                                     {records, bytes, job->id}));
    }
    SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                   "UPDATE attempts SET status = 'failed', ended_at = ?, failure_summary = ? "
                                   "WHERE job_id = ? AND status = 'running'",
                                   {now, WorkerLostFailure(*job, now).dump(), job->id}));
    if (job->cancel_requested) {
      SLUICE_RETURN_IF_ERROR(SetJobFinished(*tx, *job, JobStatus::kCancelled, now));
    } else if (job->attempt_count >= options_.max_attempts) {
      SLUICE_RETURN_IF_ERROR(SetJobFinished(*tx, *job, JobStatus::kFailed, now));
    } else {
      SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                     "UPDATE jobs SET status = 'incomplete', worker_id = NULL, "
                                     "lease_expires_at = NULL, not_before = ?, updated_at = ? WHERE id = ?",
                                     {now, now, job->id}));
    }
    SLUICE_ASSIGN_OR_RETURN(auto reloaded, LoadJob(*tx, job->id, false));
    changed.push_back(std::move(*reloaded));
  }
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return changed;
}

Result<std::vector<Job>> MetadataStore::ReclaimLostWorkers(const std::function<bool(const std::string&)>& is_lost,
                                                           int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows running,
                          db_->Query("SELECT id, worker_id FROM jobs WHERE status = 'running' AND worker_id IS NOT NULL "
                                     "AND lease_expires_at >= ?",
                                     {now}));
  std::vector<std::pair<int64_t, std::string>> lost;  // job id, worker id
  for (const SqlRow& row : running) {
    std::string worker = row.GetText(1);
    if (is_lost(worker)) lost.emplace_back(row.GetInt(0), std::move(worker));
  }
  if (!lost.empty()) {
    SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
    for (const auto& [id, worker] : lost) {
      // Expire the lease now (only while the same claim holds it): ReclaimExpired does the rest.
      SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                     "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND status = 'running' "
                                     "AND worker_id = ?",
                                     {now - 1, id, worker}));
    }
    SLUICE_RETURN_IF_ERROR(tx->Commit());
  }
  return ReclaimExpired(now);
}

Result<Job> MetadataStore::FinishAttempt(JobId job_id, int attempt_number, const std::string& worker_id,
                                         const AttemptResult& result, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(auto job, LoadJob(*tx, job_id, true));
  if (!job) return Status::ConfigError(fmt::format("jobId: no job {}", job_id));
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows attempt,
      tx->Query("SELECT status FROM attempts WHERE job_id = ? AND attempt_number = ?", {job_id, attempt_number}));
  if (job->status != JobStatus::kRunning || job->worker_id != worker_id || attempt.empty() ||
      attempt[0].GetText(0) != "running" || attempt_number != job->attempt_count) {
    return Status::SystemError(fmt::format("attempt {} of job {} is no longer running for worker {} (lease lost)",
                                           attempt_number, job_id, worker_id));
  }
  const bool succeeded = result.outcome == AttemptOutcome::kSucceeded;
  SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                 "UPDATE attempts SET status = ?, ended_at = ?, stats = ?, failure_summary = ?, "
                                 "schema_change = ? WHERE job_id = ? AND attempt_number = ?",
                                 {succeeded ? "succeeded" : "failed", now, JsonParam(result.stats),
                                  JsonParam(result.failure_summary), JsonParam(result.schema_change), job_id,
                                  attempt_number}));
  const int64_t records = StatCount(result.stats, "recordsCommitted");
  const int64_t bytes = StatCount(result.stats, "bytesCommitted");
  if (records != 0 || bytes != 0) {  // the job's totals, read by SyncJobStats
    SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                   "UPDATE jobs SET records_committed = records_committed + ?, "
                                   "bytes_committed = bytes_committed + ? WHERE id = ?",
                                   {records, bytes, job_id}));
  }
  if (succeeded) {
    SLUICE_RETURN_IF_ERROR(SetJobFinished(*tx, *job, JobStatus::kSucceeded, now));
  } else if (result.outcome == AttemptOutcome::kCancelled || job->cancel_requested) {
    SLUICE_RETURN_IF_ERROR(SetJobFinished(*tx, *job, JobStatus::kCancelled, now));
  } else if (result.retry_at && job->attempt_count < options_.max_attempts) {
    SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                   "UPDATE jobs SET status = 'incomplete', worker_id = NULL, "
                                   "lease_expires_at = NULL, not_before = ?, updated_at = ? WHERE id = ?",
                                   {*result.retry_at, now, job_id}));
  } else {
    SLUICE_RETURN_IF_ERROR(SetJobFinished(*tx, *job, JobStatus::kFailed, now));
  }
  SLUICE_ASSIGN_OR_RETURN(auto finished, LoadJob(*tx, job_id, false));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return std::move(*finished);
}

Result<std::optional<Job>> MetadataStore::RequestCancel(JobId job_id, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(auto job, LoadJob(*tx, job_id, true));
  if (!job) return std::optional<Job>();
  if (job->status == JobStatus::kPending || job->status == JobStatus::kIncomplete) {
    SLUICE_RETURN_IF_ERROR(SetJobFinished(*tx, *job, JobStatus::kCancelled, now));
  } else if (job->status == JobStatus::kRunning && !job->cancel_requested) {
    SLUICE_RETURN_IF_ERROR(
        Execute(*tx, "UPDATE jobs SET cancel_requested = TRUE, updated_at = ? WHERE id = ?", {now, job_id}));
  }
  SLUICE_ASSIGN_OR_RETURN(auto updated, LoadJob(*tx, job_id, false));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return updated;
}

Result<std::optional<Job>> MetadataStore::GetJob(JobId job_id) { return LoadJob(*db_, job_id, false); }

// --- stream generations ---

Result<std::vector<StreamGeneration>> MetadataStore::ListStreamGenerations(const std::string& connection_id) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT stream_namespace, stream_name, generation_id "
                                                   "FROM stream_generations WHERE connection_id = ? "
                                                   "ORDER BY stream_namespace, stream_name",
                                                   {connection_id}));
  return AllRows(rows, [](const SqlRow& row) {
    StreamGeneration g;
    const std::string ns = row.GetText(0);
    if (!ns.empty()) g.namespace_ = ns;
    g.name = row.GetText(1);
    g.generation_id = row.GetInt(2);
    return g;
  });
}

Result<std::optional<Job>> MetadataStore::StartJobStreams(JobId job_id, const StateStreamRemover& remove_states,
                                                          int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(auto job, LoadJob(*tx, job_id, true));
  if (!job) return std::optional<Job>();
  const bool started = std::all_of(job->streams.begin(), job->streams.end(),
                                   [](const JobStream& s) { return s.generation_id.has_value(); });
  if (started) {
    SLUICE_RETURN_IF_ERROR(tx->Commit());
    return job;
  }
  // The connection row is locked first, as EnqueueJob does: one start per connection at a time.
  SLUICE_ASSIGN_OR_RETURN(SqlRows locked, tx->Query(std::string("SELECT id FROM connections WHERE id = ?") +
                                                        ForUpdate(db_->dialect()),
                                                    {job->connection_id}));
  if (locked.empty()) return Status::ConfigError(fmt::format("connectionId: no connection '{}'", job->connection_id));
  for (JobStream& s : job->streams) {
    const std::string ns = s.namespace_.value_or("");
    SLUICE_ASSIGN_OR_RETURN(SqlRows current, tx->Query("SELECT generation_id FROM stream_generations "
                                                       "WHERE connection_id = ? AND stream_namespace = ? "
                                                       "AND stream_name = ?",
                                                       {job->connection_id, ns, s.name}));
    s.generation_id = (current.empty() ? 0 : current[0].GetInt(0)) + 1;
    SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                   "INSERT INTO stream_generations (connection_id, stream_namespace, stream_name, "
                                   "generation_id, job_id, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT (connection_id, stream_namespace, stream_name) DO UPDATE SET "
                                   "generation_id = excluded.generation_id, job_id = excluded.job_id, "
                                   "updated_at = excluded.updated_at",
                                   {job->connection_id, ns, s.name, *s.generation_id, job->id, now}));
  }
  SLUICE_RETURN_IF_ERROR(Execute(*tx, "UPDATE jobs SET streams = ?, updated_at = ? WHERE id = ?",
                                 {JsonParam(JobStreamsToJson(job->streams)), now, job->id}));
  SLUICE_ASSIGN_OR_RETURN(SqlRows state,
                          tx->Query("SELECT state FROM connection_states WHERE connection_id = ?", {job->connection_id}));
  if (!state.empty()) {
    auto remaining = remove_states(JsonColumn(state[0], 0), job->streams);
    if (!remaining.ok()) {
      return remaining.status().WithContext(
          fmt::format("job {}: removing the saved state of its streams", job->id));
    }
    SLUICE_RETURN_IF_ERROR(Execute(*tx, "UPDATE connection_states SET state = ?, updated_at = ? WHERE connection_id = ?",
                                   {remaining->dump(), now, job->connection_id}));
  }
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return job;
}

namespace {

std::string JobWhere(const JobQuery& q, SqlParams& params) {
  std::string where = "WHERE 1 = 1";
  if (q.connection_id) {
    where += " AND connection_id = ?";
    params.emplace_back(*q.connection_id);
  }
  if (!q.config_types.empty()) {
    where += " AND config_type IN (";
    for (size_t i = 0; i < q.config_types.size(); ++i) {
      where += i == 0 ? "?" : ", ?";
      params.emplace_back(JobConfigTypeName(q.config_types[i]));
    }
    where += ")";
  }
  if (!q.statuses.empty()) {
    where += " AND status IN (";
    for (size_t i = 0; i < q.statuses.size(); ++i) {
      where += i == 0 ? "?" : ", ?";
      params.emplace_back(JobStatusName(q.statuses[i]));
    }
    where += ")";
  }
  where += InWorkspaces("connection_id", q.workspace_ids, params);
  const std::pair<const std::optional<int64_t>*, const char*> bounds[] = {{&q.created_from, " AND created_at >= ?"},
                                                                          {&q.created_to, " AND created_at <= ?"},
                                                                          {&q.updated_from, " AND updated_at >= ?"},
                                                                          {&q.updated_to, " AND updated_at <= ?"}};
  for (const auto& [bound, clause] : bounds) {
    if (*bound) {
      where += clause;
      params.emplace_back(**bound);
    }
  }
  return where;
}

const char* JobOrder(JobQuery::Order order) {
  switch (order) {
    case JobQuery::Order::kNewestFirst: return " ORDER BY id DESC";
    case JobQuery::Order::kOldestFirst: return " ORDER BY id ASC";
    case JobQuery::Order::kUpdatedNewestFirst: return " ORDER BY updated_at DESC, id DESC";
    case JobQuery::Order::kUpdatedOldestFirst: return " ORDER BY updated_at ASC, id ASC";
  }
  return " ORDER BY id DESC";
}

}  // namespace

Result<std::vector<Job>> MetadataStore::ListJobs(const JobQuery& query) {
  SqlParams params;
  std::string sql = std::string(kJobSelect) + JobWhere(query, params) + JobOrder(query.order) + " LIMIT ? OFFSET ?";
  params.emplace_back(std::max<int64_t>(query.limit, 0));
  params.emplace_back(std::max<int64_t>(query.offset, 0));
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql, params));
  return AllRows(rows, JobFromRow);
}

Result<int64_t> MetadataStore::CountJobs(const JobQuery& query) {
  SqlParams params;
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT COUNT(*) FROM jobs " + JobWhere(query, params), params));
  return rows.at(0).GetInt(0);
}

Result<std::map<JobStatus, int64_t>> MetadataStore::CountJobsByStatus() {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT status, COUNT(*) FROM jobs GROUP BY status"));
  std::map<JobStatus, int64_t> out;
  for (const SqlRow& row : rows) {
    if (auto status = ParseJobStatus(row.GetText(0))) out[*status] = row.GetInt(1);
  }
  return out;
}

namespace {

//! The median of durations in ms, in seconds (mean of the middle two when their number is
//! even); reorders them.
std::optional<double> MedianSeconds(std::vector<int64_t>& values) {
  if (values.empty()) return std::nullopt;
  const size_t n = values.size();
  auto hi = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), hi, values.end());
  double median = static_cast<double>(*hi);
  if (n % 2 == 0) median = (median + static_cast<double>(*std::max_element(values.begin(), hi))) / 2;
  return median / 1000;
}

std::optional<double> Seconds(std::optional<int64_t> ms) {
  if (!ms) return std::nullopt;
  return static_cast<double>(*ms) / 1000;
}

//! Adds one day's row to `out`: columns from `first` on are succeeded, failed, cancelled,
//! records, bytes, the longest duration (ms) and the durations as comma-separated text (NULL
//! when no job of the day ran); the durations also go to `period` for the period's median.
Status AddDay(const SqlRow& row, size_t first, JobStats& out, std::vector<int64_t>& period) {
  JobStatsFigures f;
  f.succeeded = row.GetInt(first);
  f.failed = row.GetInt(first + 1);
  f.cancelled = row.GetInt(first + 2);
  f.records_committed = row.GetInt(first + 3);
  f.bytes_committed = row.GetInt(first + 4);
  if (const auto max_ms = row.GetOptionalInt(first + 5)) {
    f.duration_max_s = Seconds(max_ms);
    const auto before = out.totals.duration_max_s;
    out.totals.duration_max_s = before ? std::max(*before, *f.duration_max_s) : *f.duration_max_s;
    const std::string list = row.GetText(first + 6);
    std::vector<int64_t> day;
    for (const char *p = list.data(), *end = p + list.size(); p < end;) {
      int64_t v = 0;
      auto [next, ec] = std::from_chars(p, end, v);
      if (ec != std::errc()) return Status::SystemError(fmt::format("unexpected duration list '{}'", list));
      day.push_back(v);
      p = next + 1;  // past the comma
    }
    period.insert(period.end(), day.begin(), day.end());
    f.duration_p50_s = MedianSeconds(day);
  }
  out.totals.succeeded += f.succeeded;
  out.totals.failed += f.failed;
  out.totals.cancelled += f.cancelled;
  out.totals.records_committed += f.records_committed;
  out.totals.bytes_committed += f.bytes_committed;
  out.days.push_back(f);
  return Status::Ok();
}

// The aggregates of one day's finished syncs (see AddDay), SQL shared by both dialects but for
// the duration list: group_concat (SQLite) / string_agg (PostgreSQL).
constexpr const char* kDayAggregates =
    "SELECT COUNT(CASE WHEN j.status = 'succeeded' THEN 1 END), COUNT(CASE WHEN j.status = 'failed' THEN 1 END), "
    "COUNT(CASE WHEN j.status = 'cancelled' THEN 1 END), COALESCE(SUM(j.records_committed), 0), "
    "COALESCE(SUM(j.bytes_committed), 0), MAX(j.updated_at - j.started_at), {} "
    "FROM jobs j{} WHERE j.status IN ('succeeded', 'failed', 'cancelled') AND j.config_type IN ('sync', 'refresh') "
    "AND j.updated_at >= {} AND j.updated_at < {}{}";

// The filters of `query` after the day range (" AND …", placeholders in text order) and their
// parameters.
std::string StatsFilter(const JobStatsQuery& query, SqlParams& params) {
  std::string where;
  if (query.connection_id) {
    where += " AND j.connection_id = ?";
    params.emplace_back(*query.connection_id);
  }
  return where + InWorkspaces("j.connection_id", query.workspace_ids, params);
}

//! PostgreSQL: one statement; a LATERAL subquery per day reads a range of the index
//! jobs_finished (index-only, no sort of the period's jobs).
Result<JobStats> SyncJobStatsPostgres(SqlDatabase& db, const JobStatsQuery& query) {
  auto array = [](auto begin, auto end) {
    std::string out = "{";
    for (auto it = begin; it != end; ++it) out += (it == begin ? "" : ",") + std::to_string(*it);
    return out + "}";
  };
  const auto& starts = query.day_starts;
  SqlParams params = {array(starts.begin(), starts.end() - 1), array(starts.begin() + 1, starts.end())};
  const std::string filter = StatsFilter(query, params);
  const std::string day = fmt::format(kDayAggregates, "string_agg((j.updated_at - j.started_at)::text, ',')", "",
                                      "d.lo", "d.hi", filter);
  const std::string sql = fmt::format(
      "SELECT d.i, a.* FROM unnest(?::bigint[], ?::bigint[]) WITH ORDINALITY AS d(lo, hi, i) "
      "CROSS JOIN LATERAL ({}) a ORDER BY d.i",
      day);
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db.Query(sql, params));  // ? in text order: lo, hi, filters
  JobStats out;
  std::vector<int64_t> period;
  for (const SqlRow& row : rows) SLUICE_RETURN_IF_ERROR(AddDay(row, 1, out, period));
  out.totals.duration_p50_s = MedianSeconds(period);
  return out;
}

//! SQLite: one statement per day (in process: no round trips) over a range of the index.
Result<JobStats> SyncJobStatsSqlite(SqlDatabase& db, const JobStatsQuery& query) {
  // The planner would take jobs_by_status (an IN on its first column) and read every finished
  // job of all time; the index is named.
  SqlParams filter_params;
  const std::string sql = fmt::format(kDayAggregates, "group_concat(j.updated_at - j.started_at)",
                                      " INDEXED BY jobs_finished", "?", "?", StatsFilter(query, filter_params));
  JobStats out;
  std::vector<int64_t> period;
  for (size_t i = 0; i + 1 < query.day_starts.size(); ++i) {
    SqlParams params = {query.day_starts[i], query.day_starts[i + 1]};
    params.insert(params.end(), filter_params.begin(), filter_params.end());
    SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db.Query(sql, params));
    SLUICE_RETURN_IF_ERROR(AddDay(rows.at(0), 0, out, period));
  }
  out.totals.duration_p50_s = MedianSeconds(period);
  return out;
}

}  // namespace

Result<std::string> MetadataStore::FinishedJobsVersion() {
  // The newest end and how many jobs ended at that millisecond, both from the end of the index
  // jobs_finished (named for SQLite, whose planner would read jobs_by_status: 40 ms for 100,000
  // jobs instead of 0.1 ms).
  const char* index = db_->dialect() == Dialect::kSqlite ? " INDEXED BY jobs_finished" : "";
  const std::string finished = fmt::format("FROM jobs{} WHERE status IN ('succeeded', 'failed', 'cancelled')", index);
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows, db_->Query(fmt::format("SELECT COALESCE(max(updated_at), 0), count(*) {0} AND updated_at >= "
                                           "(SELECT COALESCE(max(updated_at), 0) {0})",
                                           finished),
                               {}));
  SLUICE_ASSIGN_OR_RETURN(std::string connections, ConnectionsVersion(std::nullopt));
  if (rows.empty()) return connections;
  return fmt::format("{}:{}/{}", rows[0].GetInt(0), rows[0].GetInt(1), connections);
}

Result<JobStats> MetadataStore::SyncJobStats(const JobStatsQuery& query) {
  if (query.day_starts.size() < 2 || query.day_starts.size() > 367) {
    return Status::ConfigError(
        fmt::format("days: from 1 to 366 days, got {}", std::max<int64_t>(0, std::ssize(query.day_starts) - 1)));
  }
  if (!std::is_sorted(query.day_starts.begin(), query.day_starts.end())) {
    return Status::ConfigError("days: day starts must be ascending");
  }
  return db_->dialect() == Dialect::kPostgres ? SyncJobStatsPostgres(*db_, query) : SyncJobStatsSqlite(*db_, query);
}

Result<std::vector<Attempt>> MetadataStore::ListAttempts(JobId job_id) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows,
                          db_->Query("SELECT job_id, attempt_number, status, worker_id, created_at, ended_at, stats, "
                                     "failure_summary, schema_change FROM attempts WHERE job_id = ? ORDER BY attempt_number",
                                     {job_id}));
  return AllRows(rows, AttemptFromRow);
}

Status MetadataStore::AppendLogLines(JobId job_id, int attempt_number, const std::vector<std::string>& lines) {
  if (lines.empty()) return Status::Ok();
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  // Locking the attempt serializes appenders, so seq numbers never collide.
  SLUICE_ASSIGN_OR_RETURN(SqlRows attempt,
                          tx->Query(std::string("SELECT 1 FROM attempts WHERE job_id = ? AND attempt_number = ?") +
                                        ForUpdate(db_->dialect()),
                                    {job_id, attempt_number}));
  if (attempt.empty()) return Status::ConfigError(fmt::format("no attempt {} of job {}", attempt_number, job_id));
  SLUICE_ASSIGN_OR_RETURN(SqlRows last, tx->Query("SELECT COALESCE(MAX(seq), 0) FROM attempt_logs "
                                                  "WHERE job_id = ? AND attempt_number = ?",
                                                  {job_id, attempt_number}));
  int64_t seq = last.at(0).GetInt(0);
  constexpr size_t kRowsPerInsert = 200;
  for (size_t start = 0; start < lines.size(); start += kRowsPerInsert) {
    const size_t end = std::min(lines.size(), start + kRowsPerInsert);
    std::string sql = "INSERT INTO attempt_logs (job_id, attempt_number, seq, line) VALUES ";
    SqlParams params;
    params.reserve((end - start) * 4);
    for (size_t i = start; i < end; ++i) {
      sql += i == start ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)";
      params.insert(params.end(), {job_id, attempt_number, ++seq, lines[i]});
    }
    SLUICE_RETURN_IF_ERROR(Execute(*tx, sql, params));
  }
  return tx->Commit();
}

Result<std::vector<LogLine>> MetadataStore::ReadLog(JobId job_id, int attempt_number, int64_t after_seq,
                                                    int64_t limit) {
  std::string sql =
      "SELECT seq, line FROM attempt_logs WHERE job_id = ? AND attempt_number = ? AND seq > ? ORDER BY seq";
  SqlParams params = {job_id, attempt_number, after_seq};
  if (limit >= 0) {
    sql += " LIMIT ?";
    params.emplace_back(limit);
  }
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(sql, params));
  std::vector<LogLine> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) out.push_back(LogLine{row.GetInt(0), row.GetText(1)});
  return out;
}

Result<std::vector<LogLine>> MetadataStore::TailLog(JobId job_id, int attempt_number, int64_t n) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows, db_->Query("SELECT seq, line FROM (SELECT seq, line FROM attempt_logs "
                               "WHERE job_id = ? AND attempt_number = ? ORDER BY seq DESC LIMIT ?) t ORDER BY seq",
                               {job_id, attempt_number, std::max<int64_t>(n, 0)}));
  std::vector<LogLine> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) out.push_back(LogLine{row.GetInt(0), row.GetText(1)});
  return out;
}

}  // namespace sluice
