// jobs (list, get, cancel, per-day stats) and attempt logs (tail / after a sequence number,
// plain-text download, Server-Sent Events live tail).

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <thread>

#include "api/api_env.h"
#include "base/log.h"
#include "base/time.h"
#include "scheduler/cron.h"

namespace sluice {

namespace {

Json AttemptToApi(const Attempt& a) {
  Json stats = a.stats.is_object() ? a.stats : Json::object();
  Json total = Json::object();
  for (const char* key : {"recordsEmitted", "bytesEmitted", "recordsCommitted", "bytesCommitted",
                          "stateMessagesEmitted", "estimatedRecords", "estimatedBytes"}) {
    if (stats.contains(key)) total[key] = stats[key];
  }
  Json out;
  out["id"] = a.attempt_number;
  out["attemptNumber"] = a.attempt_number;
  out["status"] = AttemptStatusName(a.status);
  out["createdAt"] = a.created_at / 1000;
  out["updatedAt"] = (a.ended_at ? *a.ended_at : a.created_at) / 1000;
  out["endedAt"] = a.ended_at ? Json(*a.ended_at / 1000) : Json();
  out["recordsSynced"] = stats.value("recordsCommitted", Json(0));
  out["bytesSynced"] = stats.value("bytesCommitted", Json(0));
  out["totalStats"] = total;
  out["streamStats"] = stats.value("streamStats", Json::array());
  // sluice: the after-sync operations this attempt ran (attempt_runner's summary), in order.
  if (stats.contains("operations")) out["operations"] = stats["operations"];
  out["failureSummary"] = a.failure_summary;
  if (!a.schema_change.is_null()) out["schemaChange"] = a.schema_change;
  // The source reported an updated config (a rotated OAuth refresh token), saved on the source.
  out["connectorConfigurationUpdated"] = stats.value("connectorConfigurationUpdated", false);
  return out;
}

Json LogLinesToApi(const std::vector<LogLine>& lines) {
  Json out = Json::array();
  for (const auto& l : lines) out.push_back(l.line);
  return out;
}

Job LoadJob(const ApiEnv& env, const Json& body, std::string_view field = "id") {
  JobId id = RequireJobId(body, field);
  auto job = Unwrap(env.store().GetJob(id));
  if (!job) ThrowNotFound("job", std::to_string(id), field);
  return *job;
}

// The attempt number of a logs request: `attemptNumber`, default the last attempt.
int AttemptOf(const ApiEnv& env, const Job& job, const Json& body) {
  const Json* given = FindField(body, "attemptNumber");
  if (given == nullptr) {
    if (job.attempt_count == 0)
      ThrowApiError(404, fmt::format("job {} has no attempt yet", job.id), {{"attemptNumber", "no attempt yet"}});
    return job.attempt_count;
  }
  JobId n = RequireJobId(body, "attemptNumber");
  if (n < 1 || n > job.attempt_count) {
    ThrowNotFound(fmt::format("attempt of job {}", job.id), std::to_string(n), "attemptNumber");
  }
  (void)env;
  return static_cast<int>(n);
}

int64_t LenientInt(const Json& body, std::string_view name, int64_t fallback) {
  const Json* v = FindField(body, name);
  if (v == nullptr) return fallback;
  return RequireJobId(body, name);  // numbers or numeric strings (query parameters)
}

// jobs/stats: `days` as a number or a numeric string (query parameters), 1..366.
int64_t StatsDays(const Json& body) {
  const Json* v = FindField(body, "days");
  if (v == nullptr) return 14;
  std::optional<int64_t> days;
  if (v->is_number_integer() || v->is_number_unsigned()) {
    days = v->get<int64_t>();
  } else if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) days = n;
  } else if (!v->is_number()) {
    ThrowApiError(400, fmt::format("days: must be an integer, got {}", v->type_name()),
                  {{"days", "must be an integer"}});
  }
  if (!days || *days < 1 || *days > 366) {
    ThrowApiError(422, "days: must be an integer from 1 to 366", {{"days", "must be an integer from 1 to 366"}});
  }
  return *days;
}

