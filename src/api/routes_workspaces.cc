// health, metrics, the OpenAPI document, workspaces, connector definitions and specifications.

#include <fmt/format.h>

#include "api/api_env.h"
#include "protocol/config_validator.h"
#include "security/connector_secrets.h"

namespace sluice {

namespace {

// A Slack webhook URL carries a token: answers show its scheme and host only.
std::string MaskWebhookUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t host_end = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
  if (host_end == std::string::npos) return std::string(kSecretMask);
  return url.substr(0, host_end) + "/" + std::string(kSecretMask);
}

// The stored webhook URL is encrypted (SecretBox text form); answers show it masked.
Json NotificationSettingsToApi(const SecretBox& box, const Json& settings) {
  Json out = settings.is_object() ? settings : Json::parse(kDefaultNotificationSettingsJson);
  // Schema-change notifications (Airbyte's connection updates), on unless turned off.
  for (const char* key : {"sendOnConnectionUpdate", "sendOnConnectionUpdateActionRequired"}) {
    if (!out.contains(key)) out[key] = true;
  }
  if (out.contains("slackWebhookUrl") && out["slackWebhookUrl"].is_string()) {
    auto url = DecryptWebhookUrl(box, out["slackWebhookUrl"].get<std::string>());
    out["slackWebhookUrl"] = url.ok() ? MaskWebhookUrl(*url) : std::string(kSecretMask);
  }
  return out;
}

Json WorkspaceToApi(const SecretBox& box, const Workspace& w) {
  return {{"workspaceId", w.workspace_id},
          {"customerId", w.workspace_id},
          {"name", w.name},
          {"slug", w.name},
          {"email", w.email ? Json(*w.email) : Json()},
          {"initialSetupComplete", w.initial_setup_complete},
          {"anonymousDataCollection", w.anonymous_data_collection},
          {"news", w.news},
          {"securityUpdates", w.security_updates},
          {"notificationSettings", NotificationSettingsToApi(box, w.notification_settings)},
          {"createdAt", w.created_at / 1000}};
}

// Checks notificationSettings of an update and merges it over the stored settings; a masked
// webhook URL keeps the stored one, a new one is stored encrypted.
Json MergeNotificationSettings(const SecretBox& box, const Json& stored, const Json& update) {
  Json out = stored.is_object() ? stored : Json::parse(kDefaultNotificationSettingsJson);
  std::vector<FieldProblem> problems;
  const std::string p = "notificationSettings.";
  for (const auto& [key, value] : update.items()) {
    if (key == "slackWebhookUrl") {
      if (value.is_null()) {
        out[key] = nullptr;
      } else if (!value.is_string()) {
        problems.push_back({p + key, "must be a string or null"});
      } else {
        std::string url = value.get<std::string>();
        if (url.find(kSecretMask) != std::string::npos) continue;  // unchanged
        if (url.empty()) {
          out[key] = nullptr;
        } else if (!url.starts_with("https://") && !url.starts_with("http://")) {
          problems.push_back({p + key, "must be an http:// or https:// URL"});
        } else {
          out[key] = box.Encrypt(url);
        }
      }
    } else if (key == "sendOnFailure" || key == "sendOnSuccess" || key == "sendOnConnectionDisabled" ||
               key == "sendOnConnectionUpdate" || key == "sendOnConnectionUpdateActionRequired") {
      if (!value.is_boolean()) {
        problems.push_back({p + key, "must be a boolean"});
      } else {
        out[key] = value;
      }
    } else if (key == "consecutiveFailureThreshold") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 1000) {
        problems.push_back({p + key, "must be an integer from 1 to 1000"});
      } else {
        out[key] = value;
      }
    } else {
      problems.push_back({p + key,
                          "unknown setting (known: slackWebhookUrl, sendOnFailure, sendOnSuccess, "
                          "sendOnConnectionDisabled, sendOnConnectionUpdate, sendOnConnectionUpdateActionRequired, "
                          "consecutiveFailureThreshold)"});
    }
  }
  if (!problems.empty()) ThrowApiError(422, "invalid notificationSettings", problems);
  return out;
}

Workspace LoadWorkspace(const ApiEnv& env, const Json& body) {
  std::string id = WorkspaceIdOf(env, body);
  auto ws = Unwrap(env.store().GetWorkspace(id));
  if (!ws) ThrowNotFound("workspace", id, "workspaceId");
  return *ws;
}

