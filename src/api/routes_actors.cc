// sources and destinations: create, get, list, update, delete, check_connection, discover_schema.
// Configs are validated against the connector's spec, stored encrypted (EncryptConfig) and
// answered masked (MaskSecrets); check and discover run the connector in this process.

#include <fmt/format.h>

#include <chrono>

#include <fmt/ranges.h>

#include "api/api_env.h"
#include "base/log.h"
#include "connection/connector_runtime.h"
#include "protocol/config_validator.h"
#include "platform/sync_catalog.h"
#include "protocol/config_update.h"
#include "security/connector_secrets.h"

namespace sluice {

namespace {

ConnectorKind ToConnectorKind(ActorKind kind) {
  return kind == ActorKind::kSource ? ConnectorKind::kSource : ConnectorKind::kDestination;
}

struct Names {
  std::string noun;           // "source"
  std::string plural;         // "sources"
  std::string id_field;       // "sourceId"
  std::string def_field;      // "sourceDefinitionId"
  std::string display_field;  // "sourceName"
};

Names NamesOf(ActorKind kind) {
  if (kind == ActorKind::kSource) return {"source", "sources", "sourceId", "sourceDefinitionId", "sourceName"};
  return {"destination", "destinations", "destinationId", "destinationDefinitionId", "destinationName"};
}

//! The schema `config` is validated, masked and redacted by: the connector's spec, or the spec
//! its config carries (source-declarative-manifest: the manifest's, with its airbyte_secret marks).
Json SchemaOf(const ConnectorDefinition& def, const Json& config) {
  return ConfigSchemaFor(def.kind, def.name, def.spec.connection_specification, config);
}

//! Every violation of `config` against the spec (after defaults), as one 422.
void ValidateOrThrow(const ConnectorDefinition& def, const Json& config) {
  const Json schema = SchemaOf(def, config);
  auto violations = ValidateConfig(schema, ApplyDefaults(schema, config));
  if (violations.empty()) return;
  std::vector<FieldProblem> details;
  for (const auto& v : violations) {
    std::string path = v.path;
    if (path.starts_with("$")) path.erase(0, 1);
    std::string field = "connectionConfiguration";
    if (!path.empty()) field += path.front() == '[' || path.front() == '.' ? path : "." + path;
    // "missing required property 'database'" belongs to the missing field itself.
    constexpr std::string_view kMissing = "missing required property '";
    if (v.message.starts_with(kMissing) && v.message.back() == '\'') {
      field += "." + v.message.substr(kMissing.size(), v.message.size() - kMissing.size() - 1);
    }
    details.push_back({field, v.message});
  }
  ThrowApiError(422, fmt::format("connectionConfiguration: {} problem(s) for {}", details.size(), def.name), details);
}

Json ActorToApi(const Names& n, const Actor& actor, const ConnectorDefinition& def, const Json& config) {
  Json out;
  out[n.def_field] = def.id;
  out[n.id_field] = actor.id;
  out["workspaceId"] = actor.workspace_id;
  out["connectionConfiguration"] = WithoutManifest(def, MaskSecrets(SchemaOf(def, config), config));
  out["name"] = actor.name;
  out[n.display_field] = def.title;
  out["connectorName"] = def.name;
  out["createdAt"] = actor.created_at / 1000;
  out["updatedAt"] = actor.updated_at / 1000;
  return out;
}

//! Runs the connector's check; never throws. {status: succeeded|failed, message, jobInfo}.
//! `saved` (a stored actor checked): where a config the connector changed (a rotated OAuth refresh
//! token) is saved; unsaved configs lose it.
struct CheckedActor {
  const ApiEnv* env = nullptr;
  ActorKind kind = ActorKind::kSource;
  std::string id;
};

Json RunCheck(const ConnectorDefinition& def, const Json& config, std::string_view config_type,
              const CheckedActor& saved = {}) {
  auto start = std::chrono::system_clock::now();
  Status status;
  bool config_updated = false;
  const Json schema = SchemaOf(def, config);
  try {
    auto prepared = PrepareConfig(schema, config, "connectionConfiguration");
    if (!prepared.ok()) {
      status = prepared.status();
    } else {
      auto connector = ResolveConnector(def.kind, def.name, {});
      if (!connector.ok()) {
        status = connector.status();
      } else if (def.kind == ConnectorKind::kSource) {
        status = connector->source->Check(*prepared);
        if (auto updated = TakeConfigUpdate(*connector->source); updated && saved.env != nullptr) {
          config_updated = SaveActorConfigChanges(*saved.env, saved.kind, saved.id, ConfigChanges(*prepared, *updated));
        }
      } else {
        status = connector->destination->Check(*prepared);
      }
    }
  } catch (const std::exception& e) {
    status = Status::SystemError(std::string("connector check threw: ") + e.what());
  }
  auto end = std::chrono::system_clock::now();
  auto secs = [](auto t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); };
  std::string message = status.ok() ? "" : RedactSecrets(schema, config, status.message());
  Json out = {{"status", status.ok() ? "succeeded" : "failed"},
              {"jobInfo",
               {{"configType", config_type},
                {"createdAt", secs(start)},
                {"endedAt", secs(end)},
                {"succeeded", status.ok()},
                {"connectorConfigurationUpdated", config_updated}}}};
  if (!status.ok()) {
    out["message"] = message;
    out["jobInfo"]["failureReason"] = {{"failureType", FailureTypeName(status.failure_type())},
                                       {"externalMessage", message}};
  }
  return out;
}

Json DecryptedConfig(const ApiEnv& env, const Actor& actor) { return DecryptActorConfig(env, actor); }

void AddActorKindRoutes(std::vector<Route>& routes, ApiEnv& env, ActorKind kind) {
  const Names n = NamesOf(kind);
  const std::string base = "/api/v1/" + n.plural + "/";
  auto find_def = [env, kind, n](const Json& body) -> const ConnectorDefinition& {
    return RequireDefinition(env, ToConnectorKind(kind), body, n.def_field);
  };

  routes.push_back(
      MakeRoute(base + "create", Permission::kEditConfigs, n.plural,
                "Creates a " + n.noun + "; connectionConfiguration is checked against the connector's spec",
                {{n.def_field, "string", true,
                  "definition id (Airbyte's, e.g. that of airbyte/" + n.noun + "-postgres), Airbyte's docker "
                  "repository, or the connector name, e.g. \"" + n.noun + "-faker\""},
                 {"connectionConfiguration", "object", true, "the connector's config (its spec's JSON Schema)"},
                 {"name", "string", false, "default: the connector's title"},
                 {"workspaceId", "string", false, "default: the first workspace"}},
                [env, kind, n, find_def](Call& call) {
                  const ConnectorDefinition& def = find_def(call.body);
                  const Json config = WithManifest(def, RequireObject(call.body, "connectionConfiguration"));
                  std::string workspace_id = WorkspaceIdOf(env, call.body);
                  ValidateOrThrow(def, config);
                  Actor actor;
                  actor.kind = kind;
                  actor.workspace_id = workspace_id;
                  actor.definition_name = ActorDefinitionName(def);
                  actor.name = OptionalString(call.body, "name").value_or(def.title);
                  if (actor.name.empty())
                    ThrowApiError(422, "name: must not be empty", {{"name", "must not be empty"}});
                  actor.configuration = EncryptConfig(*env.context.secrets, WithoutManifest(def, config));
                  Actor created = Unwrap(env.store().CreateActor(std::move(actor), env.now()));
                  Log(LogLevel::kInfo, "api: created {} {} ({})", n.noun, created.id, def.name);
                  return ActorToApi(n, created, def, config);
                }));

  routes.push_back(MakeRoute(base + "get", Permission::kReadConfigs, n.plural, "One " + n.noun + " (secrets masked)",
                             {{n.id_field, "string", true, ""}}, [env, kind, n](Call& call) {
                               Actor actor = LoadActor(env, kind, RequireString(call.body, n.id_field), n.id_field);
                               return ActorToApi(n, actor, DefinitionOf(env, actor), DecryptedConfig(env, actor));
                             }));

  routes.push_back(MakeRoute(
      base + "list", Permission::kReadConfigs, n.plural, "The " + n.plural + " of a workspace (secrets masked)",
      {{"workspaceId", "string", false, "default: the first workspace"}}, [env, kind, n](Call& call) {
        std::string workspace_id = WorkspaceIdOf(env, call.body);
        Json list = Json::array();
        for (const auto& actor : Unwrap(env.store().ListActors(kind, workspace_id))) {
          list.push_back(ActorToApi(n, actor, DefinitionOf(env, actor), DecryptedConfig(env, actor)));
        }
        return Json{{n.plural, list}};
      }));

  routes.push_back(MakeRoute(
      base + "update", Permission::kEditConfigs, n.plural,
      "Changes name and/or connectionConfiguration; a masked secret (\"**********\") keeps the stored value",
      {{n.id_field, "string", true, ""},
       {"connectionConfiguration", "object", false, "the whole config; masked secrets keep their value"},
       {"name", "string", false, ""}},
      [env, kind, n](Call& call) {
        Actor actor = LoadActor(env, kind, RequireString(call.body, n.id_field), n.id_field);
        const ConnectorDefinition& def = DefinitionOf(env, actor);
        Json config = DecryptedConfig(env, actor);
        if (const Json* given = OptionalObject(call.body, "connectionConfiguration")) {
          const Json update = WithManifest(def, *given);
          config = Unwrap(MergeSecrets(SchemaOf(def, update), config, update), "connectionConfiguration");
          ValidateOrThrow(def, config);
          actor.configuration = EncryptConfig(*env.context.secrets, WithoutManifest(def, config));
        }
        if (auto name = OptionalString(call.body, "name")) {
          if (name->empty()) ThrowApiError(422, "name: must not be empty", {{"name", "must not be empty"}});
          actor.name = *name;
        }
        auto updated = Unwrap(env.store().UpdateActor(actor, env.now()));
        if (!updated) ThrowNotFound(n.noun, actor.id, n.id_field);
        return ActorToApi(n, *updated, def, config);
      }));

  routes.push_back(MakeRoute(base + "delete", Permission::kEditConfigs, n.plural,
                             "Deletes a " + n.noun + " and the connections using it (204)",
                             {{n.id_field, "string", true, ""}}, [env, kind, n](Call& call) {
                               std::string id = RequireString(call.body, n.id_field);
                               bool deleted = Unwrap(env.store().DeleteActor(kind, id, env.now()));
                               env.connection_lists.Invalidate();  // its connections are deleted too
                               if (!deleted) ThrowNotFound(n.noun, id, n.id_field);
                               Log(LogLevel::kInfo, "api: deleted {} {}", n.noun, id);
                               call.response.status = 204;
                               return Json();
                             }));

  routes.push_back(MakeRoute(
      base + "check_connection", Permission::kEditConfigs, n.plural,
      "Runs the connector's check: with " + n.id_field +
          " on the stored config (merged with a given "
          "connectionConfiguration), else on " +
          n.def_field + " + connectionConfiguration",
      {{n.id_field, "string", false, "an existing " + n.noun},
       {n.def_field, "string", false, "with connectionConfiguration, for a config not saved yet"},
       {"connectionConfiguration", "object", false, ""}},
      [env, kind, n, find_def](Call& call) {
        const std::string config_type = "check_connection_" + n.noun;
        const Json* given = OptionalObject(call.body, "connectionConfiguration");
        if (auto id = OptionalString(call.body, n.id_field)) {
          Actor actor = LoadActor(env, kind, *id, n.id_field);
          const ConnectorDefinition& def = DefinitionOf(env, actor);
          Json config = DecryptedConfig(env, actor);
          if (given != nullptr) {
            const Json update = WithManifest(def, *given);
            config = Unwrap(MergeSecrets(SchemaOf(def, update), config, update), "connectionConfiguration");
          }
          return RunCheck(def, config, config_type, CheckedActor{&env, kind, actor.id});
        }
        if (given == nullptr) {
          ThrowApiError(422, fmt::format("{} or {} with connectionConfiguration is required", n.id_field, n.def_field),
                        {{n.id_field, "is required"}});
        }
        const ConnectorDefinition& def = find_def(call.body);
        return RunCheck(def, WithManifest(def, *given), config_type);
      }));

  if (kind == ActorKind::kSource) {
    routes.push_back(MakeRoute(
        base + "discover_schema", Permission::kEditConfigs, n.plural,
        "Runs the source's discover: {catalog} in syncCatalog form with Airbyte's default stream configuration; "
        "with connectionId also {catalogDiff, breakingChange, connectionStatus} against that connection's streams "
        "(recorded on it as its pending schema change; a breaking change disables it)",
        {{n.id_field, "string", true, ""},
         {"connectionId", "string", false, "a connection of this source: compare its streams with the discovery"},
         {"disable_cache", "boolean", false, "ignored: discover always runs"}},
        [env, kind, n](Call& call) {
          Actor actor = LoadActor(env, kind, RequireString(call.body, n.id_field), n.id_field);
          std::optional<Connection> connection;
          if (auto connection_id = OptionalString(call.body, "connectionId")) {
            connection = Unwrap(env.store().GetConnection(*connection_id));
            if (!connection) ThrowNotFound("connection", *connection_id, "connectionId");
            if (connection->source_id != actor.id) {
              ThrowApiError(422, fmt::format("connectionId: connection {} reads another source", *connection_id),
                            {{"connectionId", "reads another source"}});
            }
          }
          auto start = env.now();
          auto catalog = DiscoverStoredSource(env, actor);
          Json job_info = {{"configType", "discover_schema"},
                           {"createdAt", start / 1000},
                           {"endedAt", env.now() / 1000},
                           {"succeeded", catalog.ok()}};
          if (!catalog.ok()) {
            job_info["failureReason"] = {{"failureType", FailureTypeName(catalog.status().failure_type())},
                                         {"externalMessage", catalog.status().message()}};
            return Json{{"jobInfo", job_info}, {"message", catalog.status().message()}};
          }
          Json out = {{"catalog", SyncCatalogFromDiscovered(*catalog, nullptr)}, {"jobInfo", job_info}};
          if (connection) {
            CatalogDiff diff = RecordDiscoveredSchema(env, *connection, *catalog);
            out["catalogDiff"] = diff.ToJson();
            out["breakingChange"] = diff.breaking();
            out["connectionStatus"] = ConnectionStatusName(connection->status);
          }
          return out;
        }));
  }
}

}  // namespace

