// The Airbyte API (the public one): /api/public/v1 workspaces, sources, destinations,
// connections, jobs, streams, health — Airbyte's api.yaml shapes with REST methods, paging
// ({data, next, previous}) and problem+json errors.
//
// Thin by design: each handler maps its request to the Config API's body, calls that route's
// handler (where validation, secrets, caches and the job queue live: one copy of the business
// logic), and maps the answer back (public_api_shapes.h). Authentication and the role check are
// Api::Handle's, as for every route; each public route needs the permission of the Config API
// route it calls.

#include <fmt/format.h>

#include "api/api_env.h"
#include "api/public_api_shapes.h"
#include "api/workspace_scope.h"
#include "base/log.h"
#include "security/token.h"

namespace sluice {

namespace {

using Renames = std::vector<std::pair<std::string, std::string>>;

[[noreturn]] void Bad(const std::string& field, const std::string& message) {
  ThrowApiError(400, fmt::format("{}: {}", field, message), {{field, message}});
}

std::string Path(std::string_view rest) { return std::string(kPublicApiPrefix) + std::string(rest); }

// Calls the Config API route `path` for the caller of `call` with `body`: its JSON answer (a
// cached answer is parsed), null for an empty one (204). ApiErrors pass through.
Json CallConfig(const ApiEnv& env, Call& call, std::string_view path, const Json& body) {
  const Route* route = nullptr;
  for (const Route& r : env.routes) {
    if (r.path == path) route = &r;
  }
  if (route == nullptr) ThrowApiError(500, fmt::format("internal error: no route {}", path));
  ApiResponse inner;
  Json scoped = body;  // the Config API route's workspace check, as Api::Handle does it
  CheckWorkspaceScope(env.store(), *route, scoped, call.principal);
  Call inner_call{call.request, scoped, call.principal, inner};
  Json out = route->handler(inner_call);
  if (out.is_null() && inner.shared_body) return Json::parse(*inner.shared_body);
  if (out.is_null() && !inner.body.empty()) return Json::parse(inner.body);
  return out;
}

// A public route: problem+json errors, its Config API field names renamed in them.
Route PublicRoute(std::string method, std::string_view path, std::string operation_id, Permission permission,
                  std::string tag, std::string summary, std::vector<FieldDoc> fields, Renames renames,
                  Handler handler) {
  Route r = MakeRoute(Path(path), permission, std::move(tag), std::move(summary), std::move(fields),
                      [renames = std::move(renames), handler = std::move(handler)](Call& call) {
                        try {
                          return handler(call);
                        } catch (ApiError& e) {
                          RenameFields(e, renames);
                          throw;
                        }
                      });
  r.methods = {std::move(method)};
  r.error_style = ErrorStyle::kProblem;
  r.operation_id = std::move(operation_id);
  return r;
}

// The ids of `workspaceIds` (a list or comma-separated text), or every workspace's.
std::vector<std::string> WorkspaceIds(const ApiEnv& env, Call& call) {
  std::vector<std::string> ids = StringListField(call.body, "workspaceIds");
  if (!ids.empty()) return ids;
  const Json workspaces = CallConfig(env, call, "/api/v1/workspaces/list", Json::object());
  for (const auto& w : workspaces["workspaces"]) {
    ids.push_back(w["workspaceId"].get<std::string>());
  }
  return ids;
}

const std::vector<FieldDoc> kPageFields = {
    {"limit", "integer", false, "page size, 1 to 100 (default 20)"},
    {"offset", "integer", false, "items skipped (default 0)"}};

std::vector<FieldDoc> WithPage(std::vector<FieldDoc> fields) {
  fields.insert(fields.end(), kPageFields.begin(), kPageFields.end());
  return fields;
}

// --- workspaces ---

void AddWorkspaces(std::vector<Route>& routes, ApiEnv& env) {
  const Renames renames = {{"notificationSettings", "notifications"}};
  const std::string tag = "public_workspaces";
  routes.push_back(PublicRoute(
      "GET", "/workspaces", "listWorkspaces", Permission::kReadConfigs, tag, "List workspaces ({data, next, previous})",
      WithPage({{"workspaceIds", "array", false, "only these workspaces (default: all)"},
                {"includeDeleted", "boolean", false, "accepted; workspaces are never deleted"}}),
      renames, [env](Call& call) {
        const Page page = ReadPage(call.body);
        BoolParameter(call.body, "includeDeleted");
        const std::vector<std::string> wanted = StringListField(call.body, "workspaceIds");
        Json items = Json::array();
        const Json workspaces = CallConfig(env, call, "/api/v1/workspaces/list", Json::object());
  for (const auto& w : workspaces["workspaces"]) {
          if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), w["workspaceId"]) == wanted.end()) continue;
          items.push_back(WorkspaceToPublic(w));
        }
        const int64_t total = static_cast<int64_t>(items.size());
        return PagedAnswer(std::move(items), page, total, Path("/workspaces"), call.body);
      }));
  routes.push_back(PublicRoute(
      "POST", "/workspaces", "createWorkspace", Permission::kManageSettings, tag, "Create a workspace",
      {{"name", "string", true, "name of the workspace"},
       {"notifications", "object", false, "{failure|success|connectionUpdate|…: {webhook: {enabled, url}}}"},
       {"organizationId", "string", false, "accepted, ignored (sluice has no organizations)"},
       {"regionId", "string", false, "accepted, ignored"}},
      renames, [env](Call& call) {
        Json body = {{"name", RequireString(call.body, "name")}};
        if (const Json* n = FindField(call.body, "notifications")) body["notificationSettings"] = NotificationsToConfig(*n);
        return WorkspaceToPublic(CallConfig(env, call, "/api/v1/workspaces/create", body));
      }));
  routes.push_back(PublicRoute("GET", "/workspaces/{workspaceId}", "getWorkspace", Permission::kReadConfigs, tag,
                               "Get Workspace details", {}, renames, [env](Call& call) {
                                 Json body = {{"workspaceId", RequireString(call.body, "workspaceId")}};
                                 return WorkspaceToPublic(CallConfig(env, call, "/api/v1/workspaces/get", body));
                               }));
  routes.push_back(PublicRoute(
      "PATCH", "/workspaces/{workspaceId}", "updateWorkspace", Permission::kManageSettings, tag, "Update a workspace",
      {{"name", "string", false, ""}, {"notifications", "object", false, "as createWorkspace"}}, renames,
      [env](Call& call) {
        Json body = {{"workspaceId", RequireString(call.body, "workspaceId")}};
        if (auto name = OptionalString(call.body, "name")) body["name"] = *name;
        if (const Json* n = FindField(call.body, "notifications")) body["notificationSettings"] = NotificationsToConfig(*n);
        return WorkspaceToPublic(CallConfig(env, call, "/api/v1/workspaces/update", body));
      }));
}

