// operations (create, get, list, update, delete, check_operation) — Airbyte's Config API for the
// steps run after a connection's syncs (operations/operations.h has what each one does).

#include <fmt/format.h>

#include "api/api_env.h"
#include "base/log.h"
#include "operations/operations.h"

namespace sluice {

namespace {

Json OperationToApi(const Operation& o) {
  return {{"operationId", o.operation_id},
          {"workspaceId", o.workspace_id},
          {"name", o.name},
          {"operatorConfiguration", MaskOperatorSecrets(o.operator_configuration)}};
}

// The body's operatorConfiguration, read and checked (422 naming the field); a masked secret
// ("**********", as answers show them) keeps the value of `stored`. A command operation runs a
// program on the server's machine: saving one needs manage_settings (an admin), not only the
// route's edit_configs (403).
Json RequireOperatorConfiguration(const Call& call, const Json& stored = Json::object()) {
  const Json& body = call.body;
  auto merged = MergeOperatorSecrets(stored, RequireObject(body, "operatorConfiguration"));
  if (!merged.ok()) {
    const std::string& m = merged.status().message();
    ThrowApiError(422, m, DetailsFromMessage(m, "", "operatorConfiguration"));
  }
  const Json& config = *merged;
  auto parsed = ParseOperatorConfiguration(config);
  if (!parsed.ok()) {
    const std::string& m = parsed.status().message();
    ThrowApiError(422, m, DetailsFromMessage(m, "", "operatorConfiguration"));
  }
  if (parsed->type == OperatorType::kCommand && !Allowed(call.principal.role, Permission::kManageSettings)) {
    ThrowApiError(403,
                  fmt::format("a command operation runs a program on the server: your role ({}) lacks manage_settings",
                              RoleName(call.principal.role)),
                  {{"operatorConfiguration.operatorType", "command needs manage_settings"}});
  }
  return config;
}

Operation LoadOperation(const ApiEnv& env, const Json& body) {
  const std::string id = RequireString(body, "operationId");
  auto o = Unwrap(env.store().GetOperation(id));
  if (!o) ThrowNotFound("operation", id, "operationId");
  return *o;
}

}  // namespace

void AddOperationRoutes(std::vector<Route>& routes, ApiEnv& env) {
  const std::string base = "/api/v1/operations/";
  const FieldDoc operator_doc = {
      "operatorConfiguration", "object", true,
      "{operatorType: normalization | dbt | webhook | sql | command, normalization: {option: basic}, "
      "dbt: {gitRepoUrl, gitRepoBranch, dbtArguments}, webhook: {executionUrl, executionBody}; sluice extensions: "
      "operatorSql: {sql, database?, schema?} (one transaction on the destination-postgres database), "
      "operatorCommand: {command: [argv], workingDirectory?, environment?: {NAME: value}, secretEnvironment?: "
      "{NAME: value} (answered as **********; send it back to keep it), timeoutSeconds?} (no shell; the "
      "destination's PG* variables)}"};

  routes.push_back(MakeRoute(
      base + "check", Permission::kEditConfigs, "operations",
      "Checks an OperatorConfiguration (the body itself, as Airbyte's, or under operatorConfiguration): "
      "{status: succeeded | failed, message}",
      {{"operatorType", "string", false, "normalization | dbt | webhook | sql | command (sql, command: sluice extensions)"},
       {"operatorConfiguration", "object", false, "the configuration, when not given as the body"}},
      [](Call& call) {
        const Json& config =
            call.body.contains("operatorType") ? call.body : RequireObject(call.body, "operatorConfiguration");
        auto parsed = ParseOperatorConfiguration(config);
        Status st = parsed.ok() ? CheckOperator(*parsed) : parsed.status();
        return Json{{"status", st.ok() ? "succeeded" : "failed"}, {"message", st.ok() ? "" : st.message()}};
      }));
  routes.back().workspace = WorkspaceUse::kNone;  // checks a configuration: no workspace

  routes.push_back(MakeRoute(
      base + "create", Permission::kEditConfigs, "operations", "Creates an operation (run after syncs of the "
      "connections that list it in operationIds)",
      {{"workspaceId", "string", false, "default: the first workspace"}, {"name", "string", true, ""}, operator_doc},
      [env](Call& call) {
        Operation o;
        o.workspace_id = WorkspaceIdOf(env, call.body);
        o.name = RequireString(call.body, "name");
        if (o.name.empty()) ThrowApiError(422, "name: must not be empty", {{"name", "must not be empty"}});
        o.operator_configuration = RequireOperatorConfiguration(call);
        Operation created = Unwrap(env.store().CreateOperation(std::move(o), env.now()));
        Log(LogLevel::kInfo, "api: created operation {} ({})", created.operation_id,
            created.operator_configuration.value("operatorType", ""));
        return OperationToApi(created);
      }));

  routes.push_back(MakeRoute(base + "get", Permission::kReadConfigs, "operations", "One operation",
                             {{"operationId", "string", true, ""}},
                             [env](Call& call) { return OperationToApi(LoadOperation(env, call.body)); }));

  routes.push_back(MakeRoute(
      base + "list", Permission::kReadConfigs, "operations",
      "The operations of a connection, in the order they run (or, with workspaceId, of a workspace)",
      {{"connectionId", "string", false, ""}, {"workspaceId", "string", false, "when no connectionId"}},
      [env](Call& call) {
        Json list = Json::array();
        if (auto connection_id = OptionalString(call.body, "connectionId")) {
          auto c = Unwrap(env.store().GetConnection(*connection_id));
          if (!c) ThrowNotFound("connection", *connection_id, "connectionId");
          for (const std::string& id : c->operation_ids) {
            if (auto o = Unwrap(env.store().GetOperation(id))) list.push_back(OperationToApi(*o));
          }
        } else {
          for (const Operation& o : Unwrap(env.store().ListOperations(WorkspaceIdOf(env, call.body)))) {
            list.push_back(OperationToApi(o));
          }
        }
        return Json{{"operations", std::move(list)}};
      }));

  routes.push_back(MakeRoute(
      base + "update", Permission::kEditConfigs, "operations", "Changes an operation's name and operatorConfiguration",
      {{"operationId", "string", true, ""}, {"name", "string", false, ""}, operator_doc}, [env](Call& call) {
        Operation o = LoadOperation(env, call.body);
        if (auto name = OptionalString(call.body, "name")) {
          if (name->empty()) ThrowApiError(422, "name: must not be empty", {{"name", "must not be empty"}});
          o.name = *name;
        }
        o.operator_configuration = RequireOperatorConfiguration(call, o.operator_configuration);
        auto updated = Unwrap(env.store().UpdateOperation(o, env.now()));
        if (!updated) ThrowNotFound("operation", o.operation_id, "operationId");
        return OperationToApi(*updated);
      }));

  routes.push_back(MakeRoute(base + "delete", Permission::kEditConfigs, "operations",
                             "Deletes an operation and takes it out of every connection's operationIds",
                             {{"operationId", "string", true, ""}}, [env](Call& call) {
                               const std::string id = RequireString(call.body, "operationId");
                               if (!Unwrap(env.store().DeleteOperation(id, env.now()))) {
                                 ThrowNotFound("operation", id, "operationId");
                               }
                               env.connection_lists.Invalidate();
                               call.response.status = 204;
                               return Json();
                             }));
}

}  // namespace sluice
