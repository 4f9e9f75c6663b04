// connections (create, get, list, update, delete, sync, reset, clear, refresh, status) and state/get.

#include <fmt/format.h>

#include "api/api_env.h"
#include "api/connection_list.h"
#include "base/log.h"
#include "connection/connector_runtime.h"
#include "platform/job_streams.h"
#include "platform/schema_policy.h"
#include "platform/sync_catalog.h"
#include "scheduler/schedule.h"

namespace sluice {

namespace {

Connection LoadConnection(const ApiEnv& env, const Json& body) {
  std::string id = RequireString(body, "connectionId");
  auto c = Unwrap(env.store().GetConnection(id));
  if (!c) ThrowNotFound("connection", id, "connectionId");
  return *c;
}

void CheckResourceRequirements(const Json& r) {
  if (r.is_null()) return;
  if (!r.is_object())
    ThrowApiError(400, "resourceRequirements: must be an object", {{"resourceRequirements", "must be an object"}});
  std::vector<FieldProblem> problems;
  auto check_flat = [&](const Json& obj, const std::string& path) {
    for (const auto& [key, value] : obj.items()) {
      if (key == "cpu_limit" || key == "cpu_request" || key == "memory_limit" || key == "memory_request") {
        if (!value.is_string() && !value.is_number() && !value.is_null()) {
          problems.push_back({path + "." + key, "must be a quantity such as \"1Gi\" or \"0.5\""});
        }
      } else {
        problems.push_back(
            {path + "." + key, "unknown key (known: cpu_limit, cpu_request, memory_limit, memory_request)"});
      }
    }
  };
  for (const auto& [key, value] : r.items()) {
    if (key == "source" || key == "destination" || key == "orchestrator") {
      if (!value.is_object()) {
        problems.push_back({"resourceRequirements." + key, "must be an object"});
      } else {
        check_flat(value, "resourceRequirements." + key);
      }
    } else {
      check_flat(Json{{key, value}}, "resourceRequirements");
    }
  }
  if (!problems.empty()) ThrowApiError(422, "invalid resourceRequirements", problems);
}

// Applies the optional fields of a create/update body to `c`. `destination_spec` checks syncCatalog.
void ApplyConnectionFields(const Json& body, Connection& c, const ConnectorSpec& destination_spec, bool creating) {
  if (auto name = OptionalString(body, "name")) {
    if (name->empty()) ThrowApiError(422, "name: must not be empty", {{"name", "must not be empty"}});
    c.name = *name;
  }
  if (auto status = OptionalString(body, "status")) {
    auto parsed = ParseConnectionStatus(*status);
    if (!parsed || (creating && *parsed == ConnectionStatus::kDeprecated)) {
      std::string allowed = creating ? "active, inactive" : "active, inactive, deprecated";
      ThrowApiError(422, fmt::format("status: must be one of {}", allowed), {{"status", "must be one of " + allowed}});
    }
    c.status = *parsed;
  }
  if (FindField(body, "scheduleType") || FindField(body, "schedule") || FindField(body, "scheduleData") || creating) {
    auto schedule = Schedule::FromAirbyte(body);
    if (!schedule.ok()) {
      ThrowApiError(422, schedule.status().message(), DetailsFromMessage(schedule.status().message(), "", "schedule"));
    }
    Json airbyte = schedule->ToAirbyte();
    c.schedule_type = ParseScheduleType(airbyte.value("scheduleType", "manual")).value_or(ScheduleType::kManual);
    c.schedule_data = airbyte.contains("scheduleData") ? std::move(airbyte["scheduleData"]) : Json();
  }
  if (auto ns = OptionalString(body, "namespaceDefinition")) {
    if (*ns != "source" && *ns != "destination" && *ns != "customformat") {
      ThrowApiError(422, "namespaceDefinition: must be one of source, destination, customformat",
                    {{"namespaceDefinition", "must be one of source, destination, customformat"}});
    }
    c.namespace_definition = *ns;
  }
  if (auto format = OptionalString(body, "namespaceFormat")) c.namespace_format = *format;
  if (c.namespace_definition == "customformat" && (!c.namespace_format || c.namespace_format->empty())) {
    ThrowApiError(422, "namespaceFormat: is required when namespaceDefinition is customformat",
                  {{"namespaceFormat", "is required when namespaceDefinition is customformat"}});
  }
  if (auto prefix = OptionalString(body, "prefix")) c.prefix = *prefix;
  if (const Json* ids = FindField(body, "operationIds")) {
    if (!ids->is_array()) ThrowApiError(400, "operationIds: must be an array", {{"operationIds", "must be an array"}});
    c.operation_ids.clear();
    for (size_t i = 0; i < ids->size(); ++i) {
      const std::string field = fmt::format("operationIds[{}]", i);
      if (!(*ids)[i].is_string()) ThrowApiError(400, field + ": must be a string", {{field, "must be a string"}});
      c.operation_ids.push_back((*ids)[i].get<std::string>());
    }
  }
  if (body.contains("resourceRequirements")) {
    CheckResourceRequirements(body["resourceRequirements"]);
    c.resource_requirements = body["resourceRequirements"];
  }
  if (auto notify = OptionalBool(body, "notifySchemaChanges")) c.notify_schema_changes = *notify;
  if (auto pref = OptionalString(body, "nonBreakingChangesPreference")) {
    if (*pref != "ignore" && *pref != "disable" && *pref != "propagate_columns" && *pref != "propagate_fully") {
      ThrowApiError(
          422, "nonBreakingChangesPreference: must be one of ignore, disable, propagate_columns, propagate_fully",
          {{"nonBreakingChangesPreference", "must be one of ignore, disable, propagate_columns, propagate_fully"}});
    }
    c.non_breaking_changes_preference = *pref;
  }
  if (const Json* catalog = OptionalObject(body, "syncCatalog")) {
    auto normalized = NormalizeSyncCatalog(*catalog, destination_spec);
    if (!normalized.ok()) {
      const std::string& m = normalized.status().message();
      ThrowApiError(422, m, DetailsFromMessage(m, "", "syncCatalog"));
    }
    // Saving changed streams is how the user accepts reviewed schema changes (Airbyte's rule: a
    // catalog from the user clears the pending change; the next sync compares again). The same
    // streams sent back (a settings form saving the schedule) leave the pending change alone.
    if (*normalized != c.sync_catalog) {
      c.schema_change = "no_change";
      c.pending_catalog_diff = Json();
    }
    c.sync_catalog = *normalized;
  }
}

// scheduleType continuous needs a source that reads continuously: the rule of `sluice sync
// --continuous` (connection/CheckCanReadContinuously). 422 naming scheduleType otherwise.
void CheckContinuousSource(const ApiEnv& env, const Actor& source) {
  const ConnectorDefinition& def = DefinitionOf(env, source);
  auto connector = ResolveConnector(ConnectorKind::kSource, def.name, {});
  Status can = connector.status();
  if (can.ok()) {
    Json config = DecryptActorConfig(env, source);
    auto prepared = PrepareConnectorConfig(*connector, config);
    can = CheckCanReadContinuously(*connector, prepared.ok() ? *prepared : config);
  }
  if (!can.ok()) {
    const std::string m = "continuous needs a source that reads continuously: " + can.message();
    ThrowApiError(422, "scheduleType: " + m, {{"scheduleType", m}});
  }
}

bool RunsContinuously(const Connection& c) {
  return c.status == ConnectionStatus::kActive && c.schedule_type == ScheduleType::kContinuous;
}

// A continuous connection set inactive, manual or to another schedule: its running job is asked
// to stop (SIGTERM: the attempt commits, saves its state and ends).
void StopContinuousJob(const ApiEnv& env, const Connection& c) {
  JobQuery q;
  q.connection_id = c.connection_id;
  q.limit = 1;
  auto jobs = Unwrap(env.store().ListJobs(q));
  if (jobs.empty() || IsTerminal(jobs[0].status) || jobs[0].config_type != JobConfigType::kSync) return;
  Unwrap(env.store().RequestCancel(jobs[0].id, env.now()));
  Log(LogLevel::kInfo, "api: connection {} no longer runs continuously: cancel requested for job {}",
      c.connection_id, jobs[0].id);
  env.WakeWorkers();
}

// Queues a job of `type` for the body's connection. `streams`: a refresh's or clear's streams.
// A sync or reset asked again while one is unfinished answers that job; any other unfinished
// job is a 409 (a refresh or clear is never merged into another job).
Json EnqueueAndAnswer(const ApiEnv& env, const Connection& c, JobConfigType type,
                      const std::vector<JobStream>& streams = {}) {
  if (c.status == ConnectionStatus::kDeprecated) {
    ThrowApiError(422, fmt::format("connection {} is deleted", c.connection_id), {{"connectionId", "is deleted"}});
  }
  EnqueueResult r = Unwrap(env.store().EnqueueJob(c.connection_id, type, env.now(), streams));
  const bool reusable = type == JobConfigType::kSync || type == JobConfigType::kResetConnection;
  if (!r.created && (r.job.config_type != type || !reusable)) {
    ThrowApiError(409, fmt::format("connection {} already has an unfinished {} job ({}): wait for it or cancel it",
                                   c.connection_id, JobConfigTypeName(r.job.config_type), r.job.id));
  }
  if (r.created) {
    Log(LogLevel::kInfo, "api: job {} ({}, {} stream(s)) queued for connection {}", r.job.id, JobConfigTypeName(type),
        streams.size(), c.connection_id);
    env.WakeWorkers();
  }
  return JobInfoToApi(env, r.job, true);
}

Json EnqueueAndAnswer(const ApiEnv& env, const Json& body, JobConfigType type) {
  return EnqueueAndAnswer(env, LoadConnection(env, body), type);
}

// The `streams` of a refresh or clear body: [{streamName, streamNamespace}] (Airbyte's
// ConnectionStream); 400 for wrong JSON types. Absent → empty.
std::vector<StreamDescriptor> RequestedStreams(const Json& body) {
  std::vector<StreamDescriptor> out;
  const Json* list = FindField(body, "streams");
  if (list == nullptr) return out;
  if (!list->is_array()) ThrowApiError(400, "streams: must be an array", {{"streams", "must be an array"}});
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string field = fmt::format("streams[{}]", i);
    const Json& entry = (*list)[i];
    if (!entry.is_object()) ThrowApiError(400, field + ": must be an object", {{field, "must be an object"}});
    StreamDescriptor d;
    d.name = RequireString(entry, "streamName");
    if (auto ns = OptionalString(entry, "streamNamespace"); ns && !ns->empty()) d.namespace_ = *ns;
    out.push_back(std::move(d));
  }
  return out;
}

// The job streams of a refresh / clear body: the named ones (each a selected stream of the
// connection, 422 naming streams[i] otherwise), or every selected stream when `all_when_empty`
// and none is named.
std::vector<JobStream> JobStreamsOf(const Connection& c, const Json& body, StreamAction action, bool all_when_empty) {
  std::vector<StreamDescriptor> requested = RequestedStreams(body);
  if (requested.empty() && all_when_empty) {
    std::vector<JobStream> all = SelectedJobStreams(c.sync_catalog, action);
    if (all.empty()) {
      ThrowApiError(422, fmt::format("connection {} has no selected stream", c.connection_id),
                    {{"connectionId", "has no selected stream"}});
    }
    return all;
  }
  auto resolved = ResolveJobStreams(c.sync_catalog, requested, action, "streams");
  if (!resolved.ok()) {
    const std::string& m = resolved.status().message();
    ThrowApiError(422, m, DetailsFromMessage(m, "", "streams"));
  }
  return std::move(resolved).value();
}

// refreshMode: Airbyte's "Truncate" | "Merge"; "TRUNCATE", "truncate", … are accepted too, and
// `refreshType` as another name for it.
StreamAction RefreshActionOf(const Json& body) {
  std::optional<std::string> mode = OptionalString(body, "refreshMode");
  std::string field = "refreshMode";
  if (!mode) {
    mode = OptionalString(body, "refreshType");
    if (mode) field = "refreshType";
  }
  if (!mode) ThrowApiError(422, "refreshMode: is required (Truncate or Merge)", {{"refreshMode", "is required"}});
  std::string lower;
  for (char ch : *mode) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "truncate") return StreamAction::kRefreshTruncate;
  if (lower == "merge") return StreamAction::kRefreshMerge;
  ThrowApiError(422, fmt::format("{}: must be Truncate (remove records) or Merge (keep records), got '{}'", field, *mode),
                {{field, "must be Truncate or Merge"}});
}