// --- sources and destinations ---

// The connector a create names: `definitionId` (Airbyte's id, a docker repository or a
// connector name) and/or `configuration.sourceType` (or Airbyte's `airbyte_source_name`), which
// are taken out of the configuration. 400 naming the field when unknown, missing or in conflict.
const ConnectorDefinition& DefinitionOfRequest(const ApiEnv& env, bool source, const Json& body, Json& configuration) {
  const std::string noun = source ? "source" : "destination";
  const ConnectorKind kind = source ? ConnectorKind::kSource : ConnectorKind::kDestination;
  std::optional<std::string> type;
  std::string type_field;
  for (const std::string& key : {noun + "Type", "airbyte_" + noun + "_name"}) {
    auto it = configuration.find(key);
    if (it == configuration.end()) continue;
    if (!it->is_string()) Bad("configuration." + key, "must be a string");
    if (!type) {
      type = it->get<std::string>();
      type_field = "configuration." + key;
    }
    configuration.erase(it);
  }
  const ConnectorDefinition* by_id = nullptr;
  if (auto id = OptionalString(body, "definitionId")) {
    by_id = env.connectors.Find(kind, *id);
    if (by_id == nullptr) Bad("definitionId", env.connectors.NotFoundMessage(kind, *id));
  }
  const ConnectorDefinition* by_type = nullptr;
  if (type) {
    by_type = env.connectors.Find(kind, *type);
    if (by_type == nullptr) Bad(type_field, env.connectors.NotFoundMessage(kind, *type));
  }
  if (by_id == nullptr && by_type == nullptr) {
    Bad("configuration." + noun + "Type",
        fmt::format("is required, or definitionId: which connector (e.g. \"{}\": \"{}\")", noun + "Type",
                    source ? "postgres" : "local"));
  }
  if (by_id != nullptr && by_type != nullptr && by_id != by_type) {
    Bad(type_field, fmt::format("names {} but definitionId is {}", by_type->name, by_id->name));
  }
  return by_id != nullptr ? *by_id : *by_type;
}

// The configuration of a PATCH or PUT: an object, without the connector-type keys (which must
// name the actor's own connector when given).
Json ConfigurationOfUpdate(const Json& current, bool source, const Json& given) {
  const std::string noun = source ? "source" : "destination";
  if (!given.is_object()) Bad("configuration", "must be an object");
  Json configuration = given;
  for (const std::string& key : {noun + "Type", "airbyte_" + noun + "_name"}) {
    auto it = configuration.find(key);
    if (it == configuration.end()) continue;
    const std::string own = current.value(noun + "Type", "");
    if (!it->is_string() || (*it != own && *it != noun + "-" + own)) {
      Bad("configuration." + key, fmt::format("a {} cannot change its connector (it is {})", noun, own));
    }
    configuration.erase(it);
  }
  return configuration;
}