//! The first instant of a local day (the transition when midnight itself is skipped).
absl::Time StartOfDay(absl::CivilDay day, const absl::TimeZone& zone) {
  const absl::TimeZone::TimeInfo info = zone.At(absl::CivilSecond(day));
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

Json FiguresToApi(const JobStatsFigures& f) {
  auto seconds = [](const std::optional<double>& s) { return s ? Json(*s) : Json(); };
  return {{"recordsCommitted", f.records_committed},
          {"bytesCommitted", f.bytes_committed},
          {"succeeded", f.succeeded},
          {"failed", f.failed},
          {"cancelled", f.cancelled},
          {"durationSecondsP50", seconds(f.duration_p50_s)},
          {"durationSecondsMax", seconds(f.duration_max_s)}};
}

Json JobStatsAnswer(const ApiEnv& env, const JobStatsQuery& query, absl::CivilDay first, const std::string& zone_name);

// A point in time: an ISO 8601 date-time ("2026-01-02T03:04:05Z", no offset = UTC), or epoch
// milliseconds as a number or numeric text (Airbyte's examples use 1687450500000).
std::optional<int64_t> TimeField(const Json& body, std::string_view name) {
  const Json* v = FindField(body, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer() || v->is_number_unsigned()) return v->get<int64_t>();
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return ms;
    if (auto micros = ParseTimestamp(s)) return *micros / 1000;
  }
  const std::string m = "must be an ISO 8601 date-time (2026-01-02T03:04:05Z) or epoch milliseconds";
  ThrowApiError(422, fmt::format("{}: {}", name, m), {{std::string(name), m}});
}

// jobs/list's filters beyond connection and type (Airbyte's JobListRequestBody): statuses,
// workspaces, creation and update ranges, order.
void ReadJobFilters(const Json& body, JobQuery& q) {
  const std::vector<std::string> statuses = StringListField(body, "statuses");
  for (size_t i = 0; i < statuses.size(); ++i) {
    auto status = ParseJobStatus(statuses[i]);
    if (!status) {
      std::string field = fmt::format("statuses[{}]", i);
      const char* m = "must be one of pending, running, incomplete, failed, succeeded, cancelled";
      ThrowApiError(422, fmt::format("{}: {}", field, m), {{field, m}});
    }
    q.statuses.push_back(*status);
  }
  q.workspace_ids = StringListField(body, "workspaceIds");
  q.created_from = TimeField(body, "createdAtStart");
  q.created_to = TimeField(body, "createdAtEnd");
  q.updated_from = TimeField(body, "updatedAtStart");
  q.updated_to = TimeField(body, "updatedAtEnd");
  const std::string field = OptionalString(body, "orderByField").value_or("createdAt");
  const std::string method = OptionalString(body, "orderByMethod").value_or("DESC");
  if (field != "createdAt" && field != "updatedAt") {
    ThrowApiError(422, "orderByField: must be createdAt or updatedAt", {{"orderByField", "must be createdAt or updatedAt"}});
  }
  if (method != "ASC" && method != "DESC" && method != "asc" && method != "desc") {
    ThrowApiError(422, "orderByMethod: must be ASC or DESC", {{"orderByMethod", "must be ASC or DESC"}});
  }
  const bool ascending = method == "ASC" || method == "asc";
  if (field == "createdAt") {
    q.order = ascending ? JobQuery::Order::kOldestFirst : JobQuery::Order::kNewestFirst;
  } else {
    q.order = ascending ? JobQuery::Order::kUpdatedOldestFirst : JobQuery::Order::kUpdatedNewestFirst;
  }
}