Json ConnectionStatusToApi(const ApiEnv& env, const Connection& c) {
  JobQuery q;
  q.connection_id = c.connection_id;
  q.limit = 20;
  auto jobs = Unwrap(env.store().ListJobs(q));
  Json out = {{"connectionId", c.connection_id},          {"name", c.name},
              {"status", ConnectionStatusName(c.status)}, {"isRunning", false},
              {"isLastCompletedJobFailure", false},       {"consecutiveFailures", c.consecutive_failures}};
  bool seen_terminal = false;
  for (const auto& job : jobs) {
    if (!IsTerminal(job.status)) {
      if (job.status == JobStatus::kRunning) out["isRunning"] = true;
      if (!out.contains("activeJob")) out["activeJob"] = JobToApi(job);
      continue;
    }
    if (!seen_terminal) {
      seen_terminal = true;
      out["lastSyncJobId"] = job.id;
      out["lastSyncJobStatus"] = JobStatusName(job.status);
      out["lastSyncAttemptNumber"] = job.attempt_count;
      out["isLastCompletedJobFailure"] = job.status == JobStatus::kFailed;
    }
    // The newest finished sync with its attempts (the connections list shows its records and
    // failure without a jobs/list call per connection).
    if ((job.config_type == JobConfigType::kSync || job.config_type == JobConfigType::kRefresh) &&
        !out.contains("lastSyncJob")) {
      out["lastSyncJob"] = JobInfoToApi(env, job, false);
    }
    if (job.status == JobStatus::kSucceeded && !out.contains("lastSuccessfulSync")) {
      out["lastSuccessfulSync"] = job.updated_at / 1000;
    }
  }
  return out;
}