void AddActors(std::vector<Route>& routes, ApiEnv& env, bool source) {
  const std::string noun = source ? "source" : "destination";
  const std::string plural = noun + "s";
  const std::string Noun = source ? "Source" : "Destination";
  const std::string id_field = noun + "Id";
  const std::string config_base = "/api/v1/" + plural + "/";
  const std::string tag = "public_" + plural;
  const Renames renames = {{"connectionConfiguration", "configuration"}, {noun + "DefinitionId", "definitionId"}};

  routes.push_back(PublicRoute(
      "GET", "/" + plural, "list" + Noun + "s", Permission::kReadConfigs, tag, "List " + plural,
      WithPage({{"workspaceIds", "array", false, "the workspaces to list (default: all)"},
                {"includeDeleted", "boolean", false, "accepted; deleted " + plural + " are not listed"}}),
      {{"workspaceId", "workspaceIds"}, {"connectionConfiguration", "configuration"}},
      [env, source, plural, config_base](Call& call) {
        const Page page = ReadPage(call.body);
        BoolParameter(call.body, "includeDeleted");
        Json items = Json::array();
        for (const auto& ws : WorkspaceIds(env, call)) {
          Json answer = CallConfig(env, call, config_base + "list", {{"workspaceId", ws}});
          for (const auto& a : answer[plural]) items.push_back(ActorToPublic(source, a));
        }
        const int64_t total = static_cast<int64_t>(items.size());
        return PagedAnswer(std::move(items), page, total, Path("/" + plural), call.body);
      }));

  routes.push_back(PublicRoute(
      "POST", "/" + plural, "create" + Noun, Permission::kEditConfigs, tag,
      "Create a " + noun + " from a name, a workspace id and its configuration (configuration." + noun +
          "Type or definitionId names the connector)",
      {{"name", "string", true, ""},
       {"workspaceId", "string", true, ""},
       {"configuration", "object", true,
        "the connector's config (its spec) with \"" + noun + "Type\": \"postgres\", …"},
       {"definitionId", "string", false, "Airbyte's definition id (or a connector name)"},
       {"secretId", "string", false, "not supported (no OAuth flow)"}},
      renames, [env, source, noun, config_base](Call& call) {
        const std::string name = RequireString(call.body, "name");
        const std::string workspace_id = RequireString(call.body, "workspaceId");
        Json configuration = RequireObject(call.body, "configuration");
        if (FindField(call.body, "secretId") != nullptr) Bad("secretId", "OAuth secrets are not supported");
        const ConnectorDefinition& def = DefinitionOfRequest(env, source, call.body, configuration);
        Json body = {{noun + "DefinitionId", def.id},
                     {"connectionConfiguration", std::move(configuration)},
                     {"name", name},
                     {"workspaceId", workspace_id}};
        return ActorToPublic(source, CallConfig(env, call, config_base + "create", body));
      }));

  const std::string item = "/" + plural + "/{" + id_field + "}";
  routes.push_back(PublicRoute("GET", item, "get" + Noun, Permission::kReadConfigs, tag,
                               Noun + " details (secrets masked)",
                               {{"includeSecretCoordinates", "boolean", false, "accepted; secrets are always masked"}},
                               renames, [env, source, id_field, config_base](Call& call) {
                                 Json body = {{id_field, RequireString(call.body, id_field)}};
                                 return ActorToPublic(source, CallConfig(env, call, config_base + "get", body));
                               }));

  // PATCH merges the given configuration into the stored one (RFC 7386); PUT replaces it.
  // Secrets sent back masked keep their stored values either way.
  auto update = [env, source, id_field, config_base](Call& call, bool patch) {
    const std::string id = RequireString(call.body, id_field);
    const Json current = ActorToPublic(source, CallConfig(env, call, config_base + "get", {{id_field, id}}));
    Json body = {{id_field, id}};
    if (patch) {
      if (auto name = OptionalString(call.body, "name")) body["name"] = *name;
      if (auto ws = OptionalString(call.body, "workspaceId"); ws && *ws != current["workspaceId"]) {
        Bad("workspaceId", "a " + std::string(source ? "source" : "destination") + " cannot move to another workspace");
      }
      if (const Json* given = FindField(call.body, "configuration")) {
        Json merged = current["configuration"];
        merged.merge_patch(ConfigurationOfUpdate(current, source, *given));
        body["connectionConfiguration"] = std::move(merged);
      }
    } else {
      body["name"] = RequireString(call.body, "name");
      body["connectionConfiguration"] = ConfigurationOfUpdate(current, source, RequireObject(call.body, "configuration"));
    }
    return ActorToPublic(source, CallConfig(env, call, config_base + "update", body));
  };
  routes.push_back(PublicRoute("PATCH", item, "patch" + Noun, Permission::kEditConfigs, tag,
                               "Update a " + noun + ": the given configuration keys are merged into the stored ones",
                               {{"name", "string", false, ""},
                                {"configuration", "object", false, "keys to change (JSON merge patch)"},
                                {"workspaceId", "string", false, "must be its own"}},
                               renames, [update](Call& call) { return update(call, true); }));
  routes.push_back(PublicRoute("PUT", item, "put" + Noun, Permission::kEditConfigs, tag,
                               "Update a " + noun + " and fully overwrite it (masked secrets keep their values)",
                               {{"name", "string", true, ""}, {"configuration", "object", true, "the whole config"}},
                               renames, [update](Call& call) { return update(call, false); }));
  routes.push_back(PublicRoute("DELETE", item, "delete" + Noun, Permission::kEditConfigs, tag,
                               "Delete a " + noun + " and its connections (204)", {}, renames,
                               [env, id_field, config_base](Call& call) {
                                 CallConfig(env, call, config_base + "delete",
                                            {{id_field, RequireString(call.body, id_field)}});
                                 call.response.status = 204;
                                 return Json();
                               }));
}