// The answer of jobs/stats: every day of the period, oldest first (zeros for days without jobs),
// kept while no job finishes (the dashboard asks it on every visit).
Json JobStatsToApi(const ApiEnv& env, Call& call) {
  const Json& body = call.body;
  const int64_t days = StatsDays(body);
  JobStatsQuery query;
  if (auto connection_id = OptionalString(body, "connectionId")) {
    if (!Unwrap(env.store().GetConnection(*connection_id))) ThrowNotFound("connection", *connection_id, "connectionId");
    query.connection_id = *connection_id;
  }
  query.workspace_ids = StringListField(body, "workspaceIds");  // a limited caller's: filled in (workspace_scope.h)
  const std::string zone_name = OptionalString(body, "timeZone").value_or("UTC");
  auto zone = LoadTimeZone(zone_name);
  if (!zone.ok()) {
    ThrowApiError(422, fmt::format("timeZone: unknown time zone '{}' (an IANA name such as Europe/Amsterdam)", zone_name),
                  {{"timeZone", "unknown time zone"}});
  }
  const absl::CivilDay today = absl::ToCivilDay(absl::FromUnixMillis(env.now()), *zone);
  const absl::CivilDay first = today - (days - 1);
  for (absl::CivilDay day = first; day <= today + 1; ++day) {
    query.day_starts.push_back(absl::ToUnixMillis(StartOfDay(day, *zone)));
  }
  const std::string key = fmt::format("{}|{}|{}|{}|{}", query.day_starts.front(), days,
                                      query.connection_id.value_or(""), zone_name, fmt::join(query.workspace_ids, ","));
  ListCache::Answer answer = env.job_stats.GetOrBuild(
      key, [&] { return Unwrap(env.store().FinishedJobsVersion()); },
      [&] { return DumpJson(JobStatsAnswer(env, query, first, zone_name)); });
  call.response.shared_body = answer.body;
  call.response.gzip_body = answer.gzip;
  return Json();
}

Json JobStatsAnswer(const ApiEnv& env, const JobStatsQuery& query, absl::CivilDay first, const std::string& zone_name) {
  JobStats stats = Unwrap(env.store().SyncJobStats(query));

  Json out_days = Json::array();
  for (size_t i = 0; i < stats.days.size(); ++i) {
    Json entry = {{"date", absl::FormatCivilTime(first + static_cast<int64_t>(i))}};
    entry.update(FiguresToApi(stats.days[i]));
    out_days.push_back(std::move(entry));
  }
  Json totals = FiguresToApi(stats.totals);
  const int64_t ended = stats.totals.succeeded + stats.totals.failed;
  // Failed among the syncs that ended on their own (cancelled ones left out); null without any.
  totals["failureRate"] = ended > 0 ? Json(static_cast<double>(stats.totals.failed) / static_cast<double>(ended)) : Json();
  totals["syncs"] = stats.totals.succeeded + stats.totals.failed + stats.totals.cancelled;
  return {{"days", std::move(out_days)},
          {"totals", std::move(totals)},
          {"timeZone", zone_name},
          {"from", query.day_starts.front() / 1000},
          {"to", query.day_starts.back() / 1000}};
}

}  // namespace

Json JobToApi(const Job& job) {
  Json out = {{"id", job.id},
              {"configType", JobConfigTypeName(job.config_type)},
              {"configId", job.connection_id},
              {"createdAt", job.created_at / 1000},
              {"updatedAt", job.updated_at / 1000},
              {"status", JobStatusName(job.status)}};
  if (job.started_at) out["startedAt"] = *job.started_at / 1000;
  if (job.cancel_requested && !IsTerminal(job.status)) out["cancelRequested"] = true;
  if (!job.streams.empty()) {
    // Airbyte's resetConfig / refreshConfig, and how each stream was treated (sluice's).
    Json descriptors = Json::array();
    Json actions = Json::array();
    for (const JobStream& s : job.streams) {
      const Json ns = s.namespace_ ? Json(*s.namespace_) : Json();
      descriptors.push_back({{"name", s.name}, {"namespace", ns}});
      Json a = {{"streamName", s.name}, {"streamNamespace", ns}};
      if (s.action == StreamAction::kClear) {
        a["action"] = "clear";
      } else {
        a["action"] = "refresh";
        a["refreshMode"] = s.action == StreamAction::kRefreshTruncate ? "Truncate" : "Merge";
      }
      a["generationId"] = s.generation_id ? Json(*s.generation_id) : Json();
      actions.push_back(std::move(a));
    }
    if (job.config_type == JobConfigType::kRefresh) {
      out["refreshConfig"] = {{"streamsToRefresh", std::move(descriptors)}};
    } else {
      out["resetConfig"] = {{"streamsToReset", std::move(descriptors)}};
    }
    out["streamActions"] = std::move(actions);
  }
  return out;
}