void AddDefinitionRoutes(std::vector<Route>& routes, ApiEnv& env, ConnectorKind kind) {
  const size_t first = routes.size();
  const bool source = kind == ConnectorKind::kSource;
  const std::string noun = source ? "source" : "destination";
  const std::string id_field = noun + "DefinitionId";
  auto find = [env, kind, id_field](const Json& body) -> const ConnectorDefinition& {
    return RequireDefinition(env, kind, body, id_field);
  };
  routes.push_back(MakeRoute("/api/v1/" + noun + "_definitions/list", Permission::kReadConfigs, noun + "_definitions",
                             "The built-in " + noun + " connectors" +
                                 (source ? ", then the custom ones (declarative manifests, custom: true)" : ""),
                             {{"workspaceId", "string", false, "ignored: every workspace sees every connector"}},
                             [env, kind, noun](Call&) {
                               Json list = Json::array();
                               for (const auto& d : env.connectors.definitions()) {
                                 if (d.kind == kind) list.push_back(DefinitionToApi(d));
                               }
                               if (kind == ConnectorKind::kSource) {
                                 for (const auto& c : Unwrap(env.store().ListCustomSourceDefinitions(""))) {
                                   if (const ConnectorDefinition* d = FindCustomDefinition(env, c.definition_id)) {
                                     list.push_back(DefinitionToApi(*d));
                                   }
                                 }
                               }
                               return Json{{noun + "Definitions", list}};
                             }));
  routes.push_back(MakeRoute("/api/v1/" + noun + "_definitions/get", Permission::kReadConfigs, noun + "_definitions",
                             "One " + noun + " connector by id or name (e.g. \"" + noun + "-faker\")",
                             {{id_field, "string", true, "the definition id, or the connector name"}},
                             [find](Call& call) { return DefinitionToApi(find(call.body)); }));
  routes.push_back(MakeRoute("/api/v1/" + noun + "_definition_specifications/get", Permission::kReadConfigs,
                             noun + "_definitions", "The connector's spec: connectionSpecification is its JSON Schema",
                             {{id_field, "string", true, "the definition id, or the connector name"},
                              {"workspaceId", "string", false, "ignored"}},
                             [find](Call& call) { return SpecificationToApi(find(call.body)); }));
  // Definitions are every workspace's (their workspaceId is ignored): no workspace check.
  for (size_t i = first; i < routes.size(); ++i) routes[i].workspace = WorkspaceUse::kNone;
}

}  // namespace

void AddSystemRoutes(std::vector<Route>& routes, ApiEnv& env) {
  Route health =
      MakeRoute("/api/v1/health", Permission::kReadStatus, "health", "Liveness: {available: true}", {}, [](Call&) {
        return Json{{"available", true}};
      });
  health.methods = {"GET", "POST"};
  health.access = Access::kPublic;
  routes.push_back(std::move(health));

  Route openapi = MakeRoute("/api/v1/openapi.json", Permission::kReadStatus, "health", "This OpenAPI document", {},
                            [env](Call& call) {
                              call.response.body = DumpJson(BuildOpenApiDocument(env.routes));
                              return Json();
                            });
  openapi.methods = {"GET"};
  openapi.access = Access::kPublic;
  routes.push_back(std::move(openapi));

  Route metrics = MakeRoute("/metrics", Permission::kReadStatus, "health", "Prometheus metrics (text format)", {},
                            [env](Call& call) {
                              if (env.context.metrics == nullptr) ThrowApiError(404, "metrics are not enabled");
                              PlatformMetrics& m = *env.context.metrics;
                              auto counts = env.store().CountJobsByStatus();
                              if (counts.ok()) {
                                auto get = [&](JobStatus s) {
                                  auto it = counts->find(s);
                                  return it == counts->end() ? 0.0 : static_cast<double>(it->second);
                                };
                                m.queue_depth.Get().Set(get(JobStatus::kPending) + get(JobStatus::kIncomplete));
                                m.running_jobs.Get().Set(get(JobStatus::kRunning));
                              }
                              call.response.content_type = std::string(MetricsRegistry::kContentType);
                              call.response.body = m.registry.Render();
                              return Json();
                            });
  metrics.methods = {"GET"};
  metrics.response_content_type = "text/plain";
  metrics.workspace = WorkspaceUse::kNone;  // figures of the whole server
  routes.push_back(std::move(metrics));
}