// --- connections ---

// Config API fields → public ones in error answers. syncCatalog problems are renamed per
// stream by CatalogRenames.
const Renames kConnectionRenames = {{"scheduleData.cron.cronExpression", "schedule.cronExpression"},
                                    {"scheduleData.cron.cronTimeZone", "schedule.cronExpression"},
                                    {"scheduleData.cron: cronExpression", "schedule.cronExpression"},
                                    {"scheduleData.cron", "schedule.cronExpression"},
                                    {"scheduleData.basicSchedule", "schedule.basicTiming"},
                                    {"scheduleData", "schedule"},
                                    {"scheduleType", "schedule.scheduleType"},
                                    {"nonBreakingChangesPreference", "nonBreakingSchemaUpdatesBehavior"}};

// syncCatalog.streams[k].config.<x> → configurations.streams[i].<syncMode|cursorField|…> for the
// streams the request listed (k: catalog index, i: request index).
Renames CatalogRenames(const Json& sync_catalog, const Json& configurations) {
  Renames out;
  const Json* list = FindField(configurations, "streams");
  if (list == nullptr || !list->is_array() || !sync_catalog.contains("streams")) return out;
  const Json& streams = sync_catalog["streams"];
  for (size_t k = 0; k < streams.size(); ++k) {
    const std::string name = streams[k]["stream"].value("name", "");
    for (size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_object() || (*list)[i].value("name", "") != name) continue;
      const std::string from = fmt::format("syncCatalog.streams[{}]", k);
      const std::string to = fmt::format("configurations.streams[{}]", i);
      out.push_back({from + ".config.destinationSyncMode", to + ".syncMode"});
      out.push_back({from + ".config", to});
      out.push_back({from, to});
      break;
    }
  }
  out.push_back({"syncCatalog", "configurations"});
  return out;
}

// The source's discovered catalog in syncCatalog form (400 naming `field` when discover fails).
Json DiscoveredCatalog(const ApiEnv& env, Call& call, const std::string& source_id, const std::string& field) {
  Json answer = CallConfig(env, call, "/api/v1/sources/discover_schema", {{"sourceId", source_id}});
  if (!answer.contains("catalog")) {
    const std::string m = "discovering the source's streams failed: " + answer.value("message", std::string("unknown error"));
    const std::string type = answer["jobInfo"].value("failureReason", Json::object()).value("failureType", "");
    if (type == "transient_error") ThrowApiError(503, field + ": " + m, {{field, m}});
    Bad(field, m);
  }
  return answer["catalog"];
}

// The Config API body for the settings both create and PATCH take.
void ConnectionSettingsToConfig(const Json& in, Json& out) {
  if (auto name = OptionalString(in, "name")) out["name"] = *name;
  if (const Json* schedule = FindField(in, "schedule")) out.update(ScheduleToConfig(*schedule));
  if (auto ns = OptionalString(in, "namespaceDefinition")) {
    out["namespaceDefinition"] = NamespaceDefinitionToConfig(*ns, "namespaceDefinition");
  }
  if (auto format = OptionalString(in, "namespaceFormat")) out["namespaceFormat"] = *format;
  if (auto prefix = OptionalString(in, "prefix")) out["prefix"] = *prefix;
  if (auto b = OptionalString(in, "nonBreakingSchemaUpdatesBehavior")) {
    out["nonBreakingChangesPreference"] = NonBreakingToConfig(*b, "nonBreakingSchemaUpdatesBehavior");
  }
  if (auto status = OptionalString(in, "status")) out["status"] = *status;
  if (const Json* tags = FindField(in, "tags"); tags != nullptr && !(tags->is_array() && tags->empty())) {
    Bad("tags", "tags are not supported");
  }
}

// `discovered` with the stored stream configs of `stored` carried over, and the streams new to
// it unselected (a PATCH naming a stream the stored catalog lacks: the source has new streams).
Json WithStoredConfigs(Json discovered, const Json& stored) {
  for (auto& entry : discovered["streams"]) {
    const Json& s = entry["stream"];
    entry["config"]["selected"] = false;
    for (const auto& old : stored.value("streams", Json::array())) {
      if (old["stream"].value("name", "") == s.value("name", "") &&
          old["stream"].value("namespace", Json()) == s.value("namespace", Json())) {
        entry["config"] = old["config"];
      }
    }
  }
  return discovered;
}

