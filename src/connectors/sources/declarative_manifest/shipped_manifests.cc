#include "connectors/sources/declarative_manifest/shipped_manifests.h"

#include <fmt/format.h>

#include "connectors/sdk/registry.h"
#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"
#include "connectors/sources/declarative_manifest/manifest_backed_source.h"
#include "formats/yaml/yaml_json.h"

namespace sluice {

Result<Json> ShippedManifest(std::string_view name) {
  std::vector<std::string> names;
  for (const ShippedManifestText& m : ShippedManifestTexts()) {
    if (m.name == name) return YamlToJson(m.yaml, fmt::format("manifests/{}.yaml (shipped)", name));
    names.emplace_back(m.name);
  }
  return Status::ConfigError(fmt::format("no shipped manifest '{}'; shipped: {}", name, fmt::join(names, ", ")));
}

namespace {

//! source-<name>: source-declarative-manifest with a shipped manifest. Its config holds only the
//! manifest's values; the manifest is injected before every call.
std::unique_ptr<Source> MakeShipped(const char* name) {
  const std::string n = name;
  auto manifest = ShippedManifest(n);
  auto spec = manifest.ok() ? DeclarativeManifestSpec(*manifest) : Result<ConnectorSpec>(manifest.status());
  return std::make_unique<ManifestBackedSource>(spec.ok() ? *spec : MakeDeclarativeManifestSource()->Spec(),
                                                [n](const Json& config) -> Result<Json> {
                                                  SLUICE_ASSIGN_OR_RETURN(Json manifest, ShippedManifest(n));
                                                  Json c = config.is_object() ? config : Json::object();
                                                  c[kInjectedManifestKey] = std::move(manifest);
                                                  return c;
                                                });
}

}  // namespace

SLUICE_REGISTER_SOURCE("source-stripe", "Stripe",
                       "customers, charges, invoices, subscriptions; incremental by created (a manifest shipped with sluice)",
                       [] { return MakeShipped("stripe"); });
SLUICE_REGISTER_SOURCE("source-salesforce", "Salesforce",
                       "every queryable object (sobjects, fields and types from describe) through SOQL; OAuth refresh "
                       "token; incremental by SystemModstamp where the object has it (a manifest shipped with sluice)",
                       [] { return MakeShipped("salesforce"); });

}  // namespace sluice
