#pragma once
// The built-in connectors as the API's source/destination definitions: a stable id per
// connector (UUID-shaped, derived from its name, so it never changes between runs or machines)
// and its spec, read once at startup (Spec() is pure).

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "connectors/sdk/registry.h"
#include "connectors/sdk/spec.h"

namespace sluice {

struct ConnectorDefinition {
  std::string id;    //!< UUID-shaped, from the name (see DefinitionIdFor)
  std::string name;  //!< "source-faker"
  ConnectorKind kind = ConnectorKind::kSource;
  std::string title;
  std::string description;
  ConnectorSpec spec;
};

//! A version-5-style UUID from the SHA-256 of "sluice-connector:" + name (deterministic).
std::string DefinitionIdFor(const std::string& name);

class ConnectorCatalog {
 public:
  //! Every built-in of `registry` (specs read now).
  explicit ConnectorCatalog(const Registry& registry);

  const std::vector<ConnectorDefinition>& definitions() const { return definitions_; }
  //! By id or by name ("source-faker", or "faker" when `kind` narrows it). nullptr when unknown.
  const ConnectorDefinition* Find(ConnectorKind kind, const std::string& id_or_name) const;

 private:
  std::vector<ConnectorDefinition> definitions_;
};

//! source_definitions/get's answer (or destination_definitions/get's).
Json DefinitionToApi(const ConnectorDefinition& definition);
//! source_definition_specifications/get's answer (or destination's).
Json SpecificationToApi(const ConnectorDefinition& definition);

}  // namespace sluice
