#include "api/custom_definitions.h"

#include <fmt/format.h>

#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"

namespace sluice {

const ConnectorDefinition& CustomDefinitions::Intern(const CustomSourceDefinition& stored,
                                                     const ConnectorDefinition& runner) {
  const std::string key = fmt::format("{}@{}", stored.definition_id, stored.updated_at);
  std::lock_guard lock(mu_);
  auto& slot = by_key_[key];
  if (!slot) {
    auto d = std::make_unique<ConnectorDefinition>(runner);
    d->id = stored.definition_id;
    d->legacy_id = stored.definition_id;
    d->title = stored.name;
    d->description = stored.description.empty() ? "Custom connector from a declarative manifest" : stored.description;
    d->injected_manifest = stored.manifest;
    d->manifest_version = stored.version;
    auto spec = DeclarativeManifestSpec(stored.manifest);
    if (spec.ok()) d->spec = std::move(spec).value();
    slot = std::move(d);
  }
  return *slot;
}

Json WithManifest(const ConnectorDefinition& definition, Json config) {
  if (definition.custom() && config.is_object()) config[kInjectedManifestKey] = definition.injected_manifest;
  return config;
}

Json WithoutManifest(const ConnectorDefinition& definition, Json config) {
  if (definition.custom() && config.is_object()) config.erase(kInjectedManifestKey);
  return config;
}

std::string ActorDefinitionName(const ConnectorDefinition& definition) {
  return definition.custom() ? std::string(kCustomDefinitionPrefix) + definition.id : definition.name;
}

}  // namespace sluice