Result<Catalog> DiscoverSource(const ConnectorDefinition& def, const Json& config, Json* config_changes) {
  const Json schema = SchemaOf(def, config);
  if (config_changes != nullptr) *config_changes = Json::object();
  try {
    auto prepared = PrepareConfig(schema, config, "connectionConfiguration");
    if (!prepared.ok()) return prepared.status();
    SLUICE_ASSIGN_OR_RETURN(auto connector, ResolveConnector(ConnectorKind::kSource, def.name, {}));
    auto catalog = connector.source->Discover(*prepared);
    if (auto updated = TakeConfigUpdate(*connector.source); updated && config_changes != nullptr) {
      *config_changes = ConfigChanges(*prepared, *updated);
    }
    if (!catalog.ok()) {
      const Status& s = catalog.status();
      std::string message = RedactSecrets(schema, config, s.message());
      return Status(s.failure_type() == FailureType::kConfig      ? Status::ConfigError(message)
                    : s.failure_type() == FailureType::kTransient ? Status::TransientError(message)
                                                                  : Status::SystemError(message));
    }
    return catalog;
  } catch (const std::exception& e) {
    return Status::SystemError(std::string("connector discover threw: ") + e.what());
  }
}

Result<Catalog> DiscoverStoredSource(const ApiEnv& env, const Actor& source) {
  Json changes;
  auto catalog = DiscoverSource(DefinitionOf(env, source), DecryptActorConfig(env, source), &changes);
  SaveActorConfigChanges(env, ActorKind::kSource, source.id, changes);
  return catalog;
}

bool SaveActorConfigChanges(const ApiEnv& env, ActorKind kind, const std::string& actor_id, const Json& changes) {
  if (!changes.is_object() || changes.empty()) return false;
  auto actor = env.store().GetActor(kind, actor_id);
  if (!actor.ok() || !actor->has_value()) return false;
  Actor a = **actor;
  // DecryptActorConfig injects a custom definition's manifest: stored without it, as on create.
  a.configuration = EncryptConfig(*env.context.secrets,
                                  WithoutManifest(DefinitionOf(env, a), ApplyConfigChanges(DecryptActorConfig(env, a), changes)));
  auto updated = env.store().UpdateActor(a, env.now());
  if (!updated.ok() || !updated->has_value()) return false;
  Log(LogLevel::kInfo, "api: {} {} updated its own config ({}): saved", kind == ActorKind::kSource ? "source" : "destination",
      actor_id, fmt::format("{}", fmt::join(ConfigChangePaths(changes), ", ")));
  return true;
}

void AddActorRoutes(std::vector<Route>& routes, ApiEnv& env) {
  AddActorKindRoutes(routes, env, ActorKind::kSource);
  AddActorKindRoutes(routes, env, ActorKind::kDestination);
}

}  // namespace sluice
