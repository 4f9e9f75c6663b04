#include "api/connector_catalog.h"

#include "security/token.h"

namespace sluice {

std::string DefinitionIdFor(const std::string& name) {
  std::string hex = TokenHash("sluice-connector:" + name).substr(0, 32);
  hex[12] = '5';                                                          // version
  hex[16] = "89ab"[std::stoi(std::string(1, hex[16]), nullptr, 16) & 3];  // variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

ConnectorCatalog::ConnectorCatalog(const Registry& registry) {
  for (const auto& info : registry.connectors()) {
    ConnectorDefinition d;
    d.id = DefinitionIdFor(info.name);
    d.name = info.name;
    d.kind = info.kind;
    d.title = info.title;
    d.description = info.description;
    if (info.kind == ConnectorKind::kSource && info.make_source) {
      d.spec = info.make_source()->Spec();
    } else if (info.kind == ConnectorKind::kDestination && info.make_destination) {
      d.spec = info.make_destination()->Spec();
    } else {
      continue;
    }
    definitions_.push_back(std::move(d));
  }
}

const ConnectorDefinition* ConnectorCatalog::Find(ConnectorKind kind, const std::string& id_or_name) const {
  const std::string prefix = kind == ConnectorKind::kSource ? "source-" : "destination-";
  for (const auto& d : definitions_) {
    if (d.kind != kind) continue;
    if (d.id == id_or_name || d.name == id_or_name || d.name == prefix + id_or_name) return &d;
  }
  return nullptr;
}

Json DefinitionToApi(const ConnectorDefinition& d) {
  const bool source = d.kind == ConnectorKind::kSource;
  Json out;
  out[source ? "sourceDefinitionId" : "destinationDefinitionId"] = d.id;
  out["name"] = d.title;
  out["connectorName"] = d.name;
  out["dockerRepository"] = "sluice/" + d.name;
  out["dockerImageTag"] = "builtin";
  out["documentationUrl"] = d.spec.documentation_url;
  out["description"] = d.description;
  out["releaseStage"] = "generally_available";
  if (source) out["sourceType"] = "api";
  return out;
}

Json SpecificationToApi(const ConnectorDefinition& d) {
  const bool source = d.kind == ConnectorKind::kSource;
  Json out;
  out[source ? "sourceDefinitionId" : "destinationDefinitionId"] = d.id;
  out["documentationUrl"] = d.spec.documentation_url;
  out["connectionSpecification"] = d.spec.connection_specification;
  if (source) {
    out["supportsIncremental"] = d.spec.supports_incremental;
  } else {
    Json modes = Json::array();
    Json spec_json = d.spec.ToJson();
    if (spec_json.contains("supported_destination_sync_modes")) modes = spec_json["supported_destination_sync_modes"];
    out["supportedDestinationSyncModes"] = modes;
  }
  out["jobInfo"] = {{"succeeded", true}};
  return out;
}

}  // namespace sluice