// web_backend/connections/get: the connection with its source and destination, its pending (or,
// withRefreshedCatalog, freshly computed) catalogDiff, and — refreshed — the catalog to review.
Json WebBackendConnection(const ApiEnv& env, Call& call) {
  Connection c = LoadConnection(env, call.body);
  Actor source = LoadActor(env, ActorKind::kSource, c.source_id, "sourceId");
  Actor destination = LoadActor(env, ActorKind::kDestination, c.destination_id, "destinationId");
  const ConnectorDefinition& source_def = DefinitionOf(env, source);
  const ConnectorDefinition& dest_def = DefinitionOf(env, destination);
  Json refreshed;
  Json diff = c.pending_catalog_diff.is_object() ? c.pending_catalog_diff : Json{{"transforms", Json::array()}};
  if (OptionalBool(call.body, "withRefreshedCatalog").value_or(false)) {
    if (!Allowed(call.principal.role, Permission::kEditConfigs)) {
      ThrowApiError(403, "withRefreshedCatalog runs the source's discover: it needs the edit_configs permission",
                    {{"withRefreshedCatalog", "needs edit_configs"}});
    }
    auto discovered = DiscoverStoredSource(env, source);
    if (!discovered.ok()) {
      const std::string m = "discovering the source failed: " + discovered.status().message();
      ThrowApiError(discovered.status().failure_type() == FailureType::kConfig ? 422 : 503, m,
                    {{"withRefreshedCatalog", m}});
    }
    CatalogDiff found = RecordDiscoveredSchema(env, c, *discovered);
    diff = found.ToJson();
    refreshed = RefreshedSyncCatalog(c.sync_catalog, *discovered, &dest_def.spec);
  }
  Json out = ConnectionToApi(c);
  if (!refreshed.is_null()) out["syncCatalog"] = std::move(refreshed);
  out["catalogDiff"] = std::move(diff);
  out["source"] = {{"sourceId", source.id},
                   {"name", source.name},
                   {"sourceName", source_def.title},
                   {"sourceDefinitionId", source_def.id},
                   {"workspaceId", source.workspace_id}};
  out["destination"] = {{"destinationId", destination.id},
                        {"name", destination.name},
                        {"destinationName", dest_def.title},
                        {"destinationDefinitionId", dest_def.id},
                        {"workspaceId", destination.workspace_id}};
  JobQuery q;
  q.connection_id = c.connection_id;
  q.limit = 1;
  auto jobs = Unwrap(env.store().ListJobs(q));
  out["isSyncing"] = !jobs.empty() && jobs[0].status == JobStatus::kRunning;
  if (!jobs.empty()) out["latestSyncJobStatus"] = JobStatusName(jobs[0].status);
  return out;
}

}  // namespace

