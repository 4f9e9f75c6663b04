#pragma once
// Custom source definitions (Airbyte's custom connectors from a declarative manifest, stored by
// MetadataStore::*CustomSourceDefinition) as ConnectorDefinitions the routes use like built-ins:
// name = source-declarative-manifest (the connector that runs them), id = the definition's id,
// injected_manifest = its active manifest. Sources of one store definition_name
// kCustomDefinitionPrefix + id and a config without the manifest; the API (DecryptActorConfig)
// and the worker (attempt_supervisor.cc) inject it under __injected_declarative_manifest.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/connector_catalog.h"
#include "metadata/metadata_types.h"

namespace sluice {

//! The interned definitions, thread-safe. A definition stays alive for the Api's lifetime (a
//! handler may hold a reference while another request updates the manifest: that interns a new
//! object under a new key).
class CustomDefinitions {
 public:
  const ConnectorDefinition& Intern(const CustomSourceDefinition& stored, const ConnectorDefinition& runner);

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ConnectorDefinition>> by_key_;  // "id@updated_at"
};

//! `config` with the definition's manifest injected (unchanged for built-ins).
Json WithManifest(const ConnectorDefinition& definition, Json config);
//! `config` without the injected manifest (what is stored and answered for custom definitions).
Json WithoutManifest(const ConnectorDefinition& definition, Json config);
//! What an actor of `definition` stores as definition_name.
std::string ActorDefinitionName(const ConnectorDefinition& definition);

}  // namespace sluice
