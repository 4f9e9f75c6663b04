#pragma once
// The built-in connectors as the API's source/destination definitions: a stable id per
// connector — Airbyte's definitionId of the connector it replaces (connectors/sdk/
// airbyte_definitions.h), else one derived from its name — and its spec, read once at startup
// (Spec() is pure). The name-derived ids sluice answered before keep resolving for every
// connector, so scripts that saved them still work.

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "connectors/sdk/registry.h"
#include "connectors/sdk/spec.h"

namespace sluice {

struct ConnectorDefinition {
  std::string id;                 //!< Airbyte's definitionId, or DefinitionIdFor(name) without one
  std::string legacy_id;          //!< DefinitionIdFor(name): the id before Airbyte's (still accepted)
  std::string docker_repository;  //!< "airbyte/source-faker", or "sluice/<name>" without an Airbyte twin
  std::string name;               //!< "source-faker"
  ConnectorKind kind = ConnectorKind::kSource;
  std::string title;
  std::string description;
  ConnectorSpec spec;
  //! A custom source definition (a declarative manifest, api/custom_definitions.h): the manifest
  //! injected into its sources' configs (name is then source-declarative-manifest, the runner).
  //! Null for built-ins.
  Json injected_manifest;
  int64_t manifest_version = 0;
  bool custom() const { return !injected_manifest.is_null(); }
};

//! A version-5-style UUID from the SHA-256 of "sluice-connector:" + name (deterministic).
std::string DefinitionIdFor(const std::string& name);

class ConnectorCatalog {
 public:
  //! Every built-in of `registry` (specs read now).
  explicit ConnectorCatalog(const Registry& registry);

  const std::vector<ConnectorDefinition>& definitions() const { return definitions_; }
  //! By id (Airbyte's or the legacy one), by name ("source-faker", or "faker"), or by Airbyte's
  //! docker repository ("airbyte/source-faker", a tag allowed). nullptr when unknown.
  const ConnectorDefinition* Find(ConnectorKind kind, const std::string& id_or_name) const;
  //! Why Find found nothing, for a 404: names an Airbyte connector that has no built-in.
  std::string NotFoundMessage(ConnectorKind kind, const std::string& id_or_name) const;

 private:
  std::vector<ConnectorDefinition> definitions_;
};

//! source_definitions/get's answer (or destination_definitions/get's).
Json DefinitionToApi(const ConnectorDefinition& definition);
//! source_definition_specifications/get's answer (or destination's).
Json SpecificationToApi(const ConnectorDefinition& definition);

}  // namespace sluice