CatalogDiff RecordDiscoveredSchema(const ApiEnv& env, Connection& c, const Catalog& discovered) {
  CatalogDiff diff = DiffSyncCatalogs(c.sync_catalog, SyncCatalogFromDiscovered(discovered, nullptr));
  if (c.status == ConnectionStatus::kDeprecated) return diff;
  const Connection before = c;
  c.schema_change = std::string(SchemaChangeName(diff.change()));
  c.pending_catalog_diff = diff.empty() ? Json() : diff.ToJson();
  const bool disable = diff.breaking() || (!diff.empty() && c.non_breaking_changes_preference == "disable");
  if (disable && c.status == ConnectionStatus::kActive) c.status = ConnectionStatus::kInactive;
  if (c.schema_change == before.schema_change && c.pending_catalog_diff == before.pending_catalog_diff &&
      c.status == before.status) {
    return diff;
  }
  auto updated = Unwrap(env.store().UpdateConnection(c, env.now()));
  env.connection_lists.Invalidate();
  if (updated) c = *updated;
  Log(LogLevel::kInfo, "api: connection {}: source schema {} ({}){}", c.connection_id, c.schema_change, diff.Summary(),
      c.status != before.status ? ", connection disabled" : "");
  return diff;
}

void AddConnectionRoutes(std::vector<Route>& routes, ApiEnv& env) {
  const std::string base = "/api/v1/connections/";
  const std::vector<FieldDoc> common_fields = {
      {"name", "string", false, "default: \"<source> → <destination>\""},
      {"status", "string", false, "active | inactive (default active)"},
      {"scheduleType", "string", false, "manual | basic | cron | continuous (a CDC source: one job kept running)"},
      {"scheduleData", "object", false, "{basicSchedule: {units, timeUnit}} or {cron: {cronExpression, cronTimeZone}}"},
      {"schedule", "object", false, "legacy basic schedule {units, timeUnit}"},
      {"namespaceDefinition", "string", false, "source | destination | customformat (default source)"},
      {"namespaceFormat", "string", false, "with customformat, e.g. \"${SOURCE_NAMESPACE}_raw\""},
      {"prefix", "string", false, "prepended to destination stream names"},
      {"syncCatalog", "object", false, "{streams: [{stream, config}]}; default: the source's discovered catalog"},
      {"resourceRequirements", "object", false, "{cpu_limit, cpu_request, memory_limit, memory_request}"},
      {"notifySchemaChanges", "boolean", false, ""},
      {"nonBreakingChangesPreference", "string", false, "ignore | disable | propagate_columns | propagate_fully"},
      {"operationIds", "array", false, "operations run in this order after each successful sync (operations/create)"}};

  std::vector<FieldDoc> create_fields = {{"sourceId", "string", true, ""},
                                         {"destinationId", "string", true, "in the source's workspace"},
                                         {"workspaceId", "string", false, "the source's (the default); another is a 422"}};
  create_fields.insert(create_fields.end(), common_fields.begin(), common_fields.end());
  routes.push_back(MakeRoute(
      base + "create", Permission::kEditConfigs, "connections", "Creates a connection from a source to a destination",
      create_fields, [env](Call& call) {
        Actor source = LoadActor(env, ActorKind::kSource, RequireString(call.body, "sourceId"), "sourceId");
        Actor destination =
            LoadActor(env, ActorKind::kDestination, RequireString(call.body, "destinationId"), "destinationId");
        if (source.workspace_id != destination.workspace_id) {
          // A connection lives in one workspace: it may not reach another one's destination (or
          // its secrets) through a source of its own.
          const std::string m = fmt::format("is in workspace {}, the source in workspace {}",
                                            destination.workspace_id, source.workspace_id);
          ThrowApiError(422, "destinationId: " + m, {{"destinationId", m}});
        }
        if (auto ws = OptionalString(call.body, "workspaceId"); ws && *ws != source.workspace_id) {
          const std::string m = fmt::format("the source and destination are in workspace {}", source.workspace_id);
          ThrowApiError(422, "workspaceId: " + m, {{"workspaceId", m}});
        }
        const ConnectorDefinition& dest_def = DefinitionOf(env, destination);
        Connection c;
        c.source_id = source.id;
        c.destination_id = destination.id;
        c.workspace_id = source.workspace_id;
        c.name = source.name + " → " + destination.name;
        ApplyConnectionFields(call.body, c, dest_def.spec, true);
        if (c.schedule_type == ScheduleType::kContinuous) CheckContinuousSource(env, source);
        if (!FindField(call.body, "syncCatalog")) {
          auto discovered = DiscoverStoredSource(env, source);
          if (!discovered.ok()) {
            std::string m =
                "syncCatalog: not given, and discovering the source failed: " + discovered.status().message();
            ThrowApiError(422, m, {{"syncCatalog", m}});
          }
          c.sync_catalog = SyncCatalogFromDiscovered(*discovered, &dest_def.spec);
        }
        Connection created = Unwrap(env.store().CreateConnection(std::move(c), env.now()));
        env.connection_lists.Invalidate();
        Log(LogLevel::kInfo, "api: created connection {} ({} → {})", created.connection_id, source.id, destination.id);
        return ConnectionToApi(created);
      }));

  routes.push_back(MakeRoute(base + "get", Permission::kReadConfigs, "connections", "One connection",
                             {{"connectionId", "string", true, ""}},
                             [env](Call& call) { return ConnectionToApi(LoadConnection(env, call.body)); }));

  routes.push_back(MakeRoute(
      base + "list", Permission::kReadConfigs, "connections", "The connections of a workspace (deleted ones left out)",
      {{"workspaceId", "string", false, "default: the first workspace"},
       {"includeSyncCatalog", "boolean", false, "default true; false leaves syncCatalog out (a much smaller answer)"},
       {"includeDeleted", "boolean", false, "default false; true lists deleted (deprecated) connections too"}},
      [env](Call& call) {
        std::string workspace_id = WorkspaceIdOf(env, call.body);
        const bool include_catalog = OptionalBool(call.body, "includeSyncCatalog").value_or(true);
        if (OptionalBool(call.body, "includeDeleted").value_or(false)) {  // rare: not cached
          Json list = Json::array();
          for (auto& c : Unwrap(env.store().ListConnections(workspace_id, true))) {
            list.push_back(ConnectionToApi(std::move(c), include_catalog));
          }
          return Json{{"connections", std::move(list)}};
        }
        const std::string key = workspace_id + (include_catalog ? "+catalog" : "");
        auto serve = [&call](const ListCache::Answer& answer) {
          call.response.shared_body = answer.body;
          call.response.gzip_body = answer.gzip;
          return Json();
        };
        // Built from the connections' kept fragments (api/connection_list.h): only rows that
        // changed since are read and serialized.
        auto version = [&] { return ConnectionListFragments::Version(env.store(), workspace_id); };
        auto build = [&] {
          auto answer = ConnectionListFragments::Assemble({env.connection_fragments.Live(env.store(), workspace_id)},
                                                          include_catalog);
          return ListCache::Built{std::move(answer.body), std::move(answer.gzip)};
        };
        return serve(env.connection_lists.GetOrBuildCompressed(key, version, build));
      }));

  std::vector<FieldDoc> update_fields = {{"connectionId", "string", true, ""}};
  update_fields.insert(update_fields.end(), common_fields.begin(), common_fields.end());
  routes.push_back(MakeRoute(
      base + "update", Permission::kEditConfigs, "connections",
      "Changes the given fields of a connection (status deprecated = delete)", update_fields, [env](Call& call) {
        Connection c = LoadConnection(env, call.body);
        if (c.status == ConnectionStatus::kDeprecated) {
          ThrowApiError(422, fmt::format("connection {} is deleted", c.connection_id),
                        {{"connectionId", "is deleted"}});
        }
        Actor destination = LoadActor(env, ActorKind::kDestination, c.destination_id, "destinationId");
        const Connection before = c;
        ApplyConnectionFields(call.body, c, DefinitionOf(env, destination).spec, false);
        if (c.schedule_type == ScheduleType::kContinuous && before.schedule_type != ScheduleType::kContinuous) {
          CheckContinuousSource(env, LoadActor(env, ActorKind::kSource, c.source_id, "sourceId"));
        }
        if (c.status == ConnectionStatus::kDeprecated) {
          c.status = ConnectionStatus::kInactive;
          Unwrap(env.store().UpdateConnection(c, env.now()));
          Unwrap(env.store().DeleteConnection(c.connection_id, env.now()));
          env.connection_lists.Invalidate();
          return ConnectionToApi(LoadConnection(env, call.body));
        }
        auto updated = Unwrap(env.store().UpdateConnection(c, env.now()));
        env.connection_lists.Invalidate();
        if (!updated) ThrowNotFound("connection", c.connection_id, "connectionId");
        if (RunsContinuously(before) && !RunsContinuously(*updated)) StopContinuousJob(env, *updated);
        if (RunsContinuously(*updated)) env.WakeWorkers();
        return ConnectionToApi(*updated);
      }));

  routes.push_back(MakeRoute(base + "delete", Permission::kEditConfigs, "connections",
                             "Deletes a connection (deprecated; its jobs stay readable, a running one is cancelled)",
                             {{"connectionId", "string", true, ""}}, [env](Call& call) {
                               std::string id = RequireString(call.body, "connectionId");
                               bool deleted = Unwrap(env.store().DeleteConnection(id, env.now()));
                               env.connection_lists.Invalidate();
                               if (!deleted) ThrowNotFound("connection", id, "connectionId");
                               env.WakeWorkers();
                               call.response.status = 204;
                               return Json();
                             }));

  routes.push_back(MakeRoute(base + "sync", Permission::kRunSyncs, "connections",
                             "Queues a sync now; answers the job as jobs/get (an unfinished one is returned as is)",
                             {{"connectionId", "string", true, ""}},
                             [env](Call& call) { return EnqueueAndAnswer(env, call.body, JobConfigType::kSync); }));
  routes.push_back(MakeRoute(
      base + "reset", Permission::kRunSyncs, "connections",
      "Queues a reset (empties every selected stream in the destination, each in a new generation, and clears "
      "the whole saved state)",
      {{"connectionId", "string", true, ""}}, [env](Call& call) {
        Connection c = LoadConnection(env, call.body);
        return EnqueueAndAnswer(env, c, JobConfigType::kResetConnection,
                                SelectedJobStreams(c.sync_catalog, StreamAction::kClear));
      }));
  const std::vector<FieldDoc> stream_fields = {
      {"connectionId", "string", true, ""},
      {"streams", "array", true, "[{streamName, streamNamespace}]: selected streams of the connection"}};
  auto clear_streams = [env](Call& call) {
    Connection c = LoadConnection(env, call.body);
    if (FindField(call.body, "streams") == nullptr) {
      ThrowApiError(422, "streams: is required (at least one stream)", {{"streams", "is required"}});
    }
    return EnqueueAndAnswer(env, c, JobConfigType::kClear, JobStreamsOf(c, call.body, StreamAction::kClear, false));
  };
  routes.push_back(MakeRoute(
      base + "clear", Permission::kRunSyncs, "connections",
      "Queues a clear of every selected stream: each starts a new generation, its rows in the destination and its "
      "saved state are removed",
      {{"connectionId", "string", true, ""}}, [env](Call& call) {
        Connection c = LoadConnection(env, call.body);
        return EnqueueAndAnswer(env, c, JobConfigType::kClear, JobStreamsOf(c, Json::object(), StreamAction::kClear, true));
      }));
  routes.push_back(MakeRoute(base + "clear/stream", Permission::kRunSyncs, "connections",
                             "Queues a clear of the given streams (rows in the destination and saved state removed)",
                             stream_fields, clear_streams));
  routes.push_back(MakeRoute(base + "reset/stream", Permission::kRunSyncs, "connections",
                             "Airbyte's older name of clear/stream", stream_fields, clear_streams));
  routes.push_back(MakeRoute(
      base + "refresh", Permission::kRunSyncs, "connections",
      "Queues a refresh: the given streams (default: every selected one) start a new generation and are read again "
      "from the start; Truncate replaces their rows when the new generation commits, Merge keeps the old rows. "
      "The other streams sync as usual in the same job. Answers {job, attempts}",
      {{"connectionId", "string", true, ""},
       {"refreshMode", "string", true, "Truncate (remove records) | Merge (keep records); also refreshType"},
       {"streams", "array", false, "[{streamName, streamNamespace}]; empty or absent: every selected stream"}},
      [env](Call& call) {
        Connection c = LoadConnection(env, call.body);
        const StreamAction action = RefreshActionOf(call.body);
        return EnqueueAndAnswer(env, c, JobConfigType::kRefresh, JobStreamsOf(c, call.body, action, true));
      }));

  routes.push_back(
      MakeRoute(base + "status", Permission::kReadStatus, "connections",
                "Status of connections: running, last job, last success (all active ones without connectionIds)",
                {{"connectionIds", "array", false, "default: every connection of the workspace"},
                 {"connectionId", "string", false, "one connection"},
                 {"workspaceId", "string", false, ""}},
                [env](Call& call) {
                  Json out = Json::array();
                  std::vector<std::string> ids;
                  if (const Json* list = FindField(call.body, "connectionIds")) {
                    if (!list->is_array())
                      ThrowApiError(400, "connectionIds: must be an array", {{"connectionIds", "must be an array"}});
                    for (size_t i = 0; i < list->size(); ++i) {
                      if (!(*list)[i].is_string()) {
                        std::string f = fmt::format("connectionIds[{}]", i);
                        ThrowApiError(400, f + ": must be a string", {{f, "must be a string"}});
                      }
                      ids.push_back((*list)[i].get<std::string>());
                    }
                  } else if (auto id = OptionalString(call.body, "connectionId")) {
                    ids.push_back(*id);
                  } else {
                    for (const auto& c : Unwrap(env.store().ListConnections(WorkspaceIdOf(env, call.body)))) {
                      out.push_back(ConnectionStatusToApi(env, c));
                    }
                    return out;
                  }
                  for (const auto& id : ids) {
                    auto c = Unwrap(env.store().GetConnection(id));
                    if (!c) ThrowNotFound("connection", id, "connectionIds");
                    out.push_back(ConnectionStatusToApi(env, *c));
                  }
                  return out;
                }));

  routes.push_back(MakeRoute(
      "/api/v1/web_backend/connections/get", Permission::kReadConfigs, "web_backend",
      "A connection with its source, destination and schema changes: catalogDiff is the pending change, or with "
      "withRefreshedCatalog the source is discovered again and syncCatalog is the refreshed catalog to review "
      "(saved with connections/update to accept it)",
      {{"connectionId", "string", true, ""},
       {"withRefreshedCatalog", "boolean", false, "discover the source now (needs edit_configs); default false"}},
      [env](Call& call) { return WebBackendConnection(env, call); }));

  routes.push_back(MakeRoute("/api/v1/state/get", Permission::kReadJobs, "state",
                             "The connection's saved state (from confirmed checkpoints only)",
                             {{"connectionId", "string", true, ""}}, [env](Call& call) {
                               Connection c = LoadConnection(env, call.body);
                               auto state = Unwrap(env.store().GetState(c.connection_id));
                               Json out = {{"connectionId", c.connection_id}};
                               if (!state || state->state.is_null()) {
                                 out["stateType"] = "not_set";
                                 return out;
                               }
                               const Json& s = state->state;
                               std::string type = "legacy";
                               if (s.is_array() && !s.empty() && s[0].is_object()) {
                                 std::string t = s[0].value("type", "");
                                 if (t == "STREAM") type = "stream";
                                 if (t == "GLOBAL") type = "global";
                               }
                               out["stateType"] = type;
                               if (type == "stream") {
                                 Json streams = Json::array();
                                 for (const auto& m : s) {
                                   if (m.contains("stream")) streams.push_back(m["stream"]);
                                 }
                                 out["streamState"] = streams;
                               } else if (type == "global") {
                                 out["globalState"] = s[0].value("global", Json());
                               }
                               out["state"] = s;
                               out["updatedAt"] = state->updated_at / 1000;
                               return out;
                             }));
}

}  // namespace sluice
