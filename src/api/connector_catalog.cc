#include "api/connector_catalog.h"

#include <fmt/format.h>

#include "connectors/sdk/airbyte_definitions.h"
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
    d.legacy_id = DefinitionIdFor(info.name);
    const AirbyteDefinition* airbyte = AirbyteIdentityOf(info.name);
    d.id = airbyte ? std::string(airbyte->definition_id) : d.legacy_id;
    d.docker_repository = airbyte ? std::string(airbyte->docker_repository) : "sluice/" + info.name;
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
    if (d.id == id_or_name || d.legacy_id == id_or_name || d.name == id_or_name || d.name == prefix + id_or_name ||
        d.docker_repository == DockerRepositoryOf(id_or_name)) {
      return &d;
    }
  }
  // Another Airbyte connector a built-in stands in for, or an id in another case.
  if (const AirbyteDefinition* airbyte = FindAirbyteDefinition(id_or_name, kind)) {
    for (std::string_view name : airbyte->sluice_names) {
      for (const auto& d : definitions_) {
        if (d.kind == kind && d.name == name) return &d;
      }
    }
  }
  return nullptr;
}

std::string ConnectorCatalog::NotFoundMessage(ConnectorKind kind, const std::string& id_or_name) const {
  const std::string noun = kind == ConnectorKind::kSource ? "source" : "destination";
  if (const AirbyteDefinition* airbyte = FindAirbyteDefinition(id_or_name, kind)) {
    return fmt::format("{} definition {} is Airbyte's {}, which this sluice has no built-in for", noun, id_or_name,
                       airbyte->docker_repository);
  }
  return fmt::format("{} definition {} not found", noun, id_or_name);
}

Json DefinitionToApi(const ConnectorDefinition& d) {
  const bool source = d.kind == ConnectorKind::kSource;
  Json out;
  out[source ? "sourceDefinitionId" : "destinationDefinitionId"] = d.id;
  out["name"] = d.title;
  out["connectorName"] = d.name;
  out["dockerRepository"] = d.docker_repository;
  out["dockerImageTag"] = "builtin";
  out["documentationUrl"] = d.spec.documentation_url;
  out["description"] = d.description;
  out["releaseStage"] = "generally_available";
  if (source) out["sourceType"] = "api";
  out["custom"] = d.custom();
  if (d.custom()) {
    out["dockerImageTag"] = "declarative";
    out["declarativeManifestVersion"] = d.manifest_version;
  }
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