std::vector<FieldDoc> ConnectionFields() {
  return {{"name", "string", false, "default: \"<source> → <destination>\""},
          {"configurations", "object", false,
           "{streams: [{name, syncMode, cursorField, primaryKey}]}: the streams to sync (default: all, with "
           "their default modes); syncMode full_refresh_overwrite | full_refresh_append | incremental_append | "
           "incremental_deduped_history"},
          {"schedule", "object", false, "{scheduleType: manual | cron, cronExpression (Quartz, UTC)}"},
          {"namespaceDefinition", "string", false, "source | destination | custom_format"},
          {"namespaceFormat", "string", false, "with custom_format, e.g. \"${SOURCE_NAMESPACE}\""},
          {"prefix", "string", false, "prepended to each stream name in the destination"},
          {"nonBreakingSchemaUpdatesBehavior", "string", false,
           "ignore | disable_connection | propagate_columns | propagate_fully"},
          {"status", "string", false, "active | inactive | deprecated"},
          {"dataResidency", "string", false, "accepted, ignored"},
          {"tags", "array", false, "not supported (must be empty)"}};
}

void AddConnections(std::vector<Route>& routes, ApiEnv& env) {
  const std::string tag = "public_connections";
  routes.push_back(PublicRoute(
      "GET", "/connections", "listConnections", Permission::kReadConfigs, tag, "List connections",
      WithPage({{"workspaceIds", "array", false, "the workspaces to list (default: all)"},
                {"includeDeleted", "boolean", false, "also deleted (deprecated) connections (default false)"},
                {"tagIds", "array", false, "not supported (must be empty)"}}),
      {{"workspaceId", "workspaceIds"}}, [env](Call& call) {
        const Page page = ReadPage(call.body);
        const bool deleted = BoolParameter(call.body, "includeDeleted").value_or(false);
        if (!StringListField(call.body, "tagIds").empty()) Bad("tagIds", "tags are not supported");
        Json items = Json::array();
        for (const auto& ws : WorkspaceIds(env, call)) {
          Json answer = CallConfig(env, call, "/api/v1/connections/list", {{"workspaceId", ws}, {"includeDeleted", deleted}});
          for (const auto& c : answer["connections"]) items.push_back(ConnectionToPublic(c));
        }
        const int64_t total = static_cast<int64_t>(items.size());
        return PagedAnswer(std::move(items), page, total, Path("/connections"), call.body);
      }));

  std::vector<FieldDoc> create_fields = {{"sourceId", "string", true, ""}, {"destinationId", "string", true, ""}};
  for (auto& f : ConnectionFields()) create_fields.push_back(std::move(f));
  routes.push_back(PublicRoute(
      "POST", "/connections", "createConnection", Permission::kEditConfigs, tag,
      "Create a connection (the source is discovered for its streams)", create_fields, kConnectionRenames,
      [env](Call& call) {
        Json body = {{"sourceId", RequireString(call.body, "sourceId")},
                     {"destinationId", RequireString(call.body, "destinationId")},
                     // Airbyte's API defaults (ConnectionCreateRequest)
                     {"namespaceDefinition", "destination"},
                     {"nonBreakingChangesPreference", "ignore"}};
        ConnectionSettingsToConfig(call.body, body);
        Renames renames;
        if (const Json* configurations = FindField(call.body, "configurations")) {
          if (!configurations->is_object()) Bad("configurations", "must be an object {streams: [{name, syncMode}]}");
          const Json* streams = FindField(*configurations, "streams");
          if (streams != nullptr && !(streams->is_array() && streams->empty())) {
            // Check the source exists first (404 naming sourceId, not a failed discover).
            CallConfig(env, call, "/api/v1/sources/get", {{"sourceId", body["sourceId"]}});
            Json discovered = DiscoveredCatalog(env, call, body["sourceId"].get<std::string>(), "configurations");
            // Nothing is selected yet: a listed stream without a syncMode gets the destination's default.
            for (auto& entry : discovered["streams"]) entry["config"]["selected"] = false;
            Json catalog = ApplyStreamConfigurations(discovered, *configurations);
            renames = CatalogRenames(catalog, *configurations);
            body["syncCatalog"] = std::move(catalog);
          }
        }
        try {
          return ConnectionToPublic(CallConfig(env, call, "/api/v1/connections/create", body));
        } catch (ApiError& e) {
          RenameFields(e, renames);
          throw;
        }
      }));

  const std::string item = "/connections/{connectionId}";
  routes.push_back(PublicRoute("GET", item, "getConnection", Permission::kReadConfigs, tag, "Connection details", {},
                               kConnectionRenames, [env](Call& call) {
                                 Json body = {{"connectionId", RequireString(call.body, "connectionId")}};
                                 return ConnectionToPublic(CallConfig(env, call, "/api/v1/connections/get", body));
                               }));
  routes.push_back(PublicRoute(
      "PATCH", item, "patchConnection", Permission::kEditConfigs, tag,
      "Update a connection: the given settings; configurations.streams replaces the selected streams",
      ConnectionFields(), kConnectionRenames, [env](Call& call) {
        const std::string id = RequireString(call.body, "connectionId");
        Json body = {{"connectionId", id}};
        ConnectionSettingsToConfig(call.body, body);
        Renames renames;
        if (const Json* configurations = FindField(call.body, "configurations")) {
          const Json current = CallConfig(env, call, "/api/v1/connections/get", {{"connectionId", id}});
          const Json& stored = current["syncCatalog"];
          Json catalog;
          try {
            catalog = ApplyStreamConfigurations(stored, *configurations);
          } catch (const ApiError& e) {
            if (e.details.empty() || !e.details[0].field.ends_with(".name")) throw;
            // A stream the stored catalog lacks: the source may have it now.
            Json discovered = DiscoveredCatalog(env, call, current["sourceId"].get<std::string>(), "configurations");
            catalog = ApplyStreamConfigurations(WithStoredConfigs(std::move(discovered), stored), *configurations);
          }
          renames = CatalogRenames(catalog, *configurations);
          body["syncCatalog"] = std::move(catalog);
        }
        try {
          return ConnectionToPublic(CallConfig(env, call, "/api/v1/connections/update", body));
        } catch (ApiError& e) {
          RenameFields(e, renames);
          throw;
        }
      }));
  routes.push_back(PublicRoute("DELETE", item, "deleteConnection", Permission::kEditConfigs, tag,
                               "Delete a connection (204; its jobs stay readable)", {}, {}, [env](Call& call) {
                                 CallConfig(env, call, "/api/v1/connections/delete",
                                            {{"connectionId", RequireString(call.body, "connectionId")}});
                                 call.response.status = 204;
                                 return Json();
                               }));
}