void AddWorkspaceRoutes(std::vector<Route>& routes, ApiEnv& env) {
  routes.push_back(
      MakeRoute("/api/v1/workspaces/list", Permission::kReadConfigs, "workspaces",
                "Every workspace the caller reaches", {}, [env](Call& call) {
                  Json list = Json::array();
                  for (const auto& w : Unwrap(env.store().ListWorkspaces())) {
                    if (!call.principal.Reaches(w.workspace_id)) continue;  // names none: filtered here
                    list.push_back(WorkspaceToApi(*env.context.secrets, w));
                  }
                  return Json{{"workspaces", list}};
                }));
  routes.push_back(MakeRoute(
      "/api/v1/workspaces/create", Permission::kManageSettings, "workspaces",
      "Creates a workspace (its sources, destinations and connections are its own); needs a user who reaches every "
      "workspace",
      {{"name", "string", true, ""},
       {"email", "string", false, ""},
       {"notificationSettings", "object", false, "as workspaces/update (default: the seed's, no webhook)"}},
      [env](Call& call) {
        Workspace w;
        w.name = RequireString(call.body, "name");
        if (w.name.empty()) ThrowApiError(422, "name: must not be empty", {{"name", "must not be empty"}});
        if (auto v = OptionalString(call.body, "email")) w.email = *v;
        if (const Json* n = OptionalObject(call.body, "notificationSettings")) {
          w.notification_settings = MergeNotificationSettings(*env.context.secrets, Json(), *n);
        }
        Workspace created = Unwrap(env.store().CreateWorkspace(std::move(w), env.now()));
        return WorkspaceToApi(*env.context.secrets, created);
      }));
  routes.back().workspace = WorkspaceUse::kAllWorkspaces;
  routes.push_back(MakeRoute("/api/v1/workspaces/get", Permission::kReadConfigs, "workspaces",
                             "One workspace (the default one without workspaceId)",
                             {{"workspaceId", "string", false, "default: the first workspace"}},
                             [env](Call& call) { return WorkspaceToApi(*env.context.secrets, LoadWorkspace(env, call.body)); }));
  routes.push_back(MakeRoute(
      "/api/v1/workspaces/update", Permission::kManageSettings, "workspaces",
      "Changes a workspace's settings, including notificationSettings (Slack webhook, events, threshold)",
      {{"workspaceId", "string", false, "default: the first workspace"},
       {"name", "string", false, ""},
       {"email", "string", false, ""},
       {"initialSetupComplete", "boolean", false, ""},
       {"anonymousDataCollection", "boolean", false, ""},
       {"news", "boolean", false, ""},
       {"securityUpdates", "boolean", false, ""},
       {"notificationSettings", "object", false,
        "slackWebhookUrl, sendOnFailure, sendOnSuccess, sendOnConnectionDisabled, sendOnConnectionUpdate, "
        "sendOnConnectionUpdateActionRequired, consecutiveFailureThreshold"}},
      [env](Call& call) {
        Workspace w = LoadWorkspace(env, call.body);
        if (auto v = OptionalString(call.body, "name")) {
          if (v->empty()) ThrowApiError(422, "name: must not be empty", {{"name", "must not be empty"}});
          w.name = *v;
        }
        if (auto v = OptionalString(call.body, "email")) w.email = *v;
        if (auto v = OptionalBool(call.body, "initialSetupComplete")) w.initial_setup_complete = *v;
        if (auto v = OptionalBool(call.body, "anonymousDataCollection")) w.anonymous_data_collection = *v;
        if (auto v = OptionalBool(call.body, "news")) w.news = *v;
        if (auto v = OptionalBool(call.body, "securityUpdates")) w.security_updates = *v;
        if (const Json* n = OptionalObject(call.body, "notificationSettings")) {
          w.notification_settings = MergeNotificationSettings(*env.context.secrets, w.notification_settings, *n);
        }
        auto updated = Unwrap(env.store().UpdateWorkspace(w, env.now()));
        if (!updated) ThrowNotFound("workspace", w.workspace_id, "workspaceId");
        return WorkspaceToApi(*env.context.secrets, *updated);
      }));
  AddDefinitionRoutes(routes, env, ConnectorKind::kSource);
  AddDefinitionRoutes(routes, env, ConnectorKind::kDestination);
}

}  // namespace sluice
