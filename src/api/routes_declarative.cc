// declarative_source_definitions/create_manifest: custom source connectors from a declarative
// (low-code) manifest — Airbyte's connector-builder import. Airbyte's body, plus (sluice) a new
// definition when sourceDefinitionId is absent (`name` required; Airbyte creates those through
// connector_builder_projects/publish, which sluice has not) and the manifest as YAML text.
// Sources of the definition run as source-declarative-manifest with the manifest injected
// (api/custom_definitions.h).

#include <fmt/format.h>

#include "api/api_env.h"
#include "base/log.h"
#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"
#include "connection/connector_runtime.h"
#include "formats/yaml/yaml_json.h"
#include "security/connector_secrets.h"

namespace sluice {

namespace {

constexpr const char* kManifestField = "declarativeManifest.manifest";

void Invalid(const std::string& field, const std::string& message) {
  ThrowApiError(422, fmt::format("{}: {}", field, message), {{field, message}});
}

// holder.manifest as JSON: an object, or YAML text (parsed; a syntax error names its line).
// Then checked without running it (an unsupported component names its path). Errors name
// `field` (declarativeManifest.manifest, or manifest for a test read).
Json ReadManifest(const Json& holder, const std::string& field = kManifestField) {
  const Json* m = FindField(holder, "manifest");
  if (m == nullptr) Invalid(field, "is required: the manifest (an object, or its YAML text)");
  Json manifest;
  if (m->is_string()) {
    auto parsed = YamlToJson(m->get<std::string>(), "manifest.yaml");
    if (!parsed.ok()) Invalid(field, "invalid YAML: " + parsed.status().message());
    manifest = std::move(parsed).value();
  } else {
    manifest = *m;
  }
  if (!manifest.is_object()) Invalid(field, "must be a mapping (a declarative manifest with streams and spec)");
  // Airbyte sends the spec beside the manifest (declarativeManifest.spec.connectionSpecification).
  if (const Json* spec = OptionalObject(holder, "spec")) {
    const Json cs = spec->value("connectionSpecification", spec->value("connection_specification", Json()));
    if (cs.is_object() && !manifest.value("spec", Json::object()).contains("connection_specification")) {
      manifest["spec"] = {{"type", "Spec"}, {"connection_specification", cs}};
    }
  }
  Status valid = ValidateDeclarativeManifest(manifest);
  if (!valid.ok()) Invalid(field, valid.message());
  return manifest;
}

// A limit field: default, 1..max (422 naming it otherwise).
int64_t Limit(const Json& body, const char* field, int64_t fallback, int64_t max) {
  const auto v = OptionalInt(body, field);
  if (!v) return fallback;
  if (*v < 1 || *v > max) Invalid(field, fmt::format("must be from 1 to {}", max));
  return *v;
}

}  // namespace

void AddDeclarativeRoutes(std::vector<Route>& routes, ApiEnv& env) {
  routes.push_back(MakeRoute(
      "/api/v1/declarative_source_definitions/create_manifest", Permission::kEditConfigs,
      "declarative_source_definitions",
      "Creates a custom source connector from a declarative manifest (sluice: without sourceDefinitionId, with "
      "name), or makes a new manifest version the active one of an existing custom definition. Answers the source "
      "definition (custom: true). Invalid YAML or an unsupported component is a 422 naming the manifest's path",
      {{"workspaceId", "string", false, "default: the first workspace"},
       {"sourceDefinitionId", "string", false, "an existing custom definition; absent: a new one is created"},
       {"name", "string", false, "sluice: the new definition's name (required without sourceDefinitionId)"},
       {"declarativeManifest", "object", true,
        "{manifest: object or YAML text, spec?: {connectionSpecification}, version?: integer, description?}"},
       {"setAsActiveManifest", "boolean", false, "must be true or absent: sluice keeps the active manifest only"}},
      [env](Call& call) {
        const Json& declarative = RequireObject(call.body, "declarativeManifest");
        if (OptionalBool(call.body, "setAsActiveManifest") == false) {
          Invalid("setAsActiveManifest", "false is not supported: sluice keeps only the active manifest");
        }
        Json manifest = ReadManifest(declarative);
        const auto version = OptionalInt(declarative, "version");
        const std::string description = OptionalString(declarative, "description").value_or("");
        CustomSourceDefinition d;
        if (auto id = OptionalString(call.body, "sourceDefinitionId")) {
          auto stored = Unwrap(env.store().GetCustomSourceDefinition(*id));
          if (!stored) {
            if (env.connectors.Find(ConnectorKind::kSource, *id) != nullptr) {
              Invalid("sourceDefinitionId", fmt::format("{} is a built-in connector, not a custom declarative one", *id));
            }
            ThrowNotFound("source definition", *id, "sourceDefinitionId");
          }
          d = *stored;
          if (version && *version <= d.version) {
            Invalid("declarativeManifest.version", fmt::format("must be greater than the active version {}", d.version));
          }
          d.version = version.value_or(d.version + 1);
          if (auto name = OptionalString(call.body, "name"); name && !name->empty()) d.name = *name;
          d.manifest = std::move(manifest);
          d.description = description;
          auto updated = Unwrap(env.store().UpdateCustomSourceDefinition(d, env.now()));
          if (!updated) ThrowNotFound("source definition", *id, "sourceDefinitionId");
          d = *updated;
        } else {
          d.workspace_id = WorkspaceIdOf(env, call.body);
          d.name = OptionalString(call.body, "name").value_or("");
          if (d.name.empty()) Invalid("name", "is required for a new custom connector");
          d.version = version.value_or(1);
          d.manifest = std::move(manifest);
          d.description = description;
          d = Unwrap(env.store().CreateCustomSourceDefinition(std::move(d), env.now()));
        }
        Log(LogLevel::kInfo, "api: custom source definition {} '{}' at manifest version {}", d.definition_id, d.name,
            d.version);
        const ConnectorDefinition* def = FindCustomDefinition(env, d.definition_id);
        if (def == nullptr) ThrowApiError(500, "the custom definition just stored cannot be read back");
        return DefinitionToApi(*def);
      }));

  routes.push_back(MakeRoute(
      "/api/v1/connector_builder/stream/read", Permission::kEditConfigs, "declarative_source_definitions",
      "sluice: the connector builder's \"test a stream\" (Airbyte's builder server POST /v1/stream/read): a bounded "
      "read of one stream of a manifest answering {logs, slices[{slice_descriptor, state, pages[{request, response, "
      "records}]}], test_read_limit_reached, inferred_schema}; credentials and the config's secrets redacted",
      {{"stream", "string", true, "the stream's name"},
       {"sourceId", "string", false, "a saved declarative source (built-in source-declarative-manifest or custom)"},
       {"sourceDefinitionId", "string", false, "a custom definition, with config"},
       {"manifest", "object", false, "a manifest (object or YAML text), with config"},
       {"config", "object", false, "the manifest's config values (with sourceDefinitionId or manifest)"},
       {"record_limit", "integer", false, "1..1000, default 100"},
       {"page_limit", "integer", false, "1..25, default 5"},
       {"slice_limit", "integer", false, "1..20, default 5"}},
      [env](Call& call) {
        const std::string stream = RequireString(call.body, "stream");
        const TestReadLimits limits{Limit(call.body, "record_limit", 100, 1000), Limit(call.body, "page_limit", 5, 25),
                                    Limit(call.body, "slice_limit", 5, 20)};
        Json config;
        if (auto source_id = OptionalString(call.body, "sourceId")) {
          Actor actor = LoadActor(env, ActorKind::kSource, *source_id, "sourceId");
          if (DefinitionOf(env, actor).name != "source-declarative-manifest") {
            Invalid("sourceId", "is not a declarative-manifest source");
          }
          config = DecryptActorConfig(env, actor);
        } else {
          config = RequireObject(call.body, "config");
          if (auto id = OptionalString(call.body, "sourceDefinitionId")) {
            const ConnectorDefinition* def = FindCustomDefinition(env, *id);
            if (def == nullptr) ThrowNotFound("custom source definition", *id, "sourceDefinitionId");
            config = WithManifest(*def, config);
          } else {
            if (FindField(call.body, "manifest") == nullptr) {
              Invalid("sourceId", "sourceId, sourceDefinitionId with config, or manifest with config is required");
            }
            config[kInjectedManifestKey] = ReadManifest(call.body, "manifest");
          }
        }
        const Json schema = ConfigSchemaFor(ConnectorKind::kSource, "source-declarative-manifest", Json::object(), config);
        auto answer = TestReadManifestStream(config, stream, limits);
        if (!answer.ok()) {
          const std::string m = RedactSecrets(schema, config, answer.status().message());
          ThrowApiError(422, m, DetailsFromMessage(m, "", "config"));
        }
        // The config's secret values, wherever they appear (URLs, bodies, messages).
        Json redacted = Json::parse(RedactSecrets(schema, config, DumpJson(*answer)), nullptr, false);
        if (redacted.is_discarded()) ThrowApiError(500, "the test read's answer could not be redacted");
        return redacted;
      }));
}

}  // namespace sluice