// --- jobs ---

void AddJobs(std::vector<Route>& routes, ApiEnv& env) {
  const std::string tag = "public_jobs";
  routes.push_back(PublicRoute(
      "POST", "/jobs", "createJob", Permission::kRunSyncs, tag,
      "Trigger a sync or reset job of a connection (an unfinished sync or reset is answered as is)",
      {{"connectionId", "string", true, ""},
       {"jobType", "string", true, "sync | reset | clear | refresh (refresh: Truncate, every selected stream)"}},
      {}, [env](Call& call) {
        const std::string connection_id = RequireString(call.body, "connectionId");
        const std::string job_type = RequireString(call.body, "jobType");
        const auto config_type = JobTypeToConfig(job_type);
        if (!config_type) Bad("jobType", fmt::format("must be one of sync, reset, clear, refresh, got '{}'", job_type));
        Json body = {{"connectionId", connection_id}};
        std::string path = "/api/v1/connections/sync";
        if (*config_type == "reset_connection") path = "/api/v1/connections/reset";
        if (*config_type == "clear") path = "/api/v1/connections/clear";
        if (*config_type == "refresh") {
          path = "/api/v1/connections/refresh";
          body["refreshMode"] = "Truncate";
        }
        return JobToPublic(CallConfig(env, call, path, body), env.now());
      }));

  routes.push_back(PublicRoute(
      "GET", "/jobs", "listJobs", Permission::kReadJobs, tag, "List jobs (newest first unless orderBy says otherwise)",
      WithPage({{"connectionId", "string", false, "one connection's jobs"},
                {"jobType", "string", false, "sync | reset | refresh | clear"},
                {"status", "string", false, "pending | running | incomplete | failed | succeeded | cancelled"},
                {"workspaceIds", "array", false, "jobs of these workspaces' connections (default: all)"},
                {"createdAtStart", "string", false, "ISO 8601 date-time (or epoch ms)"},
                {"createdAtEnd", "string", false, ""},
                {"updatedAtStart", "string", false, ""},
                {"updatedAtEnd", "string", false, ""},
                {"orderBy", "string", false, "createdAt|DESC (default), createdAt|ASC, updatedAt|DESC, updatedAt|ASC"}}),
      {{"statuses[0]", "status"},
       {"statuses", "status"},
       {"configTypes", "jobType"},
       {"orderByField", "orderBy"},
       {"orderByMethod", "orderBy"}},
      [env](Call& call) {
        const Page page = ReadPage(call.body);
        Json body = {{"pagination", {{"pageSize", page.limit}, {"rowOffset", page.offset}}}};
        if (auto id = OptionalString(call.body, "connectionId")) body["configId"] = *id;
        if (auto type = OptionalString(call.body, "jobType")) {
          auto config_type = JobTypeToConfig(*type);
          if (!config_type) Bad("jobType", "must be one of sync, reset, refresh, clear");
          body["configTypes"] = Json::array({*config_type});
        }
        if (auto status = OptionalString(call.body, "status")) body["statuses"] = Json::array({*status});
        for (const char* key : {"workspaceIds", "createdAtStart", "createdAtEnd", "updatedAtStart", "updatedAtEnd"}) {
          if (const Json* v = FindField(call.body, key)) body[key] = *v;
        }
        if (auto order = OptionalString(call.body, "orderBy")) {
          const size_t bar = order->find('|');
          body["orderByField"] = order->substr(0, bar);
          if (bar != std::string::npos) body["orderByMethod"] = order->substr(bar + 1);
        }
        Json answer = CallConfig(env, call, "/api/v1/jobs/list", body);
        Json items = Json::array();
        for (const auto& info : answer["jobs"]) items.push_back(JobToPublic(info, env.now()));
        return PagedAnswer(std::move(items), page, answer.value("totalJobCount", 0), Path("/jobs"), call.body, true);
      }));

  routes.push_back(PublicRoute("GET", "/jobs/{jobId}", "getJob", Permission::kReadJobs, tag,
                               "Job status and details", {}, {}, [env](Call& call) {
                                 const JobId id = RequireJobId(call.body, "jobId");
                                 auto job = Unwrap(env.store().GetJob(id));
                                 if (!job) ThrowNotFound("job", std::to_string(id), "jobId");
                                 return JobToPublic(JobInfoToApi(env, *job, false), env.now());
                               }));
  routes.push_back(PublicRoute("DELETE", "/jobs/{jobId}", "cancelJob", Permission::kRunSyncs, tag,
                               "Cancel a job: a queued one at once, a running one at its worker's next heartbeat", {},
                               {{"id", "jobId"}}, [env](Call& call) {
                                 const JobId id = RequireJobId(call.body, "jobId");
                                 return JobToPublic(CallConfig(env, call, "/api/v1/jobs/cancel", {{"id", id}}), env.now());
                               }));
}

