#include "connection/connector_runtime.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "connectors/external/docker_image.h"
#include "connectors/external/external_connector.h"
#include "protocol/config_validator.h"

namespace sluice {

Result<ResolvedConnector> ResolveConnector(ConnectorKind kind, const std::string& name,
                                           const std::vector<std::string>& command) {
  ResolvedConnector r;
  if (!command.empty()) {
    for (const auto& a : command) r.name += (r.name.empty() ? "" : " ") + a;
    if (kind == ConnectorKind::kSource) {
      r.source = MakeExternalSource(command);
      r.spec = r.source->Spec();
    } else {
      r.destination = MakeExternalDestination(command);
      r.spec = r.destination->Spec();
    }
    return r;
  }
  auto found = Registry::Builtins().Find(name, kind);
  if (!found.ok() && LooksLikeDockerImage(name)) {
    // An Airbyte image sluice has no built-in for: Docker runs it as an external connector.
    SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> docker, DockerImageCommand(name));
    SLUICE_ASSIGN_OR_RETURN(ResolvedConnector external, ResolveConnector(kind, name, docker));
    external.name = name;
    return external;
  }
  SLUICE_ASSIGN_OR_RETURN(const ConnectorInfo* info, std::move(found));
  r.name = info->name;
  if (kind == ConnectorKind::kSource) {
    r.source = info->make_source();
    r.spec = r.source->Spec();
  } else {
    r.destination = info->make_destination();
    r.spec = r.destination->Spec();
  }
  return r;
}

Result<Json> PrepareConnectorConfig(const ResolvedConnector& connector, const Json& config) {
  const Json schema = SpecForConfig(connector, config).connection_specification;
  if (schema.is_null() || schema.empty()) return config;
  return PrepareConfig(schema, config, connector.name + " config");
}

ConnectorSpec SpecForConfig(const ResolvedConnector& connector, const Json& config) {
  if (const auto* carried = dynamic_cast<const ConfigSpecSource*>(connector.source.get())) {
    return carried->SpecForConfig(config);
  }
  return connector.spec;
}

Json ConfigSchemaFor(ConnectorKind kind, const std::string& name, const Json& schema, const Json& config) {
  if (kind != ConnectorKind::kSource) return schema;
  auto info = Registry::Builtins().Find(name, kind);
  if (!info.ok() || !(*info)->make_source) return schema;
  const std::unique_ptr<Source> source = (*info)->make_source();
  if (const auto* carried = dynamic_cast<const ConfigSpecSource*>(source.get())) {
    return carried->SpecForConfig(config).connection_specification;
  }
  return schema;
}

Result<Json> ReadJsonFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::ConfigError(std::string(what) + ": cannot read '" + path + "': " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return Json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    return Status::ConfigError(std::string(what) + ": '" + path + "' is not valid JSON: " + e.what());
  }
}

Status CheckCanReadContinuously(const ResolvedConnector& source, const Json& config) {
  auto* continuous = dynamic_cast<ContinuousSource*>(source.source.get());
  if (continuous == nullptr) {
    return Status::ConfigError(fmt::format(
        "{} cannot read continuously (only change-log sources can: source-postgres with replication_method CDC)",
        source.name));
  }
  return continuous->CheckContinuous(config);
}

}  // namespace sluice