Json JobInfoToApi(const ApiEnv& env, const Job& job, bool with_logs) {
  Json attempts = Json::array();
  Json schema_change;  // the newest attempt's that found a changed schema
  if (job.attempt_count > 0) {
    for (const auto& a : Unwrap(env.store().ListAttempts(job.id))) {
      if (!a.schema_change.is_null()) schema_change = a.schema_change;
      Json entry = {{"attempt", AttemptToApi(a)}};
      if (with_logs) {
        auto lines = Unwrap(env.store().TailLog(job.id, a.attempt_number, env.options.max_log_lines_per_attempt));
        entry["logs"] = {{"logLines", LogLinesToApi(lines)}};
      }
      attempts.push_back(std::move(entry));
    }
  }
  Json summary = JobToApi(job);
  if (!schema_change.is_null()) summary["schemaChange"] = std::move(schema_change);
  return {{"job", std::move(summary)}, {"attempts", std::move(attempts)}};
}

void AddJobRoutes(std::vector<Route>& routes, ApiEnv& env) {
  routes.push_back(
      MakeRoute("/api/v1/jobs/list", Permission::kReadJobs, "jobs", "Jobs, newest first, with their attempts (no logs)",
                {{"configTypes", "array", false, "sync, reset_connection, refresh, clear (default: all)"},
                 {"configId", "string", false, "a connection id"},
                 {"pagination", "object", false, "{pageSize (default 20, at most 1000), rowOffset}"},
                 {"statuses", "array", false, "pending, running, incomplete, failed, succeeded, cancelled (default: all)"},
                 {"workspaceIds", "array", false, "jobs of these workspaces' connections (default: all)"},
                 {"createdAtStart", "string|integer", false, "ISO 8601 date-time or epoch ms: created at or after"},
                 {"createdAtEnd", "string|integer", false, "created at or before"},
                 {"updatedAtStart", "string|integer", false, "updated at or after"},
                 {"updatedAtEnd", "string|integer", false, "updated at or before"},
                 {"orderByField", "string", false, "createdAt (default) | updatedAt"},
                 {"orderByMethod", "string", false, "DESC (default) | ASC"}},
                [env](Call& call) {
                  JobQuery q;
                  if (const Json* types = FindField(call.body, "configTypes")) {
                    if (!types->is_array())
                      ThrowApiError(400, "configTypes: must be an array", {{"configTypes", "must be an array"}});
                    bool other_airbyte_type = false;
                    for (size_t i = 0; i < types->size(); ++i) {
                      const Json& t = (*types)[i];
                      std::string field = fmt::format("configTypes[{}]", i);
                      if (!t.is_string())
                        ThrowApiError(400, field + ": must be a string", {{field, "must be a string"}});
                      auto parsed = ParseJobConfigType(t.get<std::string>());
                      if (parsed) {
                        q.config_types.push_back(*parsed);
                      } else if (t == "check_connection_source" || t == "check_connection_destination" ||
                                 t == "discover_schema" || t == "get_spec") {
                        other_airbyte_type = true;  // Airbyte types this server never stores as jobs
                      } else {
                        ThrowApiError(422, field + ": must be one of sync, reset_connection, refresh, clear",
                                      {{field, "must be one of sync, reset_connection, refresh, clear"}});
                      }
                    }
                    if (q.config_types.empty() && other_airbyte_type)
                      return Json{{"jobs", Json::array()}, {"totalJobCount", 0}};
                  }
                  if (auto config_id = OptionalString(call.body, "configId")) q.connection_id = *config_id;
                  ReadJobFilters(call.body, q);
                  if (const Json* page = OptionalObject(call.body, "pagination")) {
                    if (auto size = OptionalInt(*page, "pageSize")) {
                      if (*size < 1 || *size > 1000)
                        ThrowApiError(422, "pagination.pageSize: must be from 1 to 1000",
                                      {{"pagination.pageSize", "must be from 1 to 1000"}});
                      q.limit = *size;
                    }
                    if (auto offset = OptionalInt(*page, "rowOffset")) {
                      if (*offset < 0)
                        ThrowApiError(422, "pagination.rowOffset: must not be negative",
                                      {{"pagination.rowOffset", "must not be negative"}});
                      q.offset = *offset;
                    }
                  }
                  Json jobs = Json::array();
                  for (const auto& job : Unwrap(env.store().ListJobs(q))) jobs.push_back(JobInfoToApi(env, job, false));
                  int64_t total = Unwrap(env.store().CountJobs(q));
                  return Json{{"jobs", std::move(jobs)}, {"totalJobCount", total}};
                }));

  routes.push_back(MakeRoute(
      "/api/v1/jobs/stats", Permission::kReadJobs, "jobs",
      "Per-day figures of finished sync jobs over the last N days, today included: committed records and "
      "bytes, succeeded / failed / cancelled, median and longest duration; every day present, oldest first, "
      "with totals and the failure rate (failed / (succeeded + failed)). Refresh jobs count as syncs; reset and "
      "clear jobs are left out.",
      {{"days", "integer", false, "the period in days, 1 to 366 (default 14)"},
       {"connectionId", "string", false, "one connection (default: all)"},
       {"workspaceIds", "array", false, "jobs of these workspaces' connections (default: all the caller reaches)"},
       {"timeZone", "string", false, "IANA time zone of the day boundaries (default UTC)"}},
      [env](Call& call) { return JobStatsToApi(env, call); }));

  routes.push_back(MakeRoute("/api/v1/jobs/get", Permission::kReadJobs, "jobs",
                             "One job with its attempts, stats and the last log lines of each attempt",
                             {{"id", "integer|string", true, "the job id (a number, or a numeric string)"}},
                             [env](Call& call) { return JobInfoToApi(env, LoadJob(env, call.body), true); }));

  routes.push_back(MakeRoute("/api/v1/jobs/cancel", Permission::kRunSyncs, "jobs",
                             "Cancels a job: a queued one at once, a running one at the worker's next heartbeat",
                             {{"id", "integer|string", true, ""}}, [env](Call& call) {
                               JobId id = RequireJobId(call.body, "id");
                               auto job = Unwrap(env.store().RequestCancel(id, env.now()));
                               if (!job) ThrowNotFound("job", std::to_string(id), "id");
                               Log(LogLevel::kInfo, "api: cancel requested for job {}", id);
                               env.WakeWorkers();
                               return JobInfoToApi(env, *job, true);
                             }));

  routes.push_back(
      MakeRoute("/api/v1/jobs/logs", Permission::kReadLogs, "jobs",
                "Log lines of an attempt: the last `tail` lines, or the lines after sequence number `afterSeq`",
                {{"id", "integer|string", true, "the job id"},
                 {"attemptNumber", "integer", false, "default: the last attempt"},
                 {"tail", "integer", false, "the last N lines (default 200 when afterSeq is absent)"},
                 {"afterSeq", "integer", false, "lines with seq > afterSeq, in order"},
                 {"limit", "integer", false, "with afterSeq: at most this many lines (default 1000)"}},
                [env](Call& call) {
                  Job job = LoadJob(env, call.body);
                  int attempt = AttemptOf(env, job, call.body);
                  std::vector<LogLine> lines;
                  if (FindField(call.body, "afterSeq")) {
                    int64_t after = LenientInt(call.body, "afterSeq", 0);
                    int64_t limit = LenientInt(call.body, "limit", 1000);
                    if (limit < 1 || limit > 100000)
                      ThrowApiError(422, "limit: must be from 1 to 100000", {{"limit", "must be from 1 to 100000"}});
                    lines = Unwrap(env.store().ReadLog(job.id, attempt, after, limit));
                  } else {
                    int64_t tail = LenientInt(call.body, "tail", 200);
                    if (tail < 1 || tail > 100000)
                      ThrowApiError(422, "tail: must be from 1 to 100000", {{"tail", "must be from 1 to 100000"}});
                    lines = Unwrap(env.store().TailLog(job.id, attempt, tail));
                  }
                  Json out_lines = Json::array();
                  int64_t last = FindField(call.body, "afterSeq") ? LenientInt(call.body, "afterSeq", 0) : 0;
                  for (const auto& l : lines) {
                    out_lines.push_back({{"seq", l.seq}, {"line", l.line}});
                    last = l.seq;
                  }
                  return Json{{"jobId", job.id},
                              {"attemptNumber", attempt},
                              {"jobStatus", JobStatusName(job.status)},
                              {"lines", std::move(out_lines)},
                              {"lastSeq", last}};
                }));

  Route download = MakeRoute(
      "/api/v1/jobs/logs/download", Permission::kReadLogs, "jobs", "The whole log of an attempt as text/plain",
      {{"id", "integer|string", true, "the job id"}, {"attemptNumber", "integer", false, "default: the last attempt"}},
      [env](Call& call) {
        Job job = LoadJob(env, call.body);
        int attempt = AttemptOf(env, job, call.body);
        auto lines = Unwrap(env.store().ReadLog(job.id, attempt));
        std::string text;
        for (const auto& l : lines) {
          text += l.line;
          text += '\n';
        }
        call.response.content_type = "text/plain; charset=utf-8";
        call.response.headers.emplace_back(
            "Content-Disposition", fmt::format("attachment; filename=\"job-{}-attempt-{}.log\"", job.id, attempt));
        call.response.body = std::move(text);
        return Json();
      });
  download.methods = {"GET", "POST"};
  download.response_content_type = "text/plain";
  routes.push_back(std::move(download));

  Route stream = MakeRoute(
      "/api/v1/jobs/logs/stream", Permission::kReadLogs, "jobs",
      "Live tail as Server-Sent Events: `data:` per log line (id = seq), event `status` when the job ends",
      {{"id", "integer|string", true, "the job id"},
       {"attemptNumber", "integer", false, "default: the last attempt"},
       {"afterSeq", "integer", false, "start after this sequence number (default 0: the whole log)"}},
      [env](Call& call) {
        Job job = LoadJob(env, call.body);
        int attempt = AttemptOf(env, job, call.body);
        int64_t after = LenientInt(call.body, "afterSeq", 0);
        call.response.content_type = "text/event-stream";
        call.response.headers.emplace_back("Cache-Control", "no-cache");
        JobId job_id = job.id;
        call.response.stream = [env, job_id, attempt, after](const std::function<bool(std::string_view)>& write) {
          int64_t last = after;
          for (int idle_rounds = 0; !env.stopping;) {
            auto lines = env.store().ReadLog(job_id, attempt, last, 1000);
            if (!lines.ok()) return false;
            for (const auto& l : *lines) {
              std::string line = l.line;
              for (char& ch : line) {
                if (ch == '\n' || ch == '\r') ch = ' ';
              }
              std::string event = fmt::format("id: {}\ndata: {}\n\n", l.seq, line);
              if (!write(event)) return false;
              last = l.seq;
            }
            if (!lines->empty()) continue;
            auto job = env.store().GetJob(job_id);
            if (!job.ok() || !*job) return false;
            bool attempt_over = (*job)->attempt_count > attempt || IsTerminal((*job)->status);
            if (attempt_over) {
              write(fmt::format("event: status\ndata: {}\n\n", JobStatusName((*job)->status)));
              return false;
            }
            if (++idle_rounds % 30 == 0 && !write(": keep-alive\n\n")) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
          }
          return false;
        };
        return Json();
      });
  stream.methods = {"GET", "POST"};
  stream.response_content_type = "text/event-stream";
  routes.push_back(std::move(stream));
  for (Route& r : routes) {
    if (r.path.starts_with("/api/v1/jobs/") && r.path != "/api/v1/jobs/list" && r.path != "/api/v1/jobs/stats") {
      r.job_id_field = "id";  // the job whose workspace the caller must reach
    }
  }
}

}  // namespace sluice