// --- applications (client credentials → short-lived bearer tokens) ---

constexpr int64_t kAccessTokenTtlSeconds = 15 * 60;  // Airbyte's tokens last 15 minutes too

// The caller's own application `id` (404 otherwise: another user's is not told apart from none).
ApiKey OwnApplication(const ApiEnv& env, const Call& call, const std::string& id) {
  for (auto& k : Unwrap(env.store().ListApiKeys(call.principal.user_id))) {
    if (k.id == id && k.name.starts_with(kApplicationKeyPrefix)) return std::move(k);
  }
  ThrowNotFound("application", id, "applicationId");
}

// ApplicationRead. The client secret is shown in the create answer only (sluice stores its hash),
// masked elsewhere.
Json ApplicationToPublic(const ApiKey& key, const std::string& secret = "") {
  return {{"id", key.id},
          {"name", key.name.substr(kApplicationKeyPrefix.size())},
          {"clientId", key.id},
          {"clientSecret", secret.empty() ? std::string("**********") : secret},
          {"createdAt", key.created_at}};
}

// A field by its Airbyte name or its camelCase spelling (the published example uses both).
std::optional<std::string> EitherString(const Json& body, const char* snake, const char* camel) {
  if (auto v = OptionalString(body, snake)) return v;
  return OptionalString(body, camel);
}

void AddApplications(std::vector<Route>& routes, ApiEnv& env) {
  const std::string tag = "public_applications";
  auto owner = [](const Call& call) {
    if (call.principal.user_id.empty()) {
      ThrowApiError(400, "applications belong to a user: this server runs without authentication (--no-auth)");
    }
    return call.principal.user_id;
  };
  routes.push_back(PublicRoute("GET", "/applications", "listApplications", Permission::kReadStatus, tag,
                               "The caller's applications (client secrets masked)", {}, {}, [env, owner](Call& call) {
                                 Json list = Json::array();
                                 for (const auto& k : Unwrap(env.store().ListApiKeys(owner(call)))) {
                                   if (k.name.starts_with(kApplicationKeyPrefix)) list.push_back(ApplicationToPublic(k));
                                 }
                                 return Json{{"applications", std::move(list)}};
                               }));
  routes.push_back(PublicRoute(
      "POST", "/applications", "createApplication", Permission::kReadStatus, tag,
      "Create an application of the caller: clientId and clientSecret (shown in this answer only) for "
      "applications/token",
      {{"name", "string", true, "1 to 200 characters"}}, {}, [env, owner](Call& call) {
        const std::string user = owner(call);
        const std::string name = RequireString(call.body, "name");
        if (name.empty() || name.size() > 200) Bad("name", "must be 1 to 200 characters");
        const std::string secret = Unwrap(NewSessionToken());
        ApiKey key = Unwrap(env.store().CreateApiKey(user, std::string(kApplicationKeyPrefix) + name,
                                                     TokenHash(secret), env.now()));
        Log(LogLevel::kInfo, "api: application {} created for user {}", key.id, user);
        return ApplicationToPublic(key, secret);
      }));
  const std::string item = "/applications/{applicationId}";
  routes.push_back(PublicRoute("GET", item, "getApplication", Permission::kReadStatus, tag,
                               "One of the caller's applications (client secret masked)", {}, {},
                               [env, owner](Call& call) {
                                 owner(call);
                                 return ApplicationToPublic(
                                     OwnApplication(env, call, RequireString(call.body, "applicationId")));
                               }));
  routes.push_back(PublicRoute("DELETE", item, "deleteApplication", Permission::kReadStatus, tag,
                               "Delete one of the caller's applications (its tokens stay valid until they expire)",
                               {}, {}, [env, owner](Call& call) {
                                 owner(call);
                                 const ApiKey key = OwnApplication(env, call, RequireString(call.body, "applicationId"));
                                 if (!Unwrap(env.store().DeleteApiKey(key.id))) {
                                   ThrowNotFound("application", key.id, "applicationId");
                                 }
                                 Log(LogLevel::kInfo, "api: application {} deleted", key.id);
                                 return ApplicationToPublic(key);
                               }));
  Route token = PublicRoute(
      "POST", "/applications/token", "createAccessToken", Permission::kReadStatus, tag,
      "An access token (Bearer, 15 minutes) for an application's client_id and client_secret; it acts as the "
      "application's user, with that user's role",
      {{"client_id", "string", true, "the application's clientId"},
       {"client_secret", "string", true, "the application's clientSecret"},
       {"grant-type", "string", false, "client_credentials (the only grant)"}},
      {}, [env](Call& call) {
        const auto client_id = EitherString(call.body, "client_id", "clientId");
        if (!client_id || client_id->empty()) Bad("client_id", "is required");
        const auto secret = EitherString(call.body, "client_secret", "clientSecret");
        if (!secret || secret->empty()) Bad("client_secret", "is required");
        for (const char* key : {"grant-type", "grant_type"}) {
          auto grant = OptionalString(call.body, key);
          if (grant && *grant != "client_credentials") Bad(key, "must be client_credentials");
        }
        auto key = Unwrap(env.store().GetApiKeyByHash(TokenHash(*secret)));
        if (!key || !key->name.starts_with(kApplicationKeyPrefix) || !ConstantTimeEquals(key->id, *client_id)) {
          Log(LogLevel::kWarn, "api: applications/token refused (unknown client_id or wrong client_secret)");
          ThrowApiError(401, "invalid client_id or client_secret");
        }
        auto user = Unwrap(env.store().GetUser(key->user_id));
        if (!user) ThrowApiError(401, "invalid client_id or client_secret");
        (void)env.store().TouchApiKey(key->id, env.now());
        return Json{{"access_token", env.auth.IssueAccessToken(key->user_id, kAccessTokenTtlSeconds * 1000)},
                    {"token_type", "Bearer"},
                    {"expires_in", kAccessTokenTtlSeconds}};
      });
  token.access = Access::kPublic;
  routes.push_back(std::move(token));
}

