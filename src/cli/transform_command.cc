#include "cli/transform_command.h"

#include <fmt/format.h>

#include <iostream>

#include "base/status.h"
#include "cli/pipeline.h"
#include "connection/connector_runtime.h"
#include "operations/operations.h"
#include "transform/transform.h"

namespace sluice {

Status RunTransformForDestination(const std::string& project_dir, const std::string& destination_name,
                                  const Json& destination_config) {
  std::unique_ptr<SshTunnel> tunnel;  // the destination's, open until the transform ends
  SLUICE_ASSIGN_OR_RETURN(TransformOptions o,
                          TransformOptionsForDestination(destination_name, destination_config, tunnel));
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
    auto from = config.ok() ? TransformOptionsForDestination(resolved->name, *config, tunnel)
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
    auto vars = ParseDbtVars(args.vars);
    if (!vars.ok()) {
      std::cerr << "sluice: " << vars.status().message() << std::endl;
      return 2;
    }
    o.vars = std::move(vars).value();
  }

  auto r = RunTransform(o);
  if (!r.ok()) {
    std::cerr << "sluice: " << r.status().ToString() << std::endl;
    return ExitCodeFor(r.status().failure_type());
  }
  return 0;
}

}  // namespace sluice
