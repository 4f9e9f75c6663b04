#include "cli/transform_command.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <iostream>

#include "base/status.h"
#include "cli/pipeline.h"
#include "connection/connector_runtime.h"
#include "connectors/postgres_common/pg_config.h"
#include "transform/transform.h"

namespace sluice {

namespace {

//! `tunnel` receives the destination's SSH tunnel (tunnel_method), if any, which the caller keeps
//! open while the transform runs.
Result<TransformOptions> OptionsForDestination(const std::string& name, const Json& config,
                                               std::unique_ptr<SshTunnel>& tunnel) {
  if (name != "destination-postgres" && name != "postgres") {
    return Status::ConfigError(fmt::format(
        "transform: runs against PostgreSQL; the destination is {} (use destination-postgres or a profiles.yml)", name));
  }
  TransformOptions o;
  SLUICE_ASSIGN_OR_RETURN(PgConnectionConfig c, ParsePgConnectionConfig(config));
  SLUICE_ASSIGN_OR_RETURN(const TunnelConfig tunnel_config, ParseTunnelMethod(config));
  SLUICE_ASSIGN_OR_RETURN(tunnel, OpenPgTunnel(tunnel_config, c));
  o.connection = c;
  o.schema = config.value("schema", "public");
  return o;
}

}  // namespace

Status RunTransformForDestination(const std::string& project_dir, const std::string& destination_name,
                                  const Json& destination_config) {
  std::unique_ptr<SshTunnel> tunnel;
  SLUICE_ASSIGN_OR_RETURN(TransformOptions o, OptionsForDestination(destination_name, destination_config, tunnel));
  o.project_dir = project_dir;
  o.print = [](const std::string& line) { std::cerr << line << "\n"; };
  auto r = RunTransform(o);
  return r.ok() ? Status::Ok() : r.status();
}

int RunTransformCommand(const TransformCommandArgs& args) {
  TransformOptions o;
  std::unique_ptr<SshTunnel> tunnel;  // the destination's, open until the transform ends
  if (!args.destination.empty()) {
    auto pipeline = LoadPipeline(args.destination);
    if (!pipeline.ok()) {
      std::cerr << "sluice: " << pipeline.status().ToString() << std::endl;
      return ExitCodeFor(pipeline.status().failure_type());
    }
    auto resolved = ResolveConnector(ConnectorKind::kDestination, pipeline->destination.connector,
                                     pipeline->destination.command);
    Result<Json> config = resolved.ok() ? PrepareConnectorConfig(*resolved, pipeline->destination.config)
                                        : Result<Json>(resolved.status());
    auto from = config.ok() ? OptionsForDestination(resolved->name, *config, tunnel)
                            : Result<TransformOptions>(config.status());
    if (!from.ok()) {
      std::cerr << "sluice: " << from.status().ToString() << std::endl;
      return ExitCodeFor(from.status().failure_type());
    }
    o = std::move(from).value();
  }
  o.project_dir = args.project_dir;
  o.profiles_dir = args.profiles_dir;
  o.target = args.target;
  o.select = args.select;
  o.full_refresh = args.full_refresh;
  o.test = args.test || args.test_only;
  o.run = !args.test_only;
  if (!args.vars.empty()) {
    try {
      YAML::Node n = YAML::Load(args.vars);
      if (!n.IsMap()) throw YAML::Exception(YAML::Mark(), "not a mapping");
      for (const auto& kv : n) {
        const std::string v = kv.second.as<std::string>();
        Json parsed = Json::parse(v, nullptr, false);
        o.vars[kv.first.as<std::string>()] = parsed.is_discarded() ? Json(v) : parsed;
      }
    } catch (const YAML::Exception& e) {
      std::cerr << "sluice: --vars: expected a YAML mapping such as '{start: 2024-01-01}' (" << e.what() << ")"
                << std::endl;
      return 2;
    }
  }
  auto r = RunTransform(o);
  if (!r.ok()) {
    std::cerr << "sluice: " << r.status().ToString() << std::endl;
    return ExitCodeFor(r.status().failure_type());
  }
  return 0;
}

}  // namespace sluice