// --- streams, health ---

void AddStreams(std::vector<Route>& routes, ApiEnv& env) {
  routes.push_back(PublicRoute(
      "GET", "/streams", "getStreamProperties", Permission::kEditConfigs, "public_streams",
      "The source's streams with the sync modes each offers (the source is discovered now, which needs "
      "edit_configs as discover_schema does)",
      {{"sourceId", "string", true, ""},
       {"destinationId", "string", false, "limit syncModes to what this destination supports"},
       {"ignoreCache", "boolean", false, "accepted; discover always runs"}},
      {}, [env](Call& call) {
        const std::string source_id = RequireString(call.body, "sourceId");
        BoolParameter(call.body, "ignoreCache");
        std::vector<std::string> destination_modes;
        if (auto destination_id = OptionalString(call.body, "destinationId")) {
          Json d = CallConfig(env, call, "/api/v1/destinations/get", {{"destinationId", *destination_id}});
          const ConnectorDefinition* def =
              env.connectors.Find(ConnectorKind::kDestination, d.value("connectorName", std::string()));
          if (def != nullptr) {
            for (auto m : def->spec.supported_destination_sync_modes) destination_modes.emplace_back(DestinationSyncModeName(m));
          }
        }
        CallConfig(env, call, "/api/v1/sources/get", {{"sourceId", source_id}});  // 404 before discovering
        Json out = Json::array();
        const Json catalog = DiscoveredCatalog(env, call, source_id, "sourceId");
        for (const auto& entry : catalog["streams"]) {
          out.push_back(StreamPropertiesToPublic(entry, destination_modes));
        }
        return out;
      }));

  Route health = PublicRoute("GET", "/health", "getHealthCheck", Permission::kReadStatus, "public_health",
                             "Health check", {}, {}, [](Call&) { return Json{{"available", true}}; });
  health.access = Access::kPublic;
  routes.push_back(std::move(health));
}

}  // namespace

void AddPublicRoutes(std::vector<Route>& routes, ApiEnv& env) {
  AddWorkspaces(routes, env);
  AddActors(routes, env, true);
  AddActors(routes, env, false);
  AddConnections(routes, env);
  AddJobs(routes, env);
  AddStreams(routes, env);
  const size_t applications = routes.size();
  AddApplications(routes, env);
  // The caller's own applications touch no workspace; creating a workspace needs every one (as
  // workspaces/create). The rest is scoped like the Config API routes they call.
  for (size_t i = applications; i < routes.size(); ++i) routes[i].workspace = WorkspaceUse::kNone;
  for (Route& r : routes) {
    if (r.path == Path("/workspaces") && r.methods.front() == "POST") r.workspace = WorkspaceUse::kAllWorkspaces;
  }
}

}  // namespace sluice
